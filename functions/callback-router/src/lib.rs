//! `callback-router`: `POST /calls/inbound`. A call to a leased callback
//! number goes straight to the agent, ahead of everything; anything else
//! follows normal routing.

use lambda_http::{Body, Request, Response};
use lifeline_app::clock::Clock;
use lifeline_app::ports::CallbackStore;
use lifeline_app::service::callback::CallbackService;
use lifeline_edge::config::Config;
use lifeline_edge::http::{json, problem, WebhookAuth, WebhookHandler};
use lifeline_edge::webhook::parse_inbound;
use std::sync::Arc;

pub struct CallbackRouter<S> {
    service: Arc<CallbackService<S>>,
    auth: WebhookAuth,
}

impl<S: CallbackStore> CallbackRouter<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, config: Arc<Config>) -> Self {
        CallbackRouter {
            auth: WebhookAuth::new(config.webhook_secret.clone()),
            service: Arc::new(CallbackService::new(store, clock, config.settings.clone())),
        }
    }

    /// Checks signatures against `clock` instead of real time (tests).
    pub fn with_signature_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.auth = self.auth.with_clock(clock);
        self
    }
}

#[async_trait::async_trait]
impl<S: CallbackStore + 'static> WebhookHandler for CallbackRouter<S> {
    async fn handle(&self, req: Request) -> Response<Body> {
        let body = match self.auth.check(&req, "POST") {
            Ok(b) => b,
            Err(p) => return problem(&p),
        };
        let call = match parse_inbound(body) {
            Ok(call) => call,
            Err(p) => return problem(&p),
        };
        // On its own task: a panic below ends that task, and the call
        // follows normal routing rather than failing.
        let service = self.service.clone();
        match tokio::spawn(async move { service.route(call).await }).await {
            Ok(answer) => json(200, &answer),
            Err(e) => {
                tracing::error!(error = %e, "callback routing failed; normal routing");
                json(200, &lifeline_domain::call::InboundAnswer::Continue {})
            }
        }
    }
}

#[cfg(test)]
mod tests;
