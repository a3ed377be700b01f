//! The outbox in memory, and the table side of its consumer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::faults::WriteOp;
use super::lease::{apply_lease, lease_ok};
use super::store::MemoryStore;
use crate::ports::{
    CallOutbox, DialStore, LeaseWrite, OutboxStore, RecordError, SettleError, StoreError,
};
use lifeline_domain::call::EmergencyCall;

/// Messages kept in order; can be made to fail.
#[derive(Debug, Default)]
pub struct MemoryCallOutbox {
    pub messages: Mutex<Vec<(EmergencyCall, DateTime<Utc>)>>,
    failing: AtomicBool,
}

impl MemoryCallOutbox {
    pub fn set_failing(&self, fail: bool) {
        self.failing.store(fail, Ordering::SeqCst);
    }

    pub fn sent(&self) -> Vec<EmergencyCall> {
        self.messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(c, _)| c.clone())
            .collect()
    }
}

#[async_trait]
impl CallOutbox for MemoryCallOutbox {
    async fn send(&self, call: &EmergencyCall, ttl: DateTime<Utc>) -> Result<(), StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("injected outbox fault".into()));
        }
        self.messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((call.clone(), ttl));
        Ok(())
    }
}

#[async_trait]
impl OutboxStore for MemoryStore {
    async fn record_call(
        &self,
        call: &EmergencyCall,
        ttl: DateTime<Utc>,
    ) -> Result<(), RecordError> {
        self.record_emergency(call, ttl, None).await
    }

    async fn settle_presented(
        &self,
        recorded: &EmergencyCall,
        presented: &EmergencyCall,
        lease: Option<&LeaseWrite>,
    ) -> Result<bool, SettleError> {
        self.check(true)?;
        let settled = self.with_state(|s| -> Result<bool, SettleError> {
            match s.calls.get(&recorded.call_id) {
                Some(c) if c.caller_id == recorded.caller_id => {
                    if let Some(w) = lease {
                        lease_ok(s, w).map_err(|_| SettleError::LeaseChanged)?;
                        apply_lease(s, w);
                    }
                    let Some(c) = s.calls.get_mut(&recorded.call_id) else {
                        return Ok(false);
                    };
                    c.caller_id = presented.caller_id.clone();
                    c.degraded = true;
                    c.reason = presented.reason;
                    c.leased_number = None;
                    c.lease_id = None;
                    c.callback_expires_at = None;
                    Ok(true)
                }
                _ => Ok(false),
            }
        })?;
        self.answer(WriteOp::SettlePresented).await;
        Ok(settled)
    }
}
