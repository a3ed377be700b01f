//! The report over the lookups: its exit code and text, and what `gather`
//! asks of the readiness port.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use lifeline_app::settings::LowWater;
use lifeline_aws::secrets::SecretVersion;
use lifeline_domain::call::AgentProfile;
use lifeline_domain::location::{Civic, CivicKey, RegisteredLocation};
use lifeline_domain::notification::NotificationTemplate;
use lifeline_domain::numbers::Country;
use lifeline_domain::recipient::Recipients;
use lifeline_domain::route::TenantSettings;
use lifeline_domain::types::AgentId;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use super::fixtures::{ana, now, registered_at};
use crate::*;

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
        agent_count: 1,
        call_path_reserved: 100,
        webhook_secret: None,
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
    secret_versions: Vec<SecretVersion>,
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
    async fn secret_versions(&self, secret_id: &str) -> Result<Vec<SecretVersion>, String> {
        match secret_id {
            "unreadable" => Err("AccessDeniedException: not allowed".into()),
            _ => Ok(self.secret_versions.clone()),
        }
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
        call_path_reserved: 100,
        webhook_secret: None,
        location_fresh_for: Duration::hours(12),
        twilio_last_resort: None,
        platform_presence: PlatformPresenceSetting::default(),
    }
}

#[tokio::test]
async fn the_report_names_each_agents_registered_location_and_each_missing_pool() {
    // Ages that are past (or within) the limit whatever the deployment's
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
    assert_eq!(lookups.location_fresh_for, targets.location_fresh_for);
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

/// A version of the webhook secret created `ago` before [`now`].
fn version(stage: &str, ago: Duration) -> SecretVersion {
    SecretVersion {
        stages: vec![stage.into()],
        created: Some(now() - ago),
    }
}

#[tokio::test]
async fn the_call_path_and_the_webhook_secret_are_checked_for_the_whole_deployment() {
    let fake = Fake {
        agents: (0..3)
            .map(|i| agent(&format!("a-{i}"), Country::US))
            .collect(),
        pools: [(Country::US, 5)].into(),
        secret_versions: vec![
            version("AWSCURRENT", Duration::days(9)),
            version("AWSPREVIOUS", Duration::days(400)),
        ],
        ..Fake::default()
    };
    let mut targets = targets();
    targets.call_path_reserved = 2;
    targets.webhook_secret = Some("arn:aws:secretsmanager:us-east-1:1:secret:webhook".into());
    // One agent asked for: all three still count for the call path.
    let id: AgentId = "a-1".parse().unwrap();
    let lookups = gather_from(&fake, &targets, Some(&id), now())
        .await
        .unwrap();
    assert_eq!((lookups.agents.len(), lookups.agent_count), (1, 3));
    let r = report(&lookups, &targets.low_water, now());
    let of = |check: &str| {
        r.findings
            .iter()
            .find(|f| f.scope == "deployment" && f.check == check)
            .unwrap_or_else(|| panic!("no {check} in {}", r.to_text()))
    };
    assert_eq!(of("call path").level, Level::Warning);
    assert!(of("call path").detail.contains("fewer than the 3 agents"));
    let secret = of("webhook secret");
    assert_eq!(secret.level, Level::Warning, "{}", r.to_text());
    assert_eq!(
        secret.advice.as_deref(),
        Some("retire it: `lifeline secret retire-previous` (once the platform signs with the current one)")
    );
    assert_eq!(r.exit_code(), 1, "{}", r.to_text());

    // Unreadable: said, and the report is still made.
    targets.webhook_secret = Some("unreadable".into());
    let lookups = gather_from(&fake, &targets, None, now()).await.unwrap();
    let r = report(&lookups, &targets.low_water, now());
    let secret = r
        .findings
        .iter()
        .find(|f| f.check == "webhook secret")
        .unwrap();
    assert!(
        secret.detail.contains("AccessDeniedException"),
        "{}",
        secret.detail
    );

    // No secret configured: no such finding.
    targets.webhook_secret = None;
    let lookups = gather_from(&fake, &targets, None, now()).await.unwrap();
    let r = report(&lookups, &targets.low_water, now());
    assert!(r.findings.iter().all(|f| f.check != "webhook secret"));
}

/// What the deployment is configured with comes from the targets (the
/// caller reads it), not from the environment of whoever gathers.
#[tokio::test]
async fn the_configuration_comes_from_the_targets() {
    let fake = Fake {
        agents: vec![agent("a-fresh", Country::US)],
        pools: [(Country::US, 5)].into(),
        registered: [(
            "a-fresh".parse().unwrap(),
            registered_at(now() - Duration::hours(3)),
        )]
        .into(),
        ..Fake::default()
    };
    let presence = PlatformPresenceSetting {
        platform: Some("connect".into()),
        emergency_status: Some("st-9".into()),
    };
    let mut targets = Targets {
        location_fresh_for: Duration::hours(2),
        twilio_last_resort: Some("+14255550170".into()),
        platform_presence: presence.clone(),
        ..targets()
    };
    let lookups = gather_from(&fake, &targets, None, now()).await.unwrap();
    assert_eq!(lookups.location_fresh_for, Duration::hours(2));
    assert_eq!(lookups.platform_presence, presence);
    // Not Twilio: its last resort is not looked at.
    assert_eq!(lookups.twilio_last_resort, None);
    let r = report(&lookups, &targets.low_water, now());
    let stale = r
        .findings
        .iter()
        .find(|f| f.check == "registered location")
        .unwrap();
    assert!(
        stale.detail.contains("past the freshness limit of 2 h"),
        "{}",
        stale.detail
    );

    targets.platform = VoicePlatform::Twilio;
    let lookups = gather_from(&fake, &targets, None, now()).await.unwrap();
    assert_eq!(lookups.twilio_last_resort.as_deref(), Some("+14255550170"));
}
