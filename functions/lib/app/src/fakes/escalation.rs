//! The escalation policy, in memory.

use async_trait::async_trait;

use chrono::{DateTime, Utc};

use super::store::MemoryStore;
use crate::ports::{EscalationSteps, EscalationStore, NotifyProgress, StepBegun, StoreError};
use lifeline_domain::escalation::{EscalationPolicy, StepKey};
use lifeline_domain::types::CallId;

#[async_trait]
impl EscalationStore for MemoryStore {
    async fn escalation_policy(&self) -> Result<EscalationPolicy, StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| s.escalation.clone().unwrap_or_default()))
    }

    async fn put_escalation_policy(&self, policy: &EscalationPolicy) -> Result<(), StoreError> {
        self.check(true)?;
        self.with_state(|s| s.escalation = Some(policy.clone()));
        Ok(())
    }
}

#[async_trait]
impl EscalationSteps for MemoryStore {
    async fn begin_step(
        &self,
        incident: &CallId,
        step: StepKey,
        now: DateTime<Utc>,
        claim_until: DateTime<Utc>,
        _ttl: DateTime<Utc>,
    ) -> Result<StepBegun, StoreError> {
        self.check(true)?;
        Ok(self.with_state(|s| {
            let stored = s
                .escalation_steps
                .entry((incident.clone(), step))
                .or_default();
            if stored.done {
                StepBegun::Done
            } else if stored.claim_until.is_some_and(|until| until >= now) {
                StepBegun::Busy
            } else {
                stored.claim_until = Some(claim_until);
                StepBegun::Claimed(stored.progress.clone())
            }
        }))
    }

    async fn end_step(
        &self,
        incident: &CallId,
        step: StepKey,
        progress: &NotifyProgress,
        done: bool,
    ) -> Result<(), StoreError> {
        self.check(true)?;
        self.with_state(|s| {
            let stored = s
                .escalation_steps
                .entry((incident.clone(), step))
                .or_default();
            stored.claim_until = None;
            stored.progress = progress.clone();
            stored.done |= done;
        });
        Ok(())
    }
}
