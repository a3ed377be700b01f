//! `dial-intake`: `POST /calls/outbound`. Recognises an emergency dial and
//! answers with the caller ID to present; never blocks, never a 5xx.

use lambda_http::{Body, Request, Response};
use lifeline_app::clock::Clock;
use lifeline_app::ports::DialStore;
use lifeline_app::service::dial::DialService;
use lifeline_edge::config::Config;
use lifeline_edge::http::{json, problem, WebhookAuth, WebhookHandler};
use lifeline_edge::webhook::parse_outbound;
use std::sync::Arc;

pub struct DialIntake<S> {
    service: DialService<S>,
    auth: WebhookAuth,
}

impl<S: DialStore> DialIntake<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, config: Arc<Config>) -> Self {
        DialIntake {
            auth: WebhookAuth::new(config.webhook_secret.clone()),
            service: DialService::new(store, clock, config.settings.clone()),
        }
    }

    /// Checks signatures against `clock` instead of real time (tests).
    pub fn with_signature_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.auth = self.auth.with_clock(clock);
        self
    }
}

#[async_trait::async_trait]
impl<S: DialStore + 'static> WebhookHandler for DialIntake<S> {
    async fn handle(&self, req: Request) -> Response<Body> {
        let body = match self.auth.check(&req, "POST") {
            Ok(b) => b,
            Err(p) => return problem(&p),
        };
        match parse_outbound(body) {
            Ok(dial) => json(200, &self.service.dial(dial).await),
            Err(p) => problem(&p),
        }
    }
}

#[cfg(test)]
mod tests;
