//! `callback-lease`: the lease's scheduled expiry. Two triggers, one function,
//! both asynchronous invocations: `lifeline.lease.changed` on the bus (a
//! number's lease created or its hold moved → create or move its one
//! schedule) and EventBridge Scheduler (the schedule fired → release the
//! lease if it is still the same one, past its hold). A failure is retried
//! by Lambda and then kept, with its event, in the function's failure queue.
//!
//! A firing also lifts, in storage, the holder's emergency override if its
//! calls never reported an end within the active-call limit (a crashed
//! desktop): the hold of a lease whose call never ended lasts that limit,
//! so the firing comes when the override is due to end. `presence.restored`
//! then follows, and the platform's status with it.
//!
//! A call without a lease (a degraded answer: the agent's own number) has
//! no lease to expire: its `lifeline.call.started` (or the
//! `lifeline.call.caller_id_corrected` that freed it from its lease)
//! schedules the agent's presence check instead (`{"presenceCheck": …}`),
//! whose firing lifts the stuck override the same way and checks again
//! while a later call holds it.

use lifeline_app::clock::Clock;
use lifeline_app::ports::{LeaseScheduler, PresenceStore, ReleaseStore};
use lifeline_app::service::lease::{Expired, LeaseLifecycle};
use lifeline_app::service::presence::check::{CheckError, PresenceChecks};
use lifeline_app::service::presence::PresenceService;
use lifeline_domain::events::{CallEvent, DomainEvent, LeaseChanged};
use lifeline_domain::expiry::{LeaseExpiry, PresenceCheck, ScheduleInput};
use lifeline_domain::presence::PresencePolicy;
use lifeline_edge::events::decode;
use lifeline_edge::lambda::EventHandler;
use serde_json::{json, Value};
use std::sync::Arc;

pub struct CallbackLease<S, P> {
    lifecycle: LeaseLifecycle<S, P>,
    presence: PresenceService<S>,
    checks: PresenceChecks<S, P>,
}

