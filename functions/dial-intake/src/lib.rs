//! `dial-intake`: `POST /calls/outbound`. Recognises an emergency dial and
//! answers with the caller ID to present; never blocks, never a 5xx.

use lambda_http::{Body, Request, Response};
use lifeline_core::clock::Clock;
use lifeline_core::config::Config;
use lifeline_core::http::{json, problem, WebhookAuth, WebhookHandler};
use lifeline_core::ports::DialStore;
use lifeline_core::service::dial::DialService;
use lifeline_core::webhook::parse_outbound;
use std::sync::Arc;

pub struct DialIntake<S> {
    service: DialService<S>,
    auth: WebhookAuth,
}

impl<S: DialStore> DialIntake<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, config: Arc<Config>) -> Self {
        DialIntake {
            auth: WebhookAuth::new(config.webhook_secret.clone()),
            service: DialService::new(store, clock, config),
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
