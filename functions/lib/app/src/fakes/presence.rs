//! The agent's presence and registered location, in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::faults::WriteOp;
use super::store::MemoryStore;
use crate::ports::{
    LocationError, LocationStore, PresenceAndCall, PresenceStore, SaveError, StoreError,
};
use lifeline_domain::location::RegisteredLocation;
use lifeline_domain::presence::{PresenceState, PresenceView, RecordedCall};
use lifeline_domain::types::{AgentId, CallId};

#[async_trait]
impl PresenceStore for MemoryStore {
    async fn agent_presence(
        &self,
        agent: &AgentId,
    ) -> Result<(bool, Option<PresenceState>), StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| (s.agents.contains_key(agent), s.presence.get(agent).cloned())))
    }

    async fn agent_presence_and_call(
        &self,
        agent: &AgentId,
        call: &CallId,
    ) -> Result<PresenceAndCall, StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| {
            let recorded = s.calls.get(call).map(|c| RecordedCall {
                agent_id: c.agent_id.clone(),
                ended: c.ended_at.is_some(),
            });
            (
                s.agents.contains_key(agent),
                s.presence.get(agent).cloned(),
                recorded,
            )
        }))
    }

    async fn save_presence(
        &self,
        agent: &AgentId,
        state: &PresenceState,
        _view: PresenceView,
        _now: DateTime<Utc>,
    ) -> Result<(), SaveError> {
        self.check(true)?;
        self.with_state(|s| {
            let stored = s.presence.get(agent).map_or(0, |p| p.version);
            if stored != state.version {
                return Err(SaveError::Conflict);
            }
            let mut next = state.clone();
            next.version += 1;
            s.presence.insert(agent.clone(), next);
            Ok(())
        })?;
        self.answer(WriteOp::SavePresence).await;
        Ok(())
    }
}

#[async_trait]
impl LocationStore for MemoryStore {
    async fn registered_location(
        &self,
        agent: &AgentId,
    ) -> Result<(bool, Option<RegisteredLocation>), StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| {
            (
                s.agents.contains_key(agent),
                s.locations.get(agent).cloned(),
            )
        }))
    }

    async fn register_location(
        &self,
        agent: &AgentId,
        registered: &RegisteredLocation,
        _ttl: DateTime<Utc>,
    ) -> Result<(), LocationError> {
        self.check(true)?;
        self.with_state(|s| {
            if !s.agents.contains_key(agent) {
                return Err(LocationError::UnknownAgent(agent.clone()));
            }
            if s.locations
                .get(agent)
                .is_some_and(|r| r.signed_at > registered.signed_at)
            {
                return Err(LocationError::Stale(registered.signed_at));
            }
            s.locations.insert(agent.clone(), registered.clone());
            Ok(())
        })?;
        self.answer(WriteOp::RegisterLocation).await;
        Ok(())
    }
}
