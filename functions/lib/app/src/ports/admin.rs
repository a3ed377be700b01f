//! The admin's port: agents, the number pools, the tenant's settings.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::error::StoreError;
use lifeline_domain::call::AgentProfile;
use lifeline_domain::lease::Lease;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::TenantSettings;
use lifeline_domain::types::{AgentId, E164};

/// A pool number as the admin sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolNumber {
    pub number: String,
    pub country: String,
    /// `free`, `leased` or `quarantined`.
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leased_to: Option<String>,
    /// End of the callback window (from the end of the last call).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_window_ends_at: Option<String>,
    /// Emergency calls still in progress on the lease.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_calls: Option<usize>,
    /// Until when callbacks reach the agent (longer while calls are active).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_until: Option<String>,
    /// Out of the pool for other agents until then (a late callback must not reach a stranger).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantined_until: Option<String>,
    /// When another agent may get the number.
    pub available_at: String,
}

impl PoolNumber {
    /// A pool number's state at `now`, from its lease (if any) and the time
    /// another agent may get it: the same reading for every store.
    pub fn describe(
        number: &E164,
        pool_country: &str,
        lease: Option<&Lease>,
        available_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> PoolNumber {
        use lifeline_domain::call::rfc3339;
        let live = lease.filter(|l| l.is_live(now));
        let state = match live {
            Some(_) => "leased",
            None if available_at > now => "quarantined",
            None => "free",
        };
        PoolNumber {
            number: number.to_string(),
            country: pool_country.to_string(),
            state,
            leased_to: live.map(|l| l.agent.to_string()),
            callback_window_ends_at: live.map(|l| rfc3339(l.expires_at)),
            active_calls: live.map(|l| l.active_calls.len()),
            held_until: live.map(|l| rfc3339(l.hold_until)),
            quarantined_until: (state == "quarantined").then(|| rfc3339(available_at)),
            available_at: rfc3339(available_at),
        }
    }
}

/// What [`AdminStore::add_numbers`] did with each number it was given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddedNumbers {
    /// New in the pool, available at once.
    pub added: Vec<E164>,
    /// Already in the table (free, leased or in quarantine, in this pool or
    /// another): left exactly as they were, lease and `availableAt` included.
    pub present: Vec<E164>,
}

#[async_trait]
pub trait AdminStore: Send + Sync {
    async fn put_agent(&self, agent: &AgentProfile) -> Result<(), StoreError>;
    async fn get_agent(&self, id: &AgentId) -> Result<Option<AgentProfile>, StoreError>;
    /// Every agent's profile (an admin's listing: the console's agents page).
    async fn agents(&self) -> Result<Vec<AgentProfile>, StoreError>;
    /// Adds numbers to a pool, available from `now`. A number already in the
    /// table is never overwritten (a conditional put per number): its lease
    /// and its quarantine stay as they are, and it is reported as present.
    async fn add_numbers(
        &self,
        country: Country,
        numbers: &[E164],
        now: DateTime<Utc>,
    ) -> Result<AddedNumbers, StoreError>;
    async fn list_pool(
        &self,
        country: Option<Country>,
        now: DateTime<Utc>,
    ) -> Result<Vec<PoolNumber>, StoreError>;
    /// Removes a number from its pool, only once nobody can call back for a
    /// previous holder: refused while it is leased, and then while it is in
    /// quarantine (until its `availableAt`). One conditional delete: the
    /// refusal names why, from the item as the condition saw it.
    async fn remove_number(&self, number: &E164, now: DateTime<Utc>) -> Result<(), RemoveError>;
    async fn put_tenant(&self, tenant: TenantSettings) -> Result<(), StoreError>;
    async fn get_tenant(&self) -> Result<TenantSettings, StoreError>;
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum RemoveError {
    #[error("{0} is leased to {1} until {2}: it cannot be removed now")]
    Leased(String, String, String),
    /// The lease is over but a late emergency callback may still come for
    /// its previous holder: removable from `until` (its `availableAt`).
    #[error(
        "{number} is in quarantine until {}: a late emergency callback may still come for its previous holder; it can be removed from then",
        lifeline_domain::call::rfc3339(*.until)
    )]
    InQuarantine { number: E164, until: DateTime<Utc> },
    #[error("{0} is not in any pool")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RemoveError {
    /// Why a pool number with this lease and `availableAt` may not be
    /// removed at `now`; `None` when it may. Every store refuses by this
    /// rule (the DynamoDB adapter's condition expression is the same).
    pub fn refusal(
        number: &E164,
        lease: Option<&Lease>,
        available_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<RemoveError> {
        match lease {
            Some(l) if l.is_live(now) => Some(RemoveError::Leased(
                number.to_string(),
                l.agent.to_string(),
                lifeline_domain::call::rfc3339(l.hold_until),
            )),
            _ if available_at > now => Some(RemoveError::InQuarantine {
                number: number.clone(),
                until: available_at,
            }),
            _ => None,
        }
    }
}
