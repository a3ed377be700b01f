//! The readiness checks, each from what was looked up to a finding.

use super::*;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use lifeline_app::settings::LowWater;
use lifeline_domain::call::AgentProfile;
use lifeline_domain::location::{Civic, CivicKey, Location, RegisteredLocation};
use lifeline_domain::notification::NotificationTemplate;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::NumberType;
use lifeline_domain::route::TenantSettings;
use lifeline_domain::types::{AgentId, Recipients};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

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
    let exhausted = check_pool(Country::US, 0, 2);
    assert_eq!(exhausted.level, Level::Error);
    assert!(
        exhausted.detail.contains("reason pool_exhausted"),
        "{}",
        exhausted.detail
    );
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
        pools: vec![PoolLookup {
            country: Country::US,
            free: 3,
            exists: true,
        }],
        agents: vec![ana()],
        registered: [(ana().id, registered_at(now() - Duration::hours(1)))].into(),
        location_fresh_for: Duration::hours(12),
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

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_496_400, 0).unwrap()
}

/// A street address Ana's desk has: dispatchable.
fn desk() -> Location {
    Location {
        country: Some("US".into()),
        civic: Civic::from_iter(
            [
                (CivicKey::RD, "Main St"),
                (CivicKey::HNO, "1"),
                (CivicKey::A3, "Redmond"),
                (CivicKey::A1, "WA"),
                (CivicKey::FLR, "3"),
            ]
            .map(|(k, v)| (k, v.to_string())),
        ),
        ..Location::default()
    }
}

fn registered_at(at: DateTime<Utc>) -> RegisteredLocation {
    RegisteredLocation {
        location: desk(),
        registered_at: at,
    }
}

#[test]
fn spans_read_as_an_admin_says_them() {
    assert_eq!(span(Duration::seconds(20)), "0 min");
    assert_eq!(span(Duration::minutes(45)), "45 min");
    assert_eq!(span(Duration::hours(12)), "12 h");
    assert_eq!(span(Duration::minutes(13 * 60 + 20)), "13 h 20 min");
    assert_eq!(span(Duration::hours(76)), "3 d 4 h");
    assert_eq!(span(Duration::hours(-2)), "0 min", "a clock's skew");
}

#[test]
fn an_agent_with_no_registered_location_is_warned() {
    let f = check_registered_location(&ana(), None, Duration::hours(12), now());
    assert_eq!((f.scope.as_str(), f.level), ("agent a-42", Level::Warning));
    assert_eq!(
        f.detail,
        "no registered location: dials without a location of their own will carry only the home country US"
    );
    let advice = f.advice.unwrap();
    assert!(
        advice.contains("`lifeline agent location set a-42 …`"),
        "{advice}"
    );
    assert!(advice.contains("PUT /agents/a-42/location"), "{advice}");
    let mut homeless = ana();
    homeless.country = None;
    let f = check_registered_location(&homeless, None, Duration::hours(12), now());
    assert!(
        f.detail.ends_with("will carry no location at all"),
        "{}",
        f.detail
    );
}

#[test]
fn a_stale_registered_location_says_how_old_and_the_limit() {
    let stale = registered_at(now() - Duration::minutes(20 * 60 + 30));
    let f = check_registered_location(&ana(), Some(&stale), Duration::hours(12), now());
    assert_eq!(f.level, Level::Warning);
    assert_eq!(
        f.detail,
        "registered location is 20 h 30 min old, past the freshness limit of 12 h: dials without a location of their own will carry only the home country US"
    );
    assert!(
        f.advice.unwrap().contains("LIFELINE_LOCATION_FRESH_HOURS"),
        "the limit's variable"
    );
    // The same registration under a day's limit is fresh.
    let f = check_registered_location(&ana(), Some(&stale), Duration::hours(24), now());
    assert_eq!(f.level, Level::Ok, "{}", f.detail);
    // Stale and partial: both said.
    let mut partial = stale.clone();
    partial.location.civic = Civic::from_iter([(CivicKey::RD, "Main St".to_string())]);
    let f = check_registered_location(&ana(), Some(&partial), Duration::hours(12), now());
    assert!(
        f.detail.ends_with(
            "; it is also partial (no house number (HNO), no city (A3), no state or postcode (A1 or PC))"
        ),
        "{}",
        f.detail
    );
}

#[test]
fn a_fresh_dispatchable_registered_location_is_ok() {
    let fresh = registered_at(now() - Duration::minutes(90));
    let f = check_registered_location(&ana(), Some(&fresh), Duration::hours(12), now());
    assert_eq!(f.level, Level::Ok);
    assert_eq!(
        f.detail,
        "dispatchable, registered 1 h 30 min ago (fresh for 12 h)"
    );
    assert_eq!(f.advice, None);
    // No personal data in the report: the address is not repeated.
    assert!(!f.detail.contains("Main St"));
    // A time ahead of now is a clock's skew, and fresh.
    let ahead = registered_at(now() + Duration::minutes(5));
    let f = check_registered_location(&ana(), Some(&ahead), Duration::hours(12), now());
    assert_eq!(f.level, Level::Ok);
}

