//! The voice platform's agent status, and what Lifeline remembers of it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::error::StoreError;
use lifeline_domain::call::AgentProfile;
use lifeline_domain::types::AgentId;

/// What the platform presence sync reads, in one request: the agent's
/// profile, whether Lifeline's override is in force now, and what was
/// remembered on the platform's behalf.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlatformContext {
    pub profile: Option<AgentProfile>,
    pub override_active: bool,
    pub remembered: Option<lifeline_domain::platform::RememberedStatus>,
}

#[async_trait]
pub trait PlatformStateStore: Send + Sync {
    async fn platform_context(&self, agent: &AgentId) -> Result<PlatformContext, StoreError>;
    async fn remember_status(
        &self,
        agent: &AgentId,
        remembered: &lifeline_domain::platform::RememberedStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn forget_status(&self, agent: &AgentId) -> Result<(), StoreError>;
}

/// Why a platform call did not go through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformError {
    /// Throttled, unreachable, a server error: retried.
    #[error("platform unavailable: {0}")]
    Unavailable(String),
    /// Refused (unknown user, status, permissions): retried too (an admin
    /// may fix it), and then kept with its event.
    #[error("platform refused: {0}")]
    Refused(String),
}

/// The voice platform's agent status (Amazon Connect, Twilio TaskRouter).
#[async_trait]
pub trait PlatformPresence: Send + Sync {
    /// For logs and metrics: `connect`, `twilio`.
    fn platform(&self) -> &'static str;
    /// The agent's user on this platform, from the profile.
    fn user_of<'a>(&self, profile: &'a AgentProfile) -> Option<&'a str>;
    /// The status an emergency call puts on (unavailable for routing).
    fn emergency_status(&self) -> &str;
    /// What the platform shows of the user now: the current status, and on
    /// a platform with next statuses (Connect) the next one and whether the
    /// user is on a contact.
    async fn view(
        &self,
        user: &str,
    ) -> Result<lifeline_domain::platform::PlatformView, PlatformError>;
    /// Sets the user's status (on Connect, during a contact: the next status).
    async fn set(&self, user: &str, status_id: &str) -> Result<(), PlatformError>;
}
