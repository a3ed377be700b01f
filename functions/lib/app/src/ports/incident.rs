//! The incidents' store: each call's incident, its head and timeline
//! (`INCIDENT#<callId>`: `HEAD`, `T#<at>#<kind>#<discriminator>`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::dial::CallRecords;
use super::error::StoreError;
use lifeline_domain::incident::{Acknowledgement, Entry, Incident};
use lifeline_domain::types::CallId;

/// One incident as stored: its head (none while only entries are there),
/// the head's version (0: none), its timeline sorted by time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IncidentRecord {
    pub head: Option<Incident>,
    pub version: u64,
    pub timeline: Vec<Entry>,
}

/// Which incidents a listing wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentFilter {
    /// Every open incident.
    Open,
    /// The open ones and those closed that opened since `since`, at most `limit`,
    /// newest first.
    Recent { since: DateTime<Utc>, limit: usize },
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum HeadError {
    /// Someone saved the head in between: read again and retry.
    #[error("the incident's head changed since it was read")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What recording an acknowledgement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckRecorded {
    /// It became the incident's acknowledgement.
    pub first: bool,
    /// Who acknowledged before (when it was not the first).
    pub previous: Option<Acknowledgement>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum AckRecordError {
    /// No incident head for the call (not opened yet, or expired).
    #[error("no incident for call {0}")]
    NoIncident(CallId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait IncidentStore: CallRecords + Send + Sync {
    /// Adds `entry` to `call`'s timeline unless an entry with its key is
    /// there (a redelivered event adds nothing); `true` if added. Every
    /// item expires at `ttl`.
    async fn append_entry(
        &self,
        call: &CallId,
        entry: &Entry,
        ttl: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// The incident's head and timeline, in one consistent read.
    async fn incident(&self, call: &CallId) -> Result<IncidentRecord, StoreError>;
    /// Opens or updates the head, if its version is still `version` (0: no
    /// head yet); the stored head then has `version + 1`. The stored
    /// acknowledgement is kept whatever `head` says (only
    /// [`IncidentStore::record_acknowledgement`] sets it).
    async fn save_head(
        &self,
        head: &Incident,
        version: u64,
        ttl: DateTime<Utc>,
    ) -> Result<(), HeadError>;
    /// Appends the acknowledgement's entry and, if the head has none yet,
    /// makes it the incident's (a conditional write: of two at once, one
    /// is first).
    async fn record_acknowledgement(
        &self,
        call: &CallId,
        ack: &Acknowledgement,
        ttl: DateTime<Utc>,
    ) -> Result<AckRecorded, AckRecordError>;
    /// Heads by the filter, newest first (a query of the sparse
    /// `incidents` index, never a scan).
    async fn incidents(&self, filter: IncidentFilter) -> Result<Vec<Incident>, StoreError>;
}
