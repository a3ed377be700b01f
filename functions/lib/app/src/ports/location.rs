//! The location an agent registered, kept only for an agent with a profile.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::error::StoreError;
use lifeline_domain::location::RegisteredLocation;
use lifeline_domain::types::AgentId;

#[derive(Debug, Clone, thiserror::Error)]
pub enum LocationError {
    #[error("unknown agent `{0}`")]
    UnknownAgent(AgentId),
    /// A later-signed registration is stored (a replay, a straggler).
    #[error("a registration signed at {0} is older than the one stored")]
    Stale(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait LocationStore: Send + Sync {
    /// Whether the agent has a profile, and the location they registered,
    /// in one read.
    async fn registered_location(
        &self,
        agent: &AgentId,
    ) -> Result<(bool, Option<RegisteredLocation>), StoreError>;
    /// Keeps `registered` as the agent's location until `ttl`, in one write
    /// that holds only if the agent has a profile and no registration signed
    /// after `registered.signed_at` is stored ([`LocationError::Stale`]).
    async fn register_location(
        &self,
        agent: &AgentId,
        registered: &RegisteredLocation,
        ttl: DateTime<Utc>,
    ) -> Result<(), LocationError>;
}
