//! `presence-api`: `GET` and `PUT /agents/{agentId}/presence`. The platform
//! reads the presence in force and reports ordinary changes; a report during
//! an emergency override only changes the status restored afterwards.

use lambda_http::{Body, Request, RequestExt, Response};
use lifeline_app::clock::Clock;
use lifeline_app::ports::PresenceStore;
use lifeline_app::service::presence::{PresenceError, PresenceService};
use lifeline_domain::presence::{PresenceView, Status};
use lifeline_domain::types::AgentId;
use lifeline_edge::config::Config;
use lifeline_edge::http::{json, problem, WebhookAuth, WebhookHandler};
use lifeline_edge::webhook::Problem;
use std::sync::Arc;

pub struct PresenceApi<S> {
    service: PresenceService<S>,
    auth: WebhookAuth,
}

impl<S: PresenceStore> PresenceApi<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, config: Arc<Config>) -> Self {
        PresenceApi {
            auth: WebhookAuth::new(config.webhook_secret.clone()),
            service: PresenceService::new(store, clock, config.settings.presence),
        }
    }

    /// Checks signatures against `clock` instead of real time (tests).
    pub fn with_signature_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.auth = self.auth.with_clock(clock);
        self
    }
}

/// The agent id from the route's path parameter, or from the path itself
/// (`…/agents/{agentId}/presence`, as the local runner passes it).
fn agent_id(req: &Request) -> Result<AgentId, Problem> {
    let from_params = req.path_parameters().first("agentId").map(String::from);
    let raw = from_params.or_else(|| {
        let segments: Vec<&str> = req.uri().path().trim_end_matches('/').split('/').collect();
        match segments.as_slice() {
            [.., "agents", id, "presence"] => Some((*id).to_string()),
            _ => None,
        }
    });
    let raw = raw.ok_or_else(|| {
        Problem::invalid_field("agentId", "the path must be /agents/{agentId}/presence")
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
        Err(PresenceError::UnknownAgent(id)) => problem(&Problem::new(
            404,
            "unknown-agent",
            "Unknown agent",
            format!("no agent `{id}`"),
        )),
        Err(e) => {
            tracing::error!(agent_id = %agent, error = %e, "presence not available");
            problem(&Problem::unavailable())
        }
    }
}

#[derive(serde::Deserialize)]
struct PutBody {
    status: Option<String>,
}

#[async_trait::async_trait]
impl<S: PresenceStore + 'static> WebhookHandler for PresenceApi<S> {
    async fn handle(&self, req: Request) -> Response<Body> {
        let method = req.method().as_str().to_string();
        let body = match self
            .auth
            .check(&req, if method == "GET" { "GET" } else { "PUT" })
        {
            Ok(b) => b,
            Err(p) => return problem(&p),
        };
        let agent = match agent_id(&req) {
            Ok(a) => a,
            Err(p) => return problem(&p),
        };
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
            Ok(status) => answer(&agent, self.service.report(&agent, status).await),
            Err(p) => problem(&p),
        }
    }
}

#[cfg(test)]
mod tests;
