//! What acknowledging an incident's alert needs from the table.

use async_trait::async_trait;

use super::error::StoreError;
use lifeline_domain::ack::{Acknowledgement, AlertedRecipient};
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::types::CallId;

/// One incident as an acknowledgement page shows it.
#[derive(Debug, Clone, Default)]
pub struct AckContext {
    /// The call's record (none: no such incident, or it expired).
    pub call: Option<EmergencyCall>,
    /// Everyone its alerts went to.
    pub alerted: Vec<AlertedRecipient>,
    /// Every acknowledgement so far.
    pub acks: Vec<Acknowledgement>,
    /// When the call's record goes (its TTL): the acknowledgements go with it.
    pub keep_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// Makes each alert's personal acknowledgement link (signed by the edge,
/// which holds the key).
pub trait AckLinks: Send + Sync {
    /// The link for `recipient` on `incident`, valid from `now`.
    fn link(
        &self,
        incident: &CallId,
        recipient: &lifeline_domain::ack::RecipientKey,
        now: chrono::DateTime<chrono::Utc>,
    ) -> String;
}

#[async_trait]
pub trait AckStore: Send + Sync {
    /// The incident's call, recipients and acknowledgements, in one read.
    async fn ack_context(&self, incident: &CallId) -> Result<AckContext, StoreError>;
    /// Keeps who an incident's alert went to (the alerting, before it
    /// sends), so their links can be acknowledged; a repeat changes nothing.
    async fn record_alerted(
        &self,
        incident: &CallId,
        recipients: &[AlertedRecipient],
        keep_until: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError>;
    /// Keeps `ack`; the first one also becomes the incident's
    /// acknowledgement (a conditional write: two at once, one is first).
    /// Whether it was the first.
    async fn record_ack(
        &self,
        incident: &CallId,
        ack: &Acknowledgement,
        keep_until: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;
}
