//! Acknowledgements, in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::ports::{AckContext, AckStore, StoreError};
use lifeline_domain::ack::{Acknowledgement, AlertedRecipient};
use lifeline_domain::types::CallId;

#[async_trait]
impl AckStore for MemoryStore {
    async fn ack_context(&self, incident: &CallId) -> Result<AckContext, StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| AckContext {
            call: s.calls.get(incident).cloned(),
            alerted: s.alerted.get(incident).cloned().unwrap_or_default(),
            acks: s.acks.get(incident).cloned().unwrap_or_default(),
            keep_until: None,
        }))
    }

    async fn record_alerted(
        &self,
        incident: &CallId,
        recipients: &[AlertedRecipient],
        _keep_until: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.check(true)?;
        self.with_state(|s| {
            let alerted = s.alerted.entry(incident.clone()).or_default();
            for r in recipients {
                if !alerted.iter().any(|a| a.key == r.key) {
                    alerted.push(r.clone());
                }
            }
        });
        Ok(())
    }

    async fn record_ack(
        &self,
        incident: &CallId,
        ack: &Acknowledgement,
        _keep_until: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        self.check(true)?;
        Ok(self.with_state(|s| {
            let acks = s.acks.entry(incident.clone()).or_default();
            let first = acks.is_empty();
            acks.push(ack.clone());
            first
        }))
    }
}
