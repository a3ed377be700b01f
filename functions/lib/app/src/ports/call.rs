//! The end of an emergency call, and the callback that reaches its agent.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::dial::{CallRecords, LeaseWrite};
use super::error::StoreError;
use lifeline_domain::call::{CallEnded, EmergencyCall};
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

/// Ends that came before their call was recorded, kept until it is (one
/// per platform `callId` and agent: a repeat replaces it).
#[async_trait]
pub trait KeptEnds: Send + Sync {
    /// Keeps `ended` (as sent, at `kept_at`) until `ttl`.
    async fn keep_end(
        &self,
        ended: &CallEnded,
        kept_at: DateTime<Utc>,
        ttl: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The end kept for `call` (a platform id) and `agent`, with when it
    /// was kept.
    async fn kept_end(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<Option<(CallEnded, DateTime<Utc>)>, StoreError>;
    /// Forgets it, once applied.
    async fn forget_end(&self, call: &CallId, agent: &AgentId) -> Result<(), StoreError>;
}

#[async_trait]
pub trait EndStore: CallRecords + KeptEnds + Send + Sync {
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
    /// Marks that a callback to `number` was routed under `lease` (one
    /// write, only while that lease is on the number); the incident hears
    /// of it through the table's stream.
    async fn note_callback(
        &self,
        number: &E164,
        lease: &lifeline_domain::types::LeaseId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError>;
}
