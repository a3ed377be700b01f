//! `dial-intake`: `POST /calls/outbound`. Recognises an emergency dial and
//! answers with the caller ID to present; never blocks, never a 5xx.

use lambda_http::{Body, Request, Response};
use lifeline_core::clock::{Clock, SystemClock};
use lifeline_core::config::Config;
use lifeline_core::http::{authenticate, json, problem};
use lifeline_core::ports::DialStore;
use lifeline_core::service::dial::DialService;
use lifeline_core::webhook::{parse_outbound, WebhookSecret};
use std::sync::Arc;

pub struct DialIntake<S> {
    service: DialService<S>,
    secret: WebhookSecret,
    /// Signatures are checked against real time, whatever the business clock says.
    signature_clock: Arc<dyn Clock>,
}

impl<S: DialStore> DialIntake<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, config: Arc<Config>) -> Self {
        DialIntake {
            secret: config.webhook_secret.clone(),
            service: DialService::new(store, clock, config),
            signature_clock: Arc::new(SystemClock),
        }
    }

    pub fn with_signature_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.signature_clock = clock;
        self
    }

    pub async fn handle(&self, req: Request) -> Response<Body> {
        let body = match authenticate(&req, &self.secret, &*self.signature_clock, "POST") {
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
