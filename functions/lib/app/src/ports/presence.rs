//! The agent's presence, saved only over the version that was read.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::error::StoreError;
use lifeline_domain::types::AgentId;

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
