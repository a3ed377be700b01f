//! `call-events`: `POST /calls/ended`. Marks the call ended and moves the
//! callback window to run from the end of the agent's last emergency call.

use lambda_http::{Body, Request, Response};
use lifeline_app::clock::Clock;
use lifeline_app::ports::EndStore;
use lifeline_app::service::ended::{EndOutcome, EndService};
use lifeline_edge::config::Config;
use lifeline_edge::http::{accepted, no_content, problem, WebhookAuth, WebhookHandler};
use lifeline_edge::webhook::{parse_ended, Problem};
use std::sync::Arc;

pub struct CallEvents<S> {
    service: EndService<S>,
    auth: WebhookAuth,
}

impl<S: EndStore> CallEvents<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, config: Arc<Config>) -> Self {
        CallEvents {
            auth: WebhookAuth::new(config.webhook_secret.clone()),
            service: EndService::new(store, clock, config.settings.clone()),
        }
    }

    /// Checks signatures against `clock` instead of real time (tests).
    pub fn with_signature_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.auth = self.auth.with_clock(clock);
        self
    }
}

#[async_trait::async_trait]
impl<S: EndStore + 'static> WebhookHandler for CallEvents<S> {
    async fn handle(&self, req: Request) -> Response<Body> {
        let body = match self.auth.check(&req, "POST") {
            Ok(b) => b,
            Err(p) => return problem(&p),
        };
        let ended = match parse_ended(body) {
            Ok(e) => e,
            Err(p) => return problem(&p),
        };
        match self.service.end(ended).await {
            // Kept until the call is recorded: accepted, not done yet.
            Ok(EndOutcome::Kept) => accepted(),
            Ok(_) => no_content(),
            // The platform retries a 503: nothing is lost.
            Err(e) => {
                tracing::error!(error = %e, "call end not recorded");
                problem(&Problem::unavailable())
            }
        }
    }
}

#[cfg(test)]
mod tests;
