//! The report over the lookups: its exit code and text, and what `gather`
//! asks of the readiness port.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use lifeline_app::settings::LowWater;
use lifeline_domain::call::AgentProfile;
use lifeline_domain::location::{Civic, CivicKey, RegisteredLocation};
use lifeline_domain::notification::NotificationTemplate;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::TenantSettings;
use lifeline_domain::types::{AgentId, Recipients};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use super::fixtures::{ana, now, registered_at};
use crate::doctor::*;

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
