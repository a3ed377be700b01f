//! The readiness checks, each from what was looked up to a finding.

use super::*;
use chrono::DateTime;
use lifeline_app::settings::LowWater;
use lifeline_domain::call::AgentProfile;
use lifeline_domain::notification::NotificationTemplate;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::NumberType;
use lifeline_domain::route::TenantSettings;
use lifeline_domain::types::Recipients;

fn ana() -> AgentProfile {
    AgentProfile {
        id: "a-42".parse().unwrap(),
        name: "Ana Diaz".into(),
        email: None,
        country: Some(Country::US),
        other_country: None,
        source_number: "+14255550100".parse().unwrap(),
        number_type: NumberType::CallingPlan,
        recipients: Recipients::parse("sup@example.com").unwrap(),
        fallback: vec![],
        outbound_profile: Some("OVP".into()),
        platform: Default::default(),
    }
}

#[test]
fn outbound_profile() {
    assert_eq!(check_outbound_profile(&ana()).level, Level::Ok);
    let mut a = ana();
    a.outbound_profile = None;
    let f = check_outbound_profile(&a);
    assert_eq!(f.level, Level::Error);
    assert!(f.advice.unwrap().contains("--outbound-profile"));
}

#[test]
fn location() {
    let f = check_location(&ana());
    assert_eq!(f.level, Level::Ok);
    assert!(f.detail.contains("911, 112, 933"), "{}", f.detail);
    let mut a = ana();
    a.country = None;
    assert_eq!(check_location(&a).level, Level::Warning);
    a.other_country = Some("FR".into());
    let f = check_location(&a);
    assert_eq!(f.level, Level::Error);
    assert!(f.detail.contains("FR"));
}

#[test]
fn recipients() {
    assert_eq!(check_recipients(&ana()).level, Level::Ok);
    let mut a = ana();
    a.recipients = Recipients::default();
    assert_eq!(check_recipients(&a).level, Level::Warning);
}

#[test]
fn route() {
    let none = TenantSettings::default();
    assert_eq!(check_route(&ana(), none).level, Level::Ok);
    let mut a = ana();
    a.number_type = NumberType::DirectRouting;
    let f = check_route(&a, none);
    assert_eq!(f.level, Level::Warning);
    assert!(f.advice.unwrap().contains("carrier"));
    let rule = TenantSettings {
        direct_routing_emergency_rule: true,
        has_calling_plan_numbers: false,
    };
    assert_eq!(check_route(&a, rule).level, Level::Ok);
}

#[test]
fn identity() {
    assert_eq!(
        check_identity("x@example.com", IdentityState::Verified).level,
        Level::Ok
    );
    assert_eq!(
        check_identity("x@example.com", IdentityState::Unverified).level,
        Level::Error
    );
    assert_eq!(
        check_identity("x@example.com", IdentityState::Missing).level,
        Level::Error
    );
}

#[test]
fn template() {
    assert_eq!(
        check_template(&NotificationTemplate::builtin()).level,
        Level::Ok
    );
    let mut t = NotificationTemplate::builtin();
    t.subject = "{{ nope }}".into();
    t.version = 3;
    let f = check_template(&t);
    assert_eq!(f.level, Level::Error);
    assert!(f.detail.contains("version 3"));
}

#[test]
fn pools() {
    assert_eq!(check_pool(Country::US, 0, 2).level, Level::Error);
    assert_eq!(check_pool(Country::US, 1, 2).level, Level::Warning);
    assert_eq!(check_pool(Country::US, 3, 2).level, Level::Ok);
    assert_eq!(check_pool(Country::US, 1, 0).level, Level::Ok);
}

#[test]
fn group_and_table() {
    assert_eq!(check_schedule_group("g", true).level, Level::Ok);
    assert_eq!(check_schedule_group("g", false).level, Level::Warning);
    let ok = TableState {
        exists: true,
        stream: Some("NEW_AND_OLD_IMAGES".into()),
    };
    assert_eq!(check_table("t", &ok).level, Level::Ok);
    assert_eq!(
        check_table(
            "t",
            &TableState {
                exists: true,
                stream: None
            }
        )
        .level,
        Level::Error
    );
    assert_eq!(
        check_table(
            "t",
            &TableState {
                exists: true,
                stream: Some("KEYS_ONLY".into())
            }
        )
        .level,
        Level::Error
    );
    assert_eq!(
        check_table(
            "t",
            &TableState {
                exists: false,
                stream: None
            }
        )
        .level,
        Level::Error
    );
}

#[test]
fn exit_codes_and_text() {
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
        pools: vec![(Country::US, 3)],
        agents: vec![ana()],
        platform: VoicePlatform::Webhook,
        twilio_last_resort: None,
        platform_presence: PlatformPresenceSetting::default(),
    };
    let lw = LowWater::parse("2").unwrap();
    let now = DateTime::from_timestamp(1_795_496_400, 0).unwrap();
    assert_eq!(report(&l, &lw, now).exit_code(), 0);
    l.agents[0].recipients = Recipients::default();
    assert_eq!(report(&l, &lw, now).exit_code(), 1);
    l.identity = IdentityState::Missing;
    let r = report(&l, &lw, now);
    assert_eq!(r.exit_code(), 2);
    let text = r.to_text();
    assert!(text.contains("✖ mail identity"), "{text}");
    assert!(text.contains("⚠ recipients"), "{text}");
    assert!(text.contains("AGENT A-42"), "{text}");
    assert!(text.ends_with("exit 2\n"), "{text}");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["findings"][1]["level"], "error");
}

#[test]
fn pool_countries_come_from_agents() {
    let mut b = ana();
    b.country = Some(Country::GB);
    assert_eq!(
        pool_countries(&[ana(), b, ana()]),
        vec![Country::GB, Country::US]
    );
}

#[test]
fn twilio_deployments_are_reminded_of_emergency_addresses() {
    let f = check_twilio_emergency_addresses(&[(Country::US, 3), (Country::CA, 1)]);
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
