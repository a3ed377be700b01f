//! `presence-api`: `GET` and `PUT /agents/{agentId}/presence`, and `GET` and
//! `PUT /agents/{agentId}/location`. The platform reads the presence in force
//! and reports ordinary changes; a report during an emergency override only
//! changes the status restored afterwards. The desktop registers where the
//! agent is (at shift start, on a network change), for dials that bring no
//! location of their own.

use lambda_http::{Body, Request, RequestExt, Response};
use lifeline_app::clock::Clock;
use lifeline_app::ports::{LocationError, LocationStore, PresenceStore};
use lifeline_app::service::location::{LocationService, RegisteredView};
use lifeline_app::service::presence::{PresenceError, PresenceService};
use lifeline_domain::location::LocationInput;
use lifeline_domain::presence::{PresenceView, Status};
use lifeline_domain::types::AgentId;
use lifeline_edge::config::Config;
use lifeline_edge::http::{json, problem, WebhookAuth, WebhookHandler};
use lifeline_edge::webhook::Problem;
use std::sync::Arc;

pub struct PresenceApi<S> {
    service: PresenceService<S>,
    locations: LocationService<S>,
    auth: WebhookAuth,
}

impl<S: PresenceStore + LocationStore> PresenceApi<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, config: Arc<Config>) -> Self {
        PresenceApi {
            auth: WebhookAuth::new(config.webhook_secret.clone()),
            locations: LocationService::new(
                store.clone(),
                clock.clone(),
                config.settings.location_fresh_for,
            ),
            service: PresenceService::new(store, clock, config.settings.presence),
        }
    }

    /// Checks signatures against `clock` instead of real time (tests).
    pub fn with_signature_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.auth = self.auth.with_clock(clock);
        self
    }
}

/// What a route is about.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Resource {
    Presence,
    Location,
}

/// The resource, from the path's last segment.
fn resource(req: &Request) -> Resource {
    if req
        .uri()
        .path()
        .trim_end_matches('/')
        .ends_with("/location")
    {
        Resource::Location
    } else {
        Resource::Presence
    }
}

/// The agent id from the route's path parameter, or from the path itself
/// (`…/agents/{agentId}/presence`, as the local runner passes it).
fn agent_id(req: &Request) -> Result<AgentId, Problem> {
    let from_params = req.path_parameters().first("agentId").map(String::from);
    let raw = from_params.or_else(|| {
        let segments: Vec<&str> = req.uri().path().trim_end_matches('/').split('/').collect();
        match segments.as_slice() {
            [.., "agents", id, "presence" | "location"] => Some((*id).to_string()),
            _ => None,
        }
    });
    let raw = raw.ok_or_else(|| {
        Problem::invalid_field(
            "agentId",
            "the path must be /agents/{agentId}/presence or /agents/{agentId}/location",
        )
    })?;
    raw.parse()
        .map_err(|e: lifeline_domain::types::Invalid| Problem::invalid_field("agentId", e.0))
}

fn answer(agent: &AgentId, result: Result<PresenceView, PresenceError>) -> Response<Body> {
    match result {
        Ok(v) => json(
            200,
            &serde_json::json!({"agentId": agent, "status": v.status, "override": v.override_active}),
        ),
        Err(PresenceError::UnknownAgent(id)) => unknown_agent(&id),
        Err(PresenceError::Stale(e)) => {
            tracing::warn!(agent_id = %agent, error = %e, "stale presence report refused");
            problem(&Problem::stale_request(e.to_string()))
        }
        Err(e) => {
            tracing::error!(agent_id = %agent, error = %e, "presence not available");
            problem(&Problem::unavailable())
        }
    }
}

fn unknown_agent(id: &dyn std::fmt::Display) -> Response<Body> {
    problem(&Problem::new(
        404,
        "unknown-agent",
        "Unknown agent",
        format!("no agent `{id}`"),
    ))
}

fn location_answer(
    agent: &AgentId,
    result: Result<Option<RegisteredView>, LocationError>,
) -> Response<Body> {
    match result {
        Ok(Some(v)) => json(200, &v),
        Ok(None) => problem(&Problem::new(
            404,
            "no-registered-location",
            "No registered location",
            format!("agent `{agent}` has not registered a location"),
        )),
        Err(LocationError::UnknownAgent(id)) => unknown_agent(&id),
        Err(e @ LocationError::Stale(_)) => {
            tracing::warn!(agent_id = %agent, error = %e, "stale location registration refused");
            problem(&Problem::stale_request(e.to_string()))
        }
        Err(e) => {
            tracing::error!(agent_id = %agent, error = %e, "registered location not available");
            problem(&Problem::unavailable())
        }
    }
}

#[derive(serde::Deserialize)]
struct PutBody {
    status: Option<String>,
}

#[derive(serde::Deserialize)]
struct PutLocationBody {
    location: Option<LocationInput>,
}

/// The location of a `PUT /agents/{id}/location` body: required, and with
/// something in it.
fn parse_location_body(body: &[u8]) -> Result<lifeline_domain::location::Location, Problem> {
    let b: PutLocationBody = lifeline_edge::webhook::parse_json(body)?;
    let input = b
        .location
        .ok_or_else(|| Problem::invalid_field("location", "`location` is required"))?;
    lifeline_edge::webhook::parse_location(input)?
        .ok_or_else(|| Problem::invalid_field("location", "`location` must not be empty"))
}

#[async_trait::async_trait]
impl<S: PresenceStore + LocationStore + 'static> WebhookHandler for PresenceApi<S> {
    async fn handle(&self, req: Request) -> Response<Body> {
        let method = req.method().as_str().to_string();
        let (body, signed_at) = match self
            .auth
            .check_at(&req, if method == "GET" { "GET" } else { "PUT" })
        {
            Ok(checked) => checked,
            Err(p) => return problem(&p),
        };
        let agent = match agent_id(&req) {
            Ok(a) => a,
            Err(p) => return problem(&p),
        };
        if resource(&req) == Resource::Location {
            if method == "GET" {
                return location_answer(&agent, self.locations.show(&agent).await);
            }
            return match parse_location_body(body) {
                Ok(location) => {
                    let registered = self
                        .locations
                        .register_signed(&agent, location, signed_at)
                        .await;
                    if registered.is_ok() {
                        tracing::info!(agent_id = %agent, "location registered");
                    }
                    location_answer(&agent, registered.map(Some))
                }
                Err(p) => problem(&p),
            };
        }
        if method == "GET" {
            return answer(&agent, self.service.get(&agent).await);
        }
        let status = serde_json::from_slice::<PutBody>(body)
            .map_err(|e| {
                Problem::new(
                    400,
                    "invalid-request",
                    "Invalid request",
                    format!("body must be a JSON object: {e}"),
                )
            })
            .and_then(|b| {
                b.status
                    .ok_or_else(|| Problem::invalid_field("status", "`status` is required"))
            })
            .and_then(|s| {
                s.parse::<Status>()
                    .map_err(|e| Problem::invalid_field("status", e.0))
            });
        match status {
            Ok(status) => answer(
                &agent,
                self.service.report_signed(&agent, status, signed_at).await,
            ),
            Err(p) => problem(&p),
        }
    }
}

#[cfg(test)]
mod tests;
