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
