//! The tenant's escalation policy, as the admin CLI and the alerting read it.

use async_trait::async_trait;

use super::error::StoreError;
use lifeline_domain::escalation::EscalationPolicy;

#[async_trait]
pub trait EscalationStore: Send + Sync {
    /// The policy (the default, with no tier, when none was set).
    async fn escalation_policy(&self) -> Result<EscalationPolicy, StoreError>;
    async fn put_escalation_policy(&self, policy: &EscalationPolicy) -> Result<(), StoreError>;
}

/// Where an escalation step stands, as its firing finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepBegun {
    /// This firing sends it: to the recipients `progress` does not show
    /// settled (an earlier firing's sends).
    Claimed(super::NotifyProgress),
    /// Every recipient of the step is settled: nothing to send again.
    Done,
    /// Another firing is sending it now: retry later.
    Busy,
}

/// Each escalation step of an incident, so a step is alerted once however
/// often it fires: claimed by one firing at a time, its progress kept while
/// any recipient is pending, and marked done.
#[async_trait]
pub trait EscalationSteps: Send + Sync {
    /// Claims `step` of `incident` until `claim_until`, unless it is done
    /// or another firing holds it. Its items expire at `ttl`.
    async fn begin_step(
        &self,
        incident: &lifeline_domain::types::CallId,
        step: lifeline_domain::escalation::StepKey,
        now: chrono::DateTime<chrono::Utc>,
        claim_until: chrono::DateTime<chrono::Utc>,
        ttl: chrono::DateTime<chrono::Utc>,
    ) -> Result<StepBegun, StoreError>;
    /// Keeps the step's progress and lets go of the claim; `done`: every
    /// recipient is settled.
    async fn end_step(
        &self,
        incident: &lifeline_domain::types::CallId,
        step: lifeline_domain::escalation::StepKey,
        progress: &super::NotifyProgress,
        done: bool,
    ) -> Result<(), StoreError>;
}
