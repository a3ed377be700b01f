//! The end of a lease: the one-time schedule that fires at its end, and
//! the conditional release it triggers.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::error::StoreError;

#[async_trait]
pub trait ReleaseStore: Send + Sync {
    /// Releases the lease a schedule fired for, only if the number still holds
    /// that lease at that version and it is past its hold; `false` otherwise
    /// (a duplicate, stale or early firing: nothing changes).
    async fn release(
        &self,
        expiry: &lifeline_domain::expiry::LeaseExpiry,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ScheduleError {
    /// Throttling, network, a missing group: the record is retried.
    #[error("scheduler unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait LeaseScheduler: Send + Sync {
    /// Creates the one-time schedule, or moves it if it exists.
    async fn upsert(
        &self,
        schedule: &lifeline_domain::expiry::ExpirySchedule,
    ) -> Result<(), ScheduleError>;
}
