//! The lease's life after the dial: a change of a number's lease (seen on the
//! stream) creates or moves its one expiry schedule; a firing releases it if
//! it is still the same lease past its hold.

use std::sync::Arc;

use crate::clock::Clock;
use crate::ports::{LeaseScheduler, ReleaseStore, ScheduleError, StoreError};
use lifeline_domain::expiry::{schedule_change, LeaseExpiry};
use lifeline_domain::lease::Lease;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expired {
    Released,
    /// Duplicate, stale (the lease moved on) or early: nothing changed.
    Unchanged,
}

pub struct LeaseLifecycle<S, P> {
    store: Arc<S>,
    scheduler: Arc<P>,
    clock: Arc<dyn Clock>,
}

impl<S: ReleaseStore, P: LeaseScheduler> LeaseLifecycle<S, P> {
    pub fn new(store: Arc<S>, scheduler: Arc<P>, clock: Arc<dyn Clock>) -> Self {
        LeaseLifecycle {
            store,
            scheduler,
            clock,
        }
    }

    /// A number item changed: schedule the lease's expiry if it is new or
    /// its hold moved. An error means "retry the record".
    pub async fn on_change(
        &self,
        old: Option<&Lease>,
        new: Option<&Lease>,
    ) -> Result<bool, ScheduleError> {
        let Some(schedule) = schedule_change(old, new) else {
            return Ok(false);
        };
        self.scheduler.upsert(&schedule).await?;
        tracing::info!(schedule = %schedule.name, at = %schedule.at, version = new.map(|l| l.version),
            "lease expiry scheduled");
        Ok(true)
    }

    /// A schedule fired.
    pub async fn expire(&self, expiry: &LeaseExpiry) -> Result<Expired, StoreError> {
        let now = self.clock.now();
        if self.store.release(expiry, now).await? {
            tracing::info!(lease_id = %expiry.lease_id, version = expiry.version, "lease released");
            Ok(Expired::Released)
        } else {
            tracing::info!(lease_id = %expiry.lease_id, version = expiry.version,
                "expiry firing changed nothing (duplicate, stale or early)");
            Ok(Expired::Unchanged)
        }
    }
}
