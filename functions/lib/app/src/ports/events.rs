//! Domain events on the bus, and the keeper of deliveries that failed.

use async_trait::async_trait;

use super::error::StoreError;

/// One domain event as the bus takes it: its detail-type and its detail (JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusEntry {
    pub detail_type: String,
    pub detail: String,
}

/// Why a publication stopped: the entries before `first_failed` are on the
/// bus; that one and the ones after may not be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {first_failed} not published: {reason}")]
pub struct PublishError {
    pub first_failed: usize,
    pub reason: String,
}

/// Lifeline's event bus.
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes `entries` in order (in as few requests as the bus allows).
    async fn publish(&self, entries: &[BusEntry]) -> Result<(), PublishError>;
}

/// Where a delivery that cannot succeed is kept, with its payload, for an
/// admin to read and replay (`lifeline dlq`).
#[async_trait]
pub trait FailureKeeper: Send + Sync {
    /// Keeps `message` (a failure record, JSON).
    async fn keep(&self, message: String) -> Result<(), StoreError>;
}
