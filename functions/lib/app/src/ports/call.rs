//! The end of an emergency call, and the callback that reaches its agent.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::dial::{CallRecords, LeaseWrite};
use super::error::StoreError;
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::lease::Lease;
use lifeline_domain::types::{AgentId, CallId, E164};

#[derive(Debug, Clone, thiserror::Error)]
pub enum EndError {
    #[error("call already ended")]
    AlreadyEnded,
    #[error("lease changed since it was read")]
    LeaseChanged,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait EndStore: CallRecords + Send + Sync {
    /// The call and the agent's current lease, in one round trip.
    async fn end_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<(Option<EmergencyCall>, Option<Lease>), StoreError>;
    /// The records at `ids` (as [`CallRecords::call_records`]) and the
    /// agent's current lease, in one round trip.
    async fn end_chain(
        &self,
        ids: &[CallId],
        agent: &AgentId,
    ) -> Result<(Vec<(CallId, Option<EmergencyCall>)>, Option<Lease>), StoreError>;
    /// Marks the call ended (only once) and applies the lease change, atomically.
    async fn record_end(
        &self,
        call: &CallId,
        ended_at: DateTime<Utc>,
        ttl: DateTime<Utc>,
        lease: Option<&LeaseWrite>,
    ) -> Result<(), EndError>;
}

#[async_trait]
pub trait CallbackStore: Send + Sync {
    /// The lease on a pool number, in one read.
    async fn lease_for_number(&self, number: &E164) -> Result<Option<Lease>, StoreError>;
}
