//! Lifeline's Do Not Disturb on the voice platform: on
//! `lifeline.presence.overridden` put the platform's emergency status on,
//! remembering the one it replaced; on `lifeline.presence.restored` put that
//! one back unless someone changed it meanwhile. On a platform where a
//! status set during a contact becomes the next status (Connect), "on" and
//! "put back" are about the status the agent lands in once the contact and
//! its after-contact work end. Lifeline's presence state
//! decides (an event that no longer agrees with it is stale and skipped);
//! the platform call only applies it. Off the dial's path: an error is
//! retried by Lambda and then kept with its event.

use std::sync::Arc;

use crate::clock::Clock;
use crate::ports::{PlatformError, PlatformPresence, PlatformStateStore, StoreError};
use lifeline_domain::platform::{
    on_override, on_restore, OverrideStep, RememberedStatus, RestoreStep,
};
use lifeline_domain::types::AgentId;

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformOutcome {
    /// The emergency status was put on.
    Applied,
    /// The remembered status was put back.
    Restored,
    /// Already done, someone else's status kept, or nothing remembered.
    Unchanged(&'static str),
    /// The event no longer agrees with Lifeline's presence (a late duplicate).
    Stale,
    /// The agent has no user on this platform (profile field unset).
    NoPlatformUser,
}

#[derive(Debug, thiserror::Error)]
pub enum PlatformSyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Platform(#[from] PlatformError),
}

pub struct PlatformPresenceService<S, P> {
    store: Arc<S>,
    platform: Arc<P>,
    clock: Arc<dyn Clock>,
}

impl<S: PlatformStateStore, P: PlatformPresence> PlatformPresenceService<S, P> {
    pub fn new(store: Arc<S>, platform: Arc<P>, clock: Arc<dyn Clock>) -> Self {
        PlatformPresenceService {
            store,
            platform,
            clock,
        }
    }

    /// The override started (`episode`: the call that started it).
    pub async fn overridden(
        &self,
        agent: &AgentId,
        episode: &str,
    ) -> Result<PlatformOutcome, PlatformSyncError> {
        let ctx = self.store.platform_context(agent).await?;
        if !ctx.override_active {
            return Ok(PlatformOutcome::Stale);
        }
        let Some(user) = ctx.profile.as_ref().and_then(|p| self.platform.user_of(p)) else {
            return Ok(PlatformOutcome::NoPlatformUser);
        };
        let emergency = self.platform.emergency_status();
        let view = self.platform.view(user).await?;
        match on_override(&view, emergency, ctx.remembered.as_ref(), episode) {
            OverrideStep::Done => Ok(PlatformOutcome::Unchanged("already applied")),
            OverrideStep::MarkApplied => {
                self.mark(agent, &ctx.remembered, episode, view.lands_in())
                    .await?;
                Ok(PlatformOutcome::Applied)
            }
            OverrideStep::Apply { previous } => {
                let now = self.clock.now();
                let mut memory = RememberedStatus {
                    previous,
                    episode: episode.to_string(),
                    applied: false,
                };
                // Remembered before it is replaced: a crash in between leaves
                // a memory to restore from, never a status nobody can restore.
                self.store.remember_status(agent, &memory, now).await?;
                self.platform.set(user, emergency).await?;
                memory.applied = true;
                self.store.remember_status(agent, &memory, now).await?;
                tracing::info!(agent_id = %agent, platform = self.platform.platform(),
                    previous = %memory.previous.name, pending_until_contact_ends = view.on_contact,
                    "platform status set to the emergency status");
                Ok(PlatformOutcome::Applied)
            }
        }
    }

    /// The override ended (the agent's last emergency call is over).
    pub async fn restored(&self, agent: &AgentId) -> Result<PlatformOutcome, PlatformSyncError> {
        let ctx = self.store.platform_context(agent).await?;
        if ctx.override_active {
            return Ok(PlatformOutcome::Stale);
        }
        let Some(user) = ctx.profile.as_ref().and_then(|p| self.platform.user_of(p)) else {
            return Ok(PlatformOutcome::NoPlatformUser);
        };
        let view = self.platform.view(user).await?;
        let outcome = match on_restore(
            &view,
            self.platform.emergency_status(),
            ctx.remembered.as_ref(),
        ) {
            RestoreStep::NothingRemembered => {
                return Ok(PlatformOutcome::Unchanged("nothing remembered"))
            }
            RestoreStep::LeaveTheirs => {
                tracing::info!(agent_id = %agent, platform = self.platform.platform(), now = %view.current.name,
                    next = view.next.as_ref().map(|n| n.name.as_str()).unwrap_or(""),
                    "platform status changed during the call; left as it is");
                PlatformOutcome::Unchanged("changed meanwhile")
            }
            RestoreStep::PutBack(previous) => {
                self.platform.set(user, &previous.id).await?;
                tracing::info!(agent_id = %agent, platform = self.platform.platform(),
                    restored = %previous.name, pending_until_contact_ends = view.on_contact,
                    "platform status restored");
                PlatformOutcome::Restored
            }
        };
        self.store.forget_status(agent).await?;
        Ok(outcome)
    }

    async fn mark(
        &self,
        agent: &AgentId,
        remembered: &Option<RememberedStatus>,
        episode: &str,
        current: &lifeline_domain::platform::PlatformStatus,
    ) -> Result<(), StoreError> {
        let memory = RememberedStatus {
            previous: remembered
                .as_ref()
                .map(|r| r.previous.clone())
                .unwrap_or_else(|| current.clone()),
            episode: episode.to_string(),
            applied: true,
        };
        self.store
            .remember_status(agent, &memory, self.clock.now())
            .await
    }
}