#[test]
fn a_partial_registered_location_is_warned_with_what_it_lacks() {
    let mut partial = registered_at(now() - Duration::hours(1));
    partial.location.civic.set(CivicKey::HNO, "");
    partial.location.civic.set(CivicKey::A1, "");
    let f = check_registered_location(&ana(), Some(&partial), Duration::hours(12), now());
    assert_eq!(f.level, Level::Warning);
    assert_eq!(
        f.detail,
        "registered location is partial (no house number (HNO), no state or postcode (A1 or PC)): dials without a location of their own will carry only that, not enough to reach the door"
    );
    assert!(f.advice.unwrap().contains("street, house number, city"));
    // A postcode stands in for the state.
    partial.location.civic.set(CivicKey::HNO, "1");
    partial.location.civic.set(CivicKey::PC, "98052");
    let f = check_registered_location(&ana(), Some(&partial), Duration::hours(12), now());
    assert_eq!(f.level, Level::Ok, "{}", f.detail);
    // A country only, the profile's country aside.
    let only_country = RegisteredLocation {
        location: Location {
            country: Some("US".into()),
            ..Location::default()
        },
        registered_at: now(),
    };
    let f = check_registered_location(&ana(), Some(&only_country), Duration::hours(12), now());
    assert!(
        f.detail
            .starts_with("registered location is country_only (no street (RD), "),
        "{}",
        f.detail
    );
    // A full street with no country anywhere lacks only that.
    let mut stateless = registered_at(now());
    stateless.location.country = None;
    let mut homeless = ana();
    homeless.country = None;
    let f = check_registered_location(&homeless, Some(&stateless), Duration::hours(12), now());
    assert!(
        f.detail
            .starts_with("registered location is partial (no country)"),
        "{}",
        f.detail
    );
    // The profile's country makes it dispatchable, as on a call.
    let f = check_registered_location(&ana(), Some(&stateless), Duration::hours(12), now());
    assert_eq!(f.level, Level::Ok, "{}", f.detail);
}

#[test]
fn no_pool_is_told_from_an_exhausted_one() {
    let none = check_no_pool(Country::GB);
    assert_eq!((none.check, none.level), ("pool", Level::Error));
    assert_eq!(
        none.detail,
        "no callback-number pool for GB: emergency calls from there go out with the agent's own number (degraded, reason no_pool)"
    );
    assert_eq!(
        none.advice.as_deref(),
        Some("`lifeline pool add --country GB …`")
    );
    let exhausted = check_pool(Country::GB, 0, 2);
    assert!(exhausted
        .detail
        .starts_with("GB pool has no free callback number"));
    assert_ne!(none.detail, exhausted.detail);
}

/// A readiness source from memory: agents, pools and registrations; it
/// counts the pool-existence lookups.
#[derive(Default)]
struct Fake {
    agents: Vec<AgentProfile>,
    /// Free numbers per country that has a pool.
    pools: BTreeMap<Country, usize>,
    registered: BTreeMap<AgentId, RegisteredLocation>,
    asked_has_pool: Mutex<BTreeSet<Country>>,
    asked_location: Mutex<Vec<AgentId>>,
}

