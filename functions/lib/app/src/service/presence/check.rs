//! The presence check: time ends, in storage, an emergency override whose
//! calls never reported an end, for calls without a lease (a degraded call:
//! no lease's expiry comes for it). A call's start schedules the agent's
//! check; a firing lifts what is stuck and schedules the next check while
//! calls not yet past the limit hold the override (the rules are
//! `lifeline_domain::expiry::check`).

use std::sync::Arc;

use super::{PresenceError, PresenceService};
use crate::clock::Clock;
use crate::ports::{LeaseScheduler, PresenceStore, ScheduleError, StoreError};
use lifeline_domain::events::CallEvent;
use lifeline_domain::expiry::check::{check_after_firing, check_on_start};
use lifeline_domain::expiry::{ExpirySchedule, PresenceCheck};
use lifeline_domain::presence::PresencePolicy;

#[derive(Debug, Clone, thiserror::Error)]
pub enum CheckError {
    /// The presence could not be read: retried (Lambda's retries).
    #[error("presence not read: {0}")]
    Store(#[from] StoreError),
    /// The check could not be scheduled: retried.
    #[error("presence check not scheduled: {0}")]
    Schedule(#[from] ScheduleError),
    /// The stuck override could not be lifted: the firing is retried.
    #[error("stuck override not lifted: {0}")]
    Lift(#[from] PresenceError),
}

/// What a firing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Stuck calls were lifted in storage (`presence.restored` follows if
    /// nothing else holds the override).
    pub lifted: bool,
    /// The next check, while calls not yet past the limit hold the override.
    pub next: Option<ExpirySchedule>,
}

pub struct PresenceChecks<S, P> {
    store: Arc<S>,
    scheduler: Arc<P>,
    clock: Arc<dyn Clock>,
    policy: PresencePolicy,
    presence: PresenceService<S>,
}

impl<S: PresenceStore, P: LeaseScheduler> PresenceChecks<S, P> {
    pub fn new(
        store: Arc<S>,
        scheduler: Arc<P>,
        clock: Arc<dyn Clock>,
        policy: PresencePolicy,
    ) -> Self {
        PresenceChecks {
            presence: PresenceService::new(store.clone(), clock.clone(), policy),
            store,
            scheduler,
            clock,
            policy,
        }
    }

    /// A call started (`lifeline.call.started`), or its record was corrected
    /// to the number the platform presented, freeing it from its lease
    /// (`lifeline.call.caller_id_corrected`; `at`: when dialed either way):
    /// a call with a lease is left to its lease's expiry; one without gets
    /// the agent's check, at its limit or at an earlier stored call's. The
    /// schedule made, if any.
    pub async fn on_start(&self, call: &CallEvent) -> Result<Option<ExpirySchedule>, CheckError> {
        if call.lease_id.is_some() {
            return Ok(None);
        }
        let (_, stored) = self.store.agent_presence(&call.agent_id).await?;
        let now = self.clock.now();
        let Some(schedule) = check_on_start(
            &self.policy,
            &call.agent_id,
            &call.call_id,
            call.at,
            stored.as_ref(),
            now,
        ) else {
            return Ok(None);
        };
        self.scheduler.upsert(&schedule).await?;
        tracing::info!(agent_id = %call.agent_id, call_id = %call.call_id, schedule = %schedule.name,
            at = %schedule.at, "presence check scheduled for a call without a lease");
        Ok(Some(schedule))
    }

    /// A check fired: lifts what is stuck, then schedules the next check if
    /// calls not yet past the limit still hold the override. Duplicate and
    /// late firings lift nothing more and ask for the same next check.
    pub async fn fire(&self, check: &PresenceCheck) -> Result<Checked, CheckError> {
        let agent = &check.agent_id;
        let lifted = self.presence.lift_stuck(agent).await?;
        let (_, stored) = self.store.agent_presence(agent).await?;
        let state = stored.unwrap_or_default();
        let next = check_after_firing(&self.policy, check, &state, self.clock.now());
        if let Some(s) = &next {
            self.scheduler.upsert(s).await?;
        }
        tracing::info!(agent_id = %agent, lifted, next = ?next.as_ref().map(|s| s.at),
            "presence check fired");
        Ok(Checked { lifted, next })
    }
}

#[cfg(test)]
mod tests;
