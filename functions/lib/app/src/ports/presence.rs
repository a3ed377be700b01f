//! The agent's presence, saved only over the version that was read.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::error::StoreError;
use lifeline_domain::presence::{PresenceState, RecordedCall};
use lifeline_domain::types::{AgentId, CallId};

/// Whether the agent has a profile, their presence, and the call's record.
pub type PresenceAndCall = (bool, Option<PresenceState>, Option<RecordedCall>);

#[derive(Debug, Clone, thiserror::Error)]
pub enum SaveError {
    /// Someone saved in between: read again and retry.
    #[error("presence changed since it was read")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait PresenceStore: Send + Sync {
    /// Whether the agent has a profile, and their presence, in one read.
    async fn agent_presence(
        &self,
        agent: &AgentId,
    ) -> Result<(bool, Option<lifeline_domain::presence::PresenceState>), StoreError>;
    /// The same, and what is recorded of `call`, in the same one read (a
    /// call event is acted on only if its record bears it out).
    async fn agent_presence_and_call(
        &self,
        agent: &AgentId,
        call: &CallId,
    ) -> Result<PresenceAndCall, StoreError>;
    /// Saves `state` if the stored version is still `state.version` (0: none
    /// stored yet); the stored item then has version `state.version + 1`.
    async fn save_presence(
        &self,
        agent: &AgentId,
        state: &lifeline_domain::presence::PresenceState,
        view: lifeline_domain::presence::PresenceView,
        now: DateTime<Utc>,
    ) -> Result<(), SaveError>;
}