#[async_trait]
impl Readiness for Fake {
    fn table_name(&self) -> String {
        "lifeline".into()
    }
    async fn table_state(&self) -> Result<TableState, String> {
        Ok(TableState {
            exists: true,
            stream: Some("NEW_AND_OLD_IMAGES".into()),
        })
    }
    async fn identity(&self, _from: &str) -> Result<IdentityState, String> {
        Ok(IdentityState::Verified)
    }
    async fn schedule_group_exists(&self, _group: &str) -> Result<bool, String> {
        Ok(true)
    }
    async fn agent(&self, id: &AgentId) -> Result<Option<AgentProfile>, String> {
        Ok(self.agents.iter().find(|a| &a.id == id).cloned())
    }
    async fn agents(&self) -> Result<Vec<AgentProfile>, String> {
        Ok(self.agents.clone())
    }
    async fn free_numbers(
        &self,
        country: Country,
        _now: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, String> {
        Ok(self.pools.get(&country).copied().unwrap_or(0).min(limit))
    }
    async fn has_pool(&self, country: Country) -> Result<bool, String> {
        self.asked_has_pool.lock().unwrap().insert(country);
        Ok(self.pools.contains_key(&country))
    }
    async fn registered_location(
        &self,
        agent: &AgentId,
    ) -> Result<Option<RegisteredLocation>, String> {
        self.asked_location.lock().unwrap().push(agent.clone());
        Ok(self.registered.get(agent).cloned())
    }
    async fn template(&self) -> Result<Option<NotificationTemplate>, String> {
        Ok(None)
    }
    async fn tenant(&self) -> Result<TenantSettings, String> {
        Ok(TenantSettings::default())
    }
}

fn agent(id: &str, country: Country) -> AgentProfile {
    AgentProfile {
        id: id.parse().unwrap(),
        country: Some(country),
        ..ana()
    }
}

fn targets() -> Targets {
    Targets {
        from: "lifeline@example.com".into(),
        group: "lifeline".into(),
        low_water: LowWater::parse("2").unwrap(),
        platform: VoicePlatform::Webhook,
    }
}

#[tokio::test]
async fn the_report_names_each_agents_registered_location_and_each_missing_pool() {
    // Ages that are past (or within) the limit whatever
    // LIFELINE_LOCATION_FRESH_HOURS says (1 to 168 h).
    let mut partial = registered_at(now() - Duration::minutes(1));
    partial.location.civic = Civic::from_iter([(CivicKey::A3, "London".to_string())]);
    partial.location.country = Some("GB".into());
    let fake = Fake {
        agents: vec![
            agent("a-none", Country::US),
            agent("a-stale", Country::US),
            agent("a-fresh", Country::US),
            agent("a-partial", Country::GB),
            agent("a-dk", Country::DK),
        ],
        // US has free numbers, GB's pool is exhausted, DK has none at all.
        pools: [(Country::US, 5), (Country::GB, 0)].into(),
        registered: [
            (
                "a-stale".parse().unwrap(),
                registered_at(now() - Duration::hours(200)),
            ),
            (
                "a-fresh".parse().unwrap(),
                registered_at(now() - Duration::minutes(1)),
            ),
            ("a-partial".parse().unwrap(), partial),
        ]
        .into(),
        ..Fake::default()
    };
    let targets = targets();
    let lookups = gather_from(&fake, &targets, None, now()).await.unwrap();
    // One registered-location read per agent; pool existence only asked
    // of the pools with no free number.
    assert_eq!(fake.asked_location.lock().unwrap().len(), 5);
    assert_eq!(
        *fake.asked_has_pool.lock().unwrap(),
        [Country::GB, Country::DK].into()
    );
    assert_eq!(
        lookups.location_fresh_for,
        crate::location_fresh_for().unwrap()
    );
    let r = report(&lookups, &targets.low_water, now());
    let find = |scope: &str, check: &str, starts: &str| {
        r.findings
            .iter()
            .find(|f| f.scope == scope && f.check == check && f.detail.starts_with(starts))
            .unwrap_or_else(|| panic!("no {scope}/{check} `{starts}…` in {}", r.to_text()))
    };
    let loc = "registered location";
    assert_eq!(
        find("agent a-none", loc, "no registered location").level,
        Level::Warning
    );
    let stale = find("agent a-stale", loc, "registered location is 8 d 8 h old");
    assert_eq!(stale.level, Level::Warning);
    assert_eq!(
        find("agent a-fresh", loc, "dispatchable, registered 1 min ago").level,
        Level::Ok
    );
    assert_eq!(
        find("agent a-partial", loc, "registered location is partial").level,
        Level::Warning
    );
    assert_eq!(
        find("deployment", "pool", "US pool has at least 3 free").level,
        Level::Ok
    );
    assert_eq!(
        find("deployment", "pool", "GB pool has no free callback number").level,
        Level::Error
    );
    assert_eq!(
        find("deployment", "pool", "no callback-number pool for DK").level,
        Level::Error
    );
    assert_eq!(r.exit_code(), 2);
    let text = r.to_text();
    assert!(
        text.contains("⚠ registered location registered location is 8 d 8 h old"),
        "a name longer than the column still gets a space: {text}"
    );
    assert!(text.contains("✔ pool             US pool"), "{text}");

    // One agent: only theirs is read.
    let fake = Fake {
        agents: vec![agent("a-fresh", Country::US), agent("a-none", Country::US)],
        pools: [(Country::US, 5)].into(),
        ..fake
    };
    let id: AgentId = "a-fresh".parse().unwrap();
    let lookups = gather_from(&fake, &targets, Some(&id), now())
        .await
        .unwrap();
    assert_eq!(*fake.asked_location.lock().unwrap().last().unwrap(), id);
    assert_eq!(lookups.registered.keys().collect::<Vec<_>>(), [&id]);
    let r = report(&lookups, &targets.low_water, now());
    assert_eq!(r.exit_code(), 0, "{}", r.to_text());
}
