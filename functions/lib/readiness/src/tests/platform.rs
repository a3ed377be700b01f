//! The voice platform's prerequisites.

use chrono::{DateTime, Duration};
use lifeline_app::settings::LowWater;
use lifeline_domain::notification::NotificationTemplate;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::TenantSettings;

use super::fixtures::ana;
use crate::*;

#[test]
fn twilio_deployments_are_reminded_of_emergency_addresses() {
    let pool = |country, exists| PoolLookup {
        country,
        free: 1,
        exists,
    };
    let f = check_twilio_emergency_addresses(&[
        pool(Country::US, true),
        pool(Country::CA, true),
        pool(Country::GB, false),
    ]);
    assert_eq!(f.level, Level::Warning);
    assert!(f.detail.contains("(US, CA)"), "{}", f.detail);
    assert_eq!("Twilio".parse(), Ok(VoicePlatform::Twilio));
    assert_eq!("connect".parse(), Ok(VoicePlatform::Connect));
    assert!("teams".parse::<VoicePlatform>().is_err());
}

#[test]
fn twilio_deployments_must_name_a_last_resort() {
    let missing = check_twilio_last_resort(None);
    assert_eq!(missing.level, Level::Error);
    assert!(
        missing
            .detail
            .contains("LIFELINE_TWILIO_LAST_RESORT is not set"),
        "{}",
        missing.detail
    );
    assert!(missing.advice.unwrap().contains("TwilioLastResort"));
    assert_eq!(check_twilio_last_resort(Some(" ")).level, Level::Error);
    assert_eq!(check_twilio_last_resort(Some("+1425")).level, Level::Error);
    assert_eq!(
        check_twilio_last_resort(Some("supervisor")).level,
        Level::Error
    );
    let number = check_twilio_last_resort(Some("+14255550170"));
    assert_eq!(number.level, Level::Ok);
    assert!(number.detail.contains("+14255550170"), "{}", number.detail);
    let queue = check_twilio_last_resort(Some("WW0123456789abcdef0123456789abcdef"));
    assert_eq!(queue.level, Level::Ok, "{}", queue.detail);
    // Only a Twilio deployment is asked for one.
    let lw = LowWater::parse("2").unwrap();
    let now = DateTime::from_timestamp(1_795_496_400, 0).unwrap();
    let mut l = Lookups {
        table: "lifeline".into(),
        table_state: TableState {
            exists: true,
            stream: Some("NEW_AND_OLD_IMAGES".into()),
        },
        from: "lifeline@example.com".into(),
        identity: IdentityState::Verified,
        group: "lifeline".into(),
        group_exists: true,
        template: NotificationTemplate::builtin(),
        tenant: TenantSettings::default(),
        pools: vec![],
        agents: vec![],
        agent_count: 0,
        call_path_reserved: 100,
        webhook_secret: None,
        registered: Default::default(),
        location_fresh_for: Duration::hours(12),
        platform: VoicePlatform::Webhook,
        twilio_last_resort: None,
        platform_presence: PlatformPresenceSetting::default(),
    };
    let last_resort = |l: &Lookups| {
        report(l, &lw, now)
            .findings
            .into_iter()
            .find(|f| f.check == "twilio last resort")
            .map(|f| f.level)
    };
    assert_eq!(last_resort(&l), None);
    l.platform = VoicePlatform::Twilio;
    assert_eq!(last_resort(&l), Some(Level::Error));
    assert_eq!(report(&l, &lw, now).exit_code(), 2);
    l.twilio_last_resort = Some("+14255550170".into());
    assert_eq!(last_resort(&l), Some(Level::Ok));
}

#[test]
fn platform_presence_needs_an_emergency_status_and_each_agent_a_user() {
    let off = PlatformPresenceSetting::default();
    assert_eq!(check_platform_presence(&off), None, "off: nothing to check");
    let missing = PlatformPresenceSetting {
        platform: Some("connect".into()),
        emergency_status: None,
    };
    let f = check_platform_presence(&missing).unwrap();
    assert_eq!(f.level, Level::Error);
    assert!(
        f.detail.contains("LIFELINE_CONNECT_EMERGENCY_STATUS_ID"),
        "{}",
        f.detail
    );
    let set = PlatformPresenceSetting {
        platform: Some("connect".into()),
        emergency_status: Some("st-9".into()),
    };
    assert_eq!(check_platform_presence(&set).unwrap().level, Level::Ok);
    let mut a = ana();
    let f = check_platform_user(&a, "connect");
    assert_eq!(f.level, Level::Warning);
    assert!(f.advice.unwrap().contains("--connect-user-id"));
    a.platform.connect_user_id = Some("user-1".into());
    assert_eq!(check_platform_user(&a, "connect").level, Level::Ok);
    assert_eq!(check_platform_user(&a, "twilio").level, Level::Warning);
}

#[test]
fn platform_presence_is_read_as_platform_presence_reads_it() {
    let lookup = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    };
    assert_eq!(
        PlatformPresenceSetting::from_lookup(lookup(&[])),
        PlatformPresenceSetting::default()
    );
    assert_eq!(
        PlatformPresenceSetting::from_lookup(lookup(&[
            ("LIFELINE_PLATFORM_PRESENCE", " Twilio "),
            ("LIFELINE_TWILIO_EMERGENCY_ACTIVITY_SID", "WA1"),
            ("LIFELINE_CONNECT_EMERGENCY_STATUS_ID", "st-9"),
        ])),
        PlatformPresenceSetting {
            platform: Some("twilio".into()),
            emergency_status: Some("WA1".into()),
        }
    );
    assert_eq!(
        PlatformPresenceSetting::from_lookup(lookup(&[
            ("LIFELINE_PLATFORM_PRESENCE", "connect"),
            ("LIFELINE_TWILIO_EMERGENCY_ACTIVITY_SID", "WA1"),
        ])),
        PlatformPresenceSetting {
            platform: Some("connect".into()),
            emergency_status: None,
        }
    );
    // Anything else: presence stays in Lifeline, its status is not read.
    assert_eq!(
        PlatformPresenceSetting::from_lookup(lookup(&[
            ("LIFELINE_PLATFORM_PRESENCE", "teams"),
            ("LIFELINE_CONNECT_EMERGENCY_STATUS_ID", "st-9"),
        ])),
        PlatformPresenceSetting::default()
    );
}
