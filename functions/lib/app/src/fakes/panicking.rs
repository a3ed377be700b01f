//! A store whose every call panics, as a bug in a dependency might: for the
//! tests that show a panic below a handler still gets the fail-open answer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::ports::{
    CallRecords, CallbackStore, DialContext, DialStore, EndError, EndStore, KeptEnds, LeaseWrite,
    OutboxStore, PoolCursor, PoolPage, RecordError, SettleError, StoreError,
};
use lifeline_domain::call::{CallEnded, EmergencyCall};
use lifeline_domain::lease::Lease;
use lifeline_domain::numbers::Country;
use lifeline_domain::types::{AgentId, CallId, E164};

#[derive(Debug, Default)]
pub struct PanickingStore;

const BUG: &str = "a bug below the handler";

#[async_trait]
impl CallRecords for PanickingStore {
    async fn call_records(
        &self,
        _: &[CallId],
    ) -> Result<Vec<(CallId, Option<EmergencyCall>)>, StoreError> {
        panic!("{BUG}")
    }
}

#[async_trait]
impl DialStore for PanickingStore {
    async fn dial_context(&self, _: &CallId, _: &AgentId) -> Result<DialContext, StoreError> {
        panic!("{BUG}")
    }
    async fn available_numbers(
        &self,
        _: Country,
        _: DateTime<Utc>,
        _: usize,
        _: Option<&PoolCursor>,
    ) -> Result<PoolPage, StoreError> {
        panic!("{BUG}")
    }
    async fn has_pool(&self, _: Country) -> Result<bool, StoreError> {
        panic!("{BUG}")
    }
    async fn record_emergency(
        &self,
        _: &EmergencyCall,
        _: DateTime<Utc>,
        _: Option<&LeaseWrite>,
    ) -> Result<(), RecordError> {
        panic!("{BUG}")
    }
}

#[async_trait]
impl CallbackStore for PanickingStore {
    async fn lease_for_number(&self, _: &E164) -> Result<Option<Lease>, StoreError> {
        panic!("{BUG}")
    }

    async fn note_callback(
        &self,
        _: &E164,
        _: &lifeline_domain::types::LeaseId,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        panic!("{BUG}")
    }
}

#[async_trait]
impl KeptEnds for PanickingStore {
    async fn keep_end(
        &self,
        _: &CallEnded,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        panic!("{BUG}")
    }
    async fn kept_end(
        &self,
        _: &CallId,
        _: &AgentId,
    ) -> Result<Option<(CallEnded, DateTime<Utc>)>, StoreError> {
        panic!("{BUG}")
    }
    async fn forget_end(&self, _: &CallId, _: &AgentId) -> Result<(), StoreError> {
        panic!("{BUG}")
    }
}

#[async_trait]
impl EndStore for PanickingStore {
    async fn end_context(
        &self,
        _: &CallId,
        _: &AgentId,
    ) -> Result<(Option<EmergencyCall>, Option<Lease>), StoreError> {
        panic!("{BUG}")
    }
    async fn end_chain(
        &self,
        _: &[CallId],
        _: &AgentId,
    ) -> Result<(Vec<(CallId, Option<EmergencyCall>)>, Option<Lease>), StoreError> {
        panic!("{BUG}")
    }
    async fn record_end(
        &self,
        _: &CallId,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
        _: Option<&LeaseWrite>,
    ) -> Result<(), EndError> {
        panic!("{BUG}")
    }
}

#[async_trait]
impl OutboxStore for PanickingStore {
    async fn record_call(&self, _: &EmergencyCall, _: DateTime<Utc>) -> Result<(), RecordError> {
        panic!("{BUG}")
    }
    async fn settle_presented(
        &self,
        _: &EmergencyCall,
        _: &EmergencyCall,
        _: Option<&LeaseWrite>,
    ) -> Result<bool, SettleError> {
        panic!("{BUG}")
    }
}
