//! The call outbox: an emergency call's facts kept outside the table until
//! the table takes them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::dial::{CallRecords, LeaseWrite, RecordError};
use super::error::StoreError;
use lifeline_domain::call::EmergencyCall;

/// A durable place for an emergency call's facts outside the table (an SQS
/// queue): when the table cannot take the call's record in time, a consumer
/// writes it once the table answers again, so presence and e-mail follow.
#[async_trait]
pub trait CallOutbox: Send + Sync {
    /// Keeps `call` (as answered: the caller ID presented) until it is recorded.
    async fn send(&self, call: &EmergencyCall, ttl: DateTime<Utc>) -> Result<(), StoreError>;
}

/// What the outbox consumer needs from the table.
#[async_trait]
pub trait OutboxStore: CallRecords + Send + Sync {
    /// The call's record, only if there is none yet (as the dial writes a
    /// degraded one).
    async fn record_call(
        &self,
        call: &EmergencyCall,
        ttl: DateTime<Utc>,
    ) -> Result<(), RecordError>;
    /// Makes `recorded` say what was presented (`presented`'s caller ID,
    /// degraded, its reason), without the lease: a lease write that
    /// committed after the dial gave up on it must not be announced, nor a
    /// number the platform did not present. Only while the record still
    /// shows `recorded`'s caller ID; whether it did. `lease`: the change to
    /// the lease that number was on (freed, or without this call), in the
    /// same transaction.
    async fn settle_presented(
        &self,
        recorded: &EmergencyCall,
        presented: &EmergencyCall,
        lease: Option<&LeaseWrite>,
    ) -> Result<bool, SettleError>;
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SettleError {
    /// The lease is not the one the change was planned from: read again.
    #[error("lease changed since it was read")]
    LeaseChanged,
    #[error(transparent)]
    Store(#[from] StoreError),
}
