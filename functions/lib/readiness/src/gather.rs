//! The lookups a readiness report needs, over a port: the report does not
//! know which AWS clients answer them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use lifeline_aws::dynamo::TableState;
use lifeline_aws::secrets::SecretVersion;
use lifeline_aws::ses::IdentityState;
use lifeline_domain::call::AgentProfile;
use lifeline_domain::location::RegisteredLocation;
use lifeline_domain::notification::NotificationTemplate;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::TenantSettings;
use lifeline_domain::types::AgentId;

use super::deployment::PoolLookup;
use super::platform::VoicePlatform;
use super::report::{pool_countries, Lookups, Targets};

/// What the readiness report reads, one question per resource. Errors are
/// reported as they are: the report cannot be made without the answers.
#[async_trait]
pub trait Readiness: Send + Sync {
    fn table_name(&self) -> String;
    async fn table_state(&self) -> Result<TableState, String>;
    async fn identity(&self, from: &str) -> Result<IdentityState, String>;
    async fn schedule_group_exists(&self, group: &str) -> Result<bool, String>;
    async fn agent(&self, id: &AgentId) -> Result<Option<AgentProfile>, String>;
    async fn agents(&self) -> Result<Vec<AgentProfile>, String>;
    /// Free numbers in `country`'s pool, counted up to `limit`.
    async fn free_numbers(
        &self,
        country: Country,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, String>;
    /// Whether `country` has a pool at all (any number, free or not).
    async fn has_pool(&self, country: Country) -> Result<bool, String>;
    /// The location `agent` registered, fresh or not.
    async fn registered_location(
        &self,
        agent: &AgentId,
    ) -> Result<Option<RegisteredLocation>, String>;
    async fn template(&self) -> Result<Option<NotificationTemplate>, String>;
    async fn tenant(&self) -> Result<TenantSettings, String>;
    /// The secret's versions: labels and dates, no value.
    async fn secret_versions(&self, secret_id: &str) -> Result<Vec<SecretVersion>, String>;
}

/// Looks everything up: one request per resource (table, identity, group,
/// template, tenant, the webhook secret's versions, each country's pool, and
/// whether an empty pool exists at all), one for the agents (a second to
/// count them all when one is asked for) and one per agent for its
/// registered location. The secret's versions unreadable is a finding, not
/// a failure of the report.
pub async fn gather_from(
    source: &impl Readiness,
    targets: &Targets,
    agent: Option<&AgentId>,
    now: DateTime<Utc>,
) -> Result<Lookups, String> {
    let mut lookups = Lookups {
        table: source.table_name(),
        table_state: source.table_state().await?,
        from: targets.from.clone(),
        identity: source.identity(&targets.from).await?,
        group: targets.group.clone(),
        group_exists: source.schedule_group_exists(&targets.group).await?,
        template: NotificationTemplate::builtin(),
        tenant: TenantSettings::default(),
        pools: vec![],
        agents: vec![],
        agent_count: 0,
        call_path_reserved: targets.call_path_reserved,
        webhook_secret: match &targets.webhook_secret {
            Some(id) => Some(source.secret_versions(id).await),
            None => None,
        },
        registered: Default::default(),
        location_fresh_for: targets.location_fresh_for,
        platform: targets.platform,
        // Only with Twilio (the variable is the twilio-adapter's).
        twilio_last_resort: (targets.platform == VoicePlatform::Twilio)
            .then(|| targets.twilio_last_resort.clone())
            .flatten(),
        platform_presence: targets.platform_presence.clone(),
    };
    if !lookups.table_state.exists {
        // Nothing else can be read; report what can be said.
        return Ok(lookups);
    }
    let agents = match agent {
        Some(id) => match source.agent(id).await? {
            Some(a) => vec![a],
            None => return Err(format!("no agent `{id}`")),
        },
        None => source.agents().await?,
    };
    lookups.agent_count = match agent {
        Some(_) => source.agents().await?.len(),
        None => agents.len(),
    };
    for c in pool_countries(&agents) {
        let free = source
            .free_numbers(c, now, targets.low_water.of(c) + 1)
            .await?;
        // No free number: exhausted, or never set up (told apart for the
        // admin as the dial tells `pool_exhausted` from `no_pool`).
        let exists = free > 0 || source.has_pool(c).await?;
        lookups.pools.push(PoolLookup {
            country: c,
            free,
            exists,
        });
    }
    for a in &agents {
        if let Some(r) = source.registered_location(&a.id).await? {
            lookups.registered.insert(a.id.clone(), r);
        }
    }
    if let Some(t) = source.template().await? {
        lookups.template = t;
    }
    lookups.tenant = source.tenant().await?;
    lookups.agents = agents;
    Ok(lookups)
}
