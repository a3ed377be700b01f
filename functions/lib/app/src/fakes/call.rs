//! The end of a call, and the lease a callback reaches, in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::faults::WriteOp;
use super::lease::{apply_lease, lease_ok};
use super::store::MemoryStore;
use crate::ports::{
    CallRecords, CallbackStore, EndError, EndStore, KeptEnds, LeaseWrite, StoreError,
};
use lifeline_domain::call::{CallEnded, EmergencyCall};
use lifeline_domain::lease::Lease;
use lifeline_domain::types::{AgentId, CallId, E164};

#[async_trait]
impl EndStore for MemoryStore {
    async fn end_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<(Option<EmergencyCall>, Option<Lease>), StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| (s.calls.get(call).cloned(), s.pointers.get(agent).cloned())))
    }

    async fn end_chain(
        &self,
        ids: &[CallId],
        agent: &AgentId,
    ) -> Result<(Vec<(CallId, Option<EmergencyCall>)>, Option<Lease>), StoreError> {
        let records = self.call_records(ids).await?;
        Ok((records, self.with_state(|s| s.pointers.get(agent).cloned())))
    }

    async fn record_end(
        &self,
        call: &CallId,
        ended_at: DateTime<Utc>,
        _ttl: DateTime<Utc>,
        lease: Option<&LeaseWrite>,
    ) -> Result<(), EndError> {
        self.check(true)?;
        self.with_state(|s| {
            match s.calls.get(call) {
                Some(c) if c.ended_at.is_none() => {}
                _ => return Err(EndError::AlreadyEnded),
            }
            if let Some(w) = lease {
                lease_ok(s, w).map_err(|_| EndError::LeaseChanged)?;
                apply_lease(s, w);
            }
            if let Some(c) = s.calls.get_mut(call) {
                c.ended_at = Some(ended_at);
            }
            Ok(())
        })?;
        self.answer(WriteOp::RecordEnd).await;
        Ok(())
    }
}

#[async_trait]
impl KeptEnds for MemoryStore {
    async fn keep_end(
        &self,
        ended: &CallEnded,
        kept_at: DateTime<Utc>,
        _ttl: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.check(true)?;
        let key = (ended.call_id.clone(), ended.agent_id.clone());
        self.with_state(|s| s.kept_ends.insert(key, (ended.clone(), kept_at)));
        Ok(())
    }

    async fn kept_end(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<Option<(CallEnded, DateTime<Utc>)>, StoreError> {
        self.check(false)?;
        let key = (call.clone(), agent.clone());
        Ok(self.with_state(|s| s.kept_ends.get(&key).cloned()))
    }

    async fn forget_end(&self, call: &CallId, agent: &AgentId) -> Result<(), StoreError> {
        self.check(true)?;
        let key = (call.clone(), agent.clone());
        self.with_state(|s| s.kept_ends.remove(&key));
        Ok(())
    }
}

#[async_trait]
impl CallbackStore for MemoryStore {
    async fn lease_for_number(&self, number: &E164) -> Result<Option<Lease>, StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| s.numbers.get(number).and_then(|n| n.lease.clone())))
    }

    async fn note_callback(
        &self,
        number: &E164,
        lease: &lifeline_domain::types::LeaseId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.check(true)?;
        self.with_state(|s| s.callbacks.push((number.clone(), lease.clone(), at)));
        Ok(())
    }
}
