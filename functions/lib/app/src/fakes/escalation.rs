//! The escalation policy, in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::ports::{EscalationStore, StoreError};
use lifeline_domain::escalation::EscalationPolicy;

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
