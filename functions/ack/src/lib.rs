//! `ack`: `GET` and `POST /ack/{token}`, the personal link every alert
//! carries. `GET` shows the incident's summary and an Acknowledge button and
//! changes nothing (mail scanners and link previews open links); `POST`
//! records the acknowledgement and answers who else already has. The link
//! itself is the credential (signed, one incident and one recipient, 24 h):
//! no Lifeline signature header, no sign-in.

mod page;

use lambda_http::{Body, Request, RequestExt, Response};
use lifeline_app::clock::Clock;
use lifeline_app::ports::AckStore;
use lifeline_app::service::ack::{AckError, AckService};
use lifeline_edge::config::Config;
use lifeline_edge::http::WebhookHandler;
use lifeline_edge::webhook::{verify_ack_token, AckClaim, AckTokenError, WebhookSecret};
use std::sync::Arc;

pub struct AckApi<S> {
    service: AckService<S>,
    secret: WebhookSecret,
    clock: Arc<dyn Clock>,
}

impl<S: AckStore> AckApi<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, config: Arc<Config>) -> Self {
        AckApi {
            service: AckService::new(store, clock.clone()),
            secret: config.webhook_secret.clone(),
            clock,
        }
    }
}

/// The token: the route's path parameter, or the path's last segment (as
/// the local runner passes it).
fn token(req: &Request) -> Option<String> {
    req.path_parameters()
        .first("token")
        .map(String::from)
        .or_else(|| {
            let path = req.uri().path().trim_end_matches('/');
            path.rsplit_once("/ack/").map(|(_, t)| t.to_string())
        })
        .filter(|t| !t.is_empty() && !t.contains('/'))
}

/// Whether the client asked for JSON rather than the page.
fn wants_json(req: &Request) -> bool {
    req.headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

impl<S: AckStore> AckApi<S> {
    fn claim(&self, req: &Request) -> Result<AckClaim, page::Failure> {
        let token = token(req).ok_or(page::Failure::NotFound)?;
        verify_ack_token(&self.secret, &token, self.clock.now()).map_err(|e| match e {
            AckTokenError::Expired => page::Failure::Expired,
            // A forged or mangled link says no more than a missing one.
            AckTokenError::Malformed | AckTokenError::Forged => page::Failure::NotFound,
        })
    }

    async fn answer(&self, req: &Request) -> Result<page::Answer, page::Failure> {
        let claim = self.claim(req)?;
        let (incident, me) = (&claim.incident, &claim.recipient);
        match *req.method() {
            lambda_http::http::Method::GET | lambda_http::http::Method::HEAD => {
                let view = self.service.view(incident, me).await.map_err(failure)?;
                Ok(page::Answer::Summary(view))
            }
            lambda_http::http::Method::POST => {
                let done = self
                    .service
                    .acknowledge(incident, me)
                    .await
                    .map_err(failure)?;
                Ok(page::Answer::Acknowledged(done))
            }
            _ => Err(page::Failure::MethodNotAllowed),
        }
    }
}

fn failure(e: AckError) -> page::Failure {
    match e {
        AckError::UnknownIncident => page::Failure::NotFound,
        AckError::Refused(_) => page::Failure::NotAlerted,
        AckError::Store(e) => {
            tracing::error!(error = %e, "acknowledgement page: the table did not answer");
            page::Failure::Unavailable
        }
    }
}

#[async_trait::async_trait]
impl<S: AckStore + 'static> WebhookHandler for AckApi<S> {
    async fn handle(&self, req: Request) -> Response<Body> {
        let json = wants_json(&req);
        match self.answer(&req).await {
            Ok(answer) => page::render(&answer, json),
            Err(f) => page::refuse(f, json),
        }
    }
}

#[cfg(test)]
mod tests;
