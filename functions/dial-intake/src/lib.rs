//! `dial-intake`: `POST /calls/outbound`. Recognises an emergency dial and
//! answers with the caller ID to present; never blocks, never a 5xx. And
//! `POST /calls/presented`: what the platform presented instead (the dial
//! service records or corrects the call).

use lambda_http::{Body, Request, Response};
use lifeline_app::clock::Clock;
use lifeline_app::ports::{CallOutbox, DialStore, EndStore, OutboxStore};
use lifeline_app::service::dial::presented::PresentedError;
use lifeline_app::service::dial::DialService;
use lifeline_domain::call::{OutboundAnswer, OutboundDial};
use lifeline_domain::degraded::DegradedReason;
use lifeline_edge::config::Config;
use lifeline_edge::http::{
    json, no_content, problem, received_at, Checked, WebhookAuth, WebhookHandler,
};
use lifeline_edge::webhook::{parse_outbound, parse_outbound_lenient, parse_presented, Problem};
use std::sync::Arc;

pub struct DialIntake<S> {
    service: DialService<S>,
    auth: WebhookAuth,
}

/// The platform's report of what it presented.
pub const PRESENTED_PATH: &str = "/calls/presented";

impl<S: DialStore + OutboxStore + EndStore + 'static> DialIntake<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, config: Arc<Config>) -> Self {
        DialIntake {
            auth: WebhookAuth::new(config.webhook_secret.clone()),
            service: DialService::new(store, clock, config.settings.clone()),
        }
    }

    /// Hands calls the table cannot take in time to `outbox`.
    pub fn with_outbox(mut self, outbox: Arc<dyn CallOutbox>) -> Self {
        self.service = self.service.with_outbox(outbox);
        self
    }

    /// The dial service (its warm-up: `prefetch`, `warm_up`).
    pub fn service(&self) -> &DialService<S> {
        &self.service
    }

    /// Checks signatures against `clock` instead of real time (tests).
    pub fn with_signature_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.auth = self.auth.with_clock(clock);
        self
    }

    /// `POST /calls/presented`: `204` once the record says what the PSAP
    /// saw (also when it already did); `503` to be retried.
    async fn presented(&self, req: Request) -> Response<Body> {
        let body = match self.auth.check(&req, "POST") {
            Ok(b) => b,
            Err(p) => return problem(&p),
        };
        let report = match parse_presented(body) {
            Ok(r) => r,
            Err(p) => return problem(&p),
        };
        match self.service.presented(&report).await {
            Ok(_) => no_content(),
            Err(PresentedError::NotEmergency) => problem(&Problem::invalid_field(
                "dialed",
                "`dialed` is not an emergency number Lifeline knows",
            )),
            Err(e @ PresentedError::CallIdFull(_)) => problem(&Problem::new(
                409,
                "call-id-full",
                "Call id used too often",
                e.to_string(),
            )),
            Err(e) => {
                tracing::error!(call_id = %report.call_id, error = %e, "presented caller ID not recorded");
                problem(&Problem::unavailable())
            }
        }
    }
}

#[async_trait::async_trait]
impl<S: DialStore + OutboxStore + EndStore + 'static> WebhookHandler for DialIntake<S> {
    async fn handle(&self, req: Request) -> Response<Body> {
        if req.uri().path() == PRESENTED_PATH {
            return self.presented(req).await;
        }
        let received = received_at(&req);
        let body = match self.auth.check_signed(&req, "POST") {
            Checked::Verified(body, _) => body,
            // Not authenticated: nothing is read or written, but an
            // emergency-looking dial still goes out, with its own number.
            Checked::Unverified { body, refusal } => {
                return match parse_outbound(body).ok().and_then(|dial| {
                    self.service
                        .fail_open(&dial, DegradedReason::Unauthenticated)
                }) {
                    Some(answer) => json(200, &answer),
                    None => problem(&refusal),
                };
            }
            Checked::Refused(p) => return problem(&p),
        };
        let (dial, ignored) = match self.read_dial(body) {
            Ok(read) => read,
            Err(p) => return problem(&p),
        };
        // On its own task: a panic anywhere below (a dependency's included)
        // ends that task, not the answer.
        let service = self.service.clone();
        let work = tokio::spawn({
            let dial = dial.clone();
            async move { service.dial_received(dial, received).await }
        });
        match work.await {
            Ok(answer) if ignored.is_empty() => json(200, &answer),
            Ok(answer) => json(200, &with_ignored(&answer, ignored)),
            Err(e) => {
                tracing::error!(call_id = %dial.call_id, error = %e, "emergency dial handling failed");
                match self.service.fail_open(&dial, DegradedReason::InternalError) {
                    Some(answer) => json(200, &answer),
                    None => json(200, &OutboundAnswer::ordinary()),
                }
            }
        }
    }
}

impl<S: DialStore + OutboxStore + EndStore + 'static> DialIntake<S> {
    /// The dial, strictly; an emergency-looking one whose optional fields
    /// are bad (`timestamp`, `location.*`) goes on without them, which the
    /// answer names: such a dial is never refused.
    fn read_dial(&self, body: &[u8]) -> Result<(OutboundDial, Vec<String>), Problem> {
        let refused = match parse_outbound(body) {
            Ok(dial) => return Ok((dial, Vec::new())),
            Err(p) => p,
        };
        match parse_outbound_lenient(body) {
            Ok(read) if self.service.looks_emergency(&read.dial) => {
                tracing::warn!(call_id = %read.dial.call_id, ignored = ?read.ignored,
                    "emergency dial with bad optional fields: they are ignored");
                Ok((read.dial, read.ignored))
            }
            _ => Err(refused),
        }
    }
}

/// The answer with the optional fields the dial went on without.
fn with_ignored(answer: &OutboundAnswer, ignored: Vec<String>) -> serde_json::Value {
    let mut v = serde_json::to_value(answer).unwrap_or_default();
    if let Some(fields) = v.as_object_mut() {
        fields.insert("ignored".into(), ignored.into());
    }
    v
}

#[cfg(test)]
mod tests;
