//! `callback-router`: `POST /calls/inbound`. A call to a leased callback
//! number goes straight to the agent, ahead of everything; anything else
//! follows normal routing.

use lambda_http::{Body, Request, Response};
use lifeline_core::clock::{Clock, SystemClock};
use lifeline_core::config::Config;
use lifeline_core::http::{authenticate, json, problem};
use lifeline_core::ports::CallbackStore;
use lifeline_core::service::callback::CallbackService;
use lifeline_core::webhook::{parse_inbound, WebhookSecret};
use std::sync::Arc;

pub struct CallbackRouter<S> {
    service: CallbackService<S>,
    secret: WebhookSecret,
    signature_clock: Arc<dyn Clock>,
}

impl<S: CallbackStore> CallbackRouter<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, config: Arc<Config>) -> Self {
        CallbackRouter {
            secret: config.webhook_secret.clone(),
            service: CallbackService::new(store, clock, config),
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
        match parse_inbound(body) {
            Ok(call) => json(200, &self.service.route(call).await),
            Err(p) => problem(&p),
        }
    }
}

#[cfg(test)]
mod tests;
