//! Registered locations: the agent confirms where they are (at shift start,
//! on a network change), and a dial that brings no location of its own uses
//! it while it is fresh.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::sync::Arc;

use crate::clock::Clock;
use crate::ports::{LocationError, LocationStore};
use lifeline_domain::call::rfc3339;
use lifeline_domain::location::{grade, Location, LocationQuality, RegisteredLocation};
use lifeline_domain::types::AgentId;

/// How long past its freshness a registration is kept: long enough for the
/// readiness report to name agents whose location went stale.
pub const KEPT_AFTER_STALE_DAYS: i64 = 30;

/// The answer of `PUT`/`GET /agents/{id}/location`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredView {
    pub agent_id: AgentId,
    pub location: Location,
    pub location_quality: Option<LocationQuality>,
    pub registered_at: String,
    /// Whether a dial without a location would use it now.
    pub fresh: bool,
}

pub struct LocationService<S> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    fresh_for: Duration,
}

impl<S: LocationStore> LocationService<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, fresh_for: Duration) -> Self {
        LocationService {
            store,
            clock,
            fresh_for,
        }
    }

    /// Registers `location` as where the agent is now (an admin's
    /// registration: signed now).
    pub async fn register(
        &self,
        agent: &AgentId,
        location: Location,
    ) -> Result<RegisteredView, LocationError> {
        let signed_at = self.clock.now().timestamp();
        self.register_signed(agent, location, signed_at).await
    }

    /// The same for a request signed at `signed_at` (unix seconds): refused
    /// as [`LocationError::Stale`] when a later-signed one is stored.
    pub async fn register_signed(
        &self,
        agent: &AgentId,
        location: Location,
        signed_at: i64,
    ) -> Result<RegisteredView, LocationError> {
        let now = self.clock.now();
        let registered = RegisteredLocation {
            location,
            registered_at: now,
            signed_at,
        };
        let ttl = now + self.fresh_for + Duration::days(KEPT_AFTER_STALE_DAYS);
        self.store
            .register_location(agent, &registered, ttl)
            .await?;
        Ok(self.view(agent, registered, now))
    }

    /// The agent's registered location, fresh or not; `None` when there is
    /// none.
    pub async fn show(&self, agent: &AgentId) -> Result<Option<RegisteredView>, LocationError> {
        let (exists, registered) = self.store.registered_location(agent).await?;
        if !exists {
            return Err(LocationError::UnknownAgent(agent.clone()));
        }
        let now = self.clock.now();
        Ok(registered.map(|r| self.view(agent, r, now)))
    }

    fn view(&self, agent: &AgentId, r: RegisteredLocation, now: DateTime<Utc>) -> RegisteredView {
        RegisteredView {
            agent_id: agent.clone(),
            location_quality: grade(Some(&r.location), false),
            fresh: r.is_fresh(now, self.fresh_for),
            registered_at: rfc3339(r.registered_at),
            location: r.location,
        }
    }
}
