//! Presence: the override driven by call starts and ends, and the platform's
//! reports. Every change is a read, a pure transition and a conditional write,
//! retried on conflict.

use std::sync::Arc;

use crate::clock::Clock;
use crate::ports::{PresenceStore, SaveError, StoreError};
use lifeline_domain::call::CallChange;
use lifeline_domain::presence::{
    confirm, PresencePolicy, PresenceState, PresenceView, StaleReport, Status, Unconfirmed,
};
use lifeline_domain::types::AgentId;

pub mod check;

const MAX_ATTEMPTS: usize = 8;

#[derive(Debug, Clone, thiserror::Error)]
pub enum PresenceError {
    #[error("no agent `{0}`")]
    UnknownAgent(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("presence kept changing; try again")]
    Contention,
    /// A report signed before one already applied (a replay, a straggler).
    #[error(transparent)]
    Stale(#[from] StaleReport),
    /// A call event the table does not bear out (forged, or about a record
    /// long gone): nothing changed.
    #[error(transparent)]
    Unconfirmed(#[from] Unconfirmed),
}

pub struct PresenceService<S> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    policy: PresencePolicy,
}

impl<S: PresenceStore> PresenceService<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, policy: PresencePolicy) -> Self {
        PresenceService {
            store,
            clock,
            policy,
        }
    }

    /// Applies a call's start or end (from the bus), if the call's record,
    /// read with the presence, bears it out.
    pub async fn apply(&self, change: &CallChange) -> Result<PresenceView, PresenceError> {
        self.update(change.agent(), Need::RecordOf(change), |s| {
            Ok(match change {
                CallChange::Started { call, at, .. } => s.start(call, *at),
                CallChange::Ended { call, at, .. } => s.end(call, *at),
            })
        })
        .await
    }

    /// The platform reports a status (`PUT /agents/{id}/presence`).
    pub async fn report(
        &self,
        agent: &AgentId,
        status: Status,
    ) -> Result<PresenceView, PresenceError> {
        self.update(agent, Need::Profile, |s| Ok(s.report(status)))
            .await
    }

    /// The same, signed at `signed_at` (unix seconds): refused as
    /// [`PresenceError::Stale`] when a later-signed report was applied.
    pub async fn report_signed(
        &self,
        agent: &AgentId,
        status: Status,
        signed_at: i64,
    ) -> Result<PresenceView, PresenceError> {
        self.update(agent, Need::Profile, |s| {
            Ok(s.report_signed(status, signed_at)?)
        })
        .await
    }

    /// Lifts, in storage, an override whose calls never reported an end
    /// within the limit (a crashed desktop): the stored presence then says
    /// so, `presence.restored` follows, and the platform with it. Whether
    /// any was; nothing is written when none is stuck.
    pub async fn lift_stuck(&self, agent: &AgentId) -> Result<bool, PresenceError> {
        let (_, stored) = self.store.agent_presence(agent).await?;
        let state = stored.unwrap_or_default();
        if self.policy.stuck_calls(&state, self.clock.now()).is_empty() {
            return Ok(false);
        }
        self.update(agent, Need::Nothing, |_| Ok(false)).await?;
        Ok(true)
    }

    /// What the agent's presence is now (`GET /agents/{id}/presence`).
    pub async fn get(&self, agent: &AgentId) -> Result<PresenceView, PresenceError> {
        let now = self.clock.now();
        let (exists, state) = self.store.agent_presence(agent).await?;
        if !exists {
            return Err(PresenceError::UnknownAgent(agent.to_string()));
        }
        let state = state.unwrap_or_default();
        let stuck = self.policy.stuck_calls(&state, now);
        if !stuck.is_empty() {
            // Lifted in the view at once; written back with the next change.
            tracing::warn!(agent_id = %agent, calls = stuck.len(),
                "emergency override lifted: its calls never reported an end within the limit");
        }
        Ok(self.policy.view(&state, now))
    }

    /// Reads what `need` asks with the presence (one read), and checks it.
    async fn read(
        &self,
        agent: &AgentId,
        need: Need<'_>,
    ) -> Result<Option<PresenceState>, PresenceError> {
        let (exists, stored) = match need {
            Need::RecordOf(change) => {
                let call = match change {
                    CallChange::Started { call, .. } | CallChange::Ended { call, .. } => call,
                };
                let (exists, stored, recorded) =
                    self.store.agent_presence_and_call(agent, call).await?;
                confirm(change, recorded.as_ref())?;
                (exists, stored)
            }
            Need::Profile | Need::Nothing => self.store.agent_presence(agent).await?,
        };
        if matches!(need, Need::Profile) && !exists {
            return Err(PresenceError::UnknownAgent(agent.to_string()));
        }
        Ok(stored)
    }

    async fn update(
        &self,
        agent: &AgentId,
        need: Need<'_>,
        change: impl Fn(&mut PresenceState) -> Result<bool, PresenceError>,
    ) -> Result<PresenceView, PresenceError> {
        for _ in 0..MAX_ATTEMPTS {
            let now = self.clock.now();
            let stored = self.read(agent, need).await?;
            let before = stored.clone().unwrap_or_default();
            let mut next = before.clone();
            let changed = change(&mut next)?;
            let lifted = next.tidy(&self.policy, now);
            for call in &lifted {
                tracing::warn!(agent_id = %agent, call_id = %call,
                    "emergency override lifted: the call never reported an end within the limit");
            }
            let view = self.policy.view(&next, now);
            if stored.is_some() && next == before {
                return Ok(view); // a duplicate: nothing to write
            }
            if !changed && stored.is_none() && lifted.is_empty() {
                return Ok(view);
            }
            match self.store.save_presence(agent, &next, view, now).await {
                Ok(()) => {
                    let was = self.policy.view(&before, now);
                    if was != view {
                        tracing::info!(agent_id = %agent, from = %was.status, to = %view.status,
                            override_active = view.override_active, "presence changed");
                    }
                    return Ok(view);
                }
                Err(SaveError::Conflict) => continue,
                Err(SaveError::Store(e)) => return Err(e.into()),
            }
        }
        Err(PresenceError::Contention)
    }
}

/// What a change needs besides the presence.
#[derive(Clone, Copy)]
enum Need<'a> {
    /// The agent's profile (a platform report for an unknown agent is refused).
    Profile,
    /// The call's record, bearing the change out.
    RecordOf(&'a CallChange),
    /// Nothing more (tidying what is stored).
    Nothing,
}