#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// Lambda retries the firing, then keeps it in the failure queue.
    #[error("release not recorded: {0}")]
    Store(#[from] lifeline_app::ports::StoreError),
    /// Lambda retries the event, then keeps it in the failure queue.
    #[error("expiry not scheduled: {0}")]
    Schedule(#[from] lifeline_app::ports::ScheduleError),
    /// A presence check not scheduled, or its firing not done: retried.
    #[error(transparent)]
    Check(#[from] CheckError),
    #[error(transparent)]
    BadEvent(#[from] lifeline_edge::events::BadEvent),
    #[error("unrecognised event: {0}")]
    Unrecognised(String),
}

impl<S: ReleaseStore + PresenceStore, P: LeaseScheduler> CallbackLease<S, P> {
    /// `policy`: the active-call limit after which an override is lifted.
    pub fn new(
        store: Arc<S>,
        scheduler: Arc<P>,
        clock: Arc<dyn Clock>,
        policy: PresencePolicy,
    ) -> Self {
        CallbackLease {
            presence: PresenceService::new(store.clone(), clock.clone(), policy),
            checks: PresenceChecks::new(store.clone(), scheduler.clone(), clock.clone(), policy),
            lifecycle: LeaseLifecycle::new(store, scheduler, clock),
        }
    }

    /// The Lambda entry: a lease's change, a call's start or correction
    /// (events on the bus), or a schedule's input (a firing).
    pub async fn invoke(&self, payload: Value) -> Result<Value, LeaseError> {
        if payload.get("detail-type").is_some() {
            let event = decode(&payload)?;
            return match &event {
                DomainEvent::LeaseChanged(change) => self.on_lease_changed(change, &event).await,
                DomainEvent::CallStarted(call) | DomainEvent::CallerIdCorrected(call) => {
                    self.on_call(call, &event).await
                }
                _ => Ok(json!({ "ignored": event.detail_type() })),
            };
        }
        let input: ScheduleInput = serde_json::from_value(payload).map_err(|e| {
            LeaseError::Unrecognised(format!(
                "neither an event, a lease expiry nor a presence check: {e}"
            ))
        })?;
        match input {
            ScheduleInput::Lease(expiry) => self.expire(&expiry).await,
            ScheduleInput::Presence { check } => self.check(&check).await,
            // The notifier's: a schedule aimed here by mistake alerts nobody.
            ScheduleInput::Escalation { .. } => Err(LeaseError::Unrecognised(
                "an escalation firing: the notifier's, not callback-lease's".into(),
            )),
        }
    }

    /// A number's lease changed: its expiry scheduled or moved.
    async fn on_lease_changed(
        &self,
        change: &LeaseChanged,
        event: &DomainEvent,
    ) -> Result<Value, LeaseError> {
        let (before, after) = change.leases();
        let scheduled = self
            .lifecycle
            .on_change(before.as_ref(), after.as_ref())
            .await
            .inspect_err(|e| {
                // Correctness does not wait for this: readers treat a lease past its hold as over.
                tracing::warn!(subject = %event.subject(), error = %e, "lease expiry not scheduled; Lambda retries");
            })?;
        Ok(json!({ "scheduled": scheduled }))
    }

    /// A call started, or its record was corrected to the number the
    /// platform presented (freed from its lease): one without a lease gets
    /// its agent's presence check (when it is due; `null`: none needed).
    async fn on_call(&self, call: &CallEvent, event: &DomainEvent) -> Result<Value, LeaseError> {
        let check = self.checks.on_start(call).await.inspect_err(|e| {
            tracing::warn!(subject = %event.subject(), error = %e, "presence check not scheduled; Lambda retries");
        })?;
        Ok(json!({ "presenceCheck": check.map(|s| s.at) }))
    }

    /// A lease's expiry fired.
    async fn expire(&self, expiry: &LeaseExpiry) -> Result<Value, LeaseError> {
        let outcome = self.lifecycle.expire(expiry).await?;
        let lifted = self.lift_stuck(expiry).await;
        Ok(json!({ "released": outcome == Expired::Released, "overrideLifted": lifted }))
    }

    /// An agent's presence check fired.
    async fn check(&self, check: &PresenceCheck) -> Result<Value, LeaseError> {
        let checked = self.checks.fire(check).await.inspect_err(|e| {
            tracing::warn!(agent_id = %check.agent_id, error = %e, "presence check failed; Lambda retries");
        })?;
        Ok(json!({ "overrideLifted": checked.lifted, "nextCheck": checked.next.map(|s| s.at) }))
    }

    /// The holder's override, lifted if its calls are past the limit;
    /// whether it was. A failure is logged, not retried: the `GET` view
    /// already shows the override lifted, and the next change writes it.
    async fn lift_stuck(&self, expiry: &LeaseExpiry) -> bool {
        let Some(agent) = expiry.agent_id.as_deref().and_then(|a| a.parse().ok()) else {
            return false;
        };
        match self.presence.lift_stuck(&agent).await {
            Ok(lifted) => lifted,
            Err(e) => {
                tracing::warn!(agent_id = %agent, error = %e, "stuck override not lifted in storage");
                false
            }
        }
    }
}

#[async_trait::async_trait]
impl<S: ReleaseStore + PresenceStore + 'static, P: LeaseScheduler + 'static> EventHandler
    for CallbackLease<S, P>
{
    async fn invoke(&self, payload: Value) -> Result<Value, lambda_runtime::Diagnostic> {
        CallbackLease::invoke(self, payload)
            .await
            .map_err(Into::into)
    }
}

/// How the Lambda runtime reports a failed invocation (the scheduler then retries).
impl From<LeaseError> for lambda_runtime::Diagnostic {
    fn from(e: LeaseError) -> Self {
        let error_type = match e {
            LeaseError::Store(_) => "StoreUnavailable",
            LeaseError::Schedule(_) => "SchedulerUnavailable",
            LeaseError::Check(CheckError::Store(_)) => "StoreUnavailable",
            LeaseError::Check(CheckError::Schedule(_)) => "SchedulerUnavailable",
            LeaseError::Check(CheckError::Lift(_)) => "PresenceNotLifted",
            LeaseError::BadEvent(_) => "BadEvent",
            LeaseError::Unrecognised(_) => "UnrecognisedEvent",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
