//! HTTP glue shared by the webhook functions (lambda_http types, which the
//! local runner also builds): answers, problems and signature checks.

use lambda_http::{Body, Request, Response};
use serde::Serialize;

use std::sync::Arc;

use crate::webhook::{Problem, Signed, WebhookSecret, MAX_BODY_BYTES, SIGNATURE_HEADER};
use lifeline_app::clock::{Clock, SystemClock};

pub fn json<T: Serialize>(status: u16, value: &T) -> Response<Body> {
    let body = serde_json::to_string(value).unwrap_or_else(|_| "{}".into());
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(body))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

pub fn problem(p: &Problem) -> Response<Body> {
    let body = serde_json::to_string(p).unwrap_or_else(|_| "{}".into());
    Response::builder()
        .status(p.status)
        .header("content-type", "application/problem+json")
        .body(Body::Text(body))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

/// When API Gateway received the request (`requestContext.timeEpoch`), if
/// it says: the dial's budget counts from there, so the time a cold start
/// took is not added to the platform's wait.
pub fn received_at(req: &Request) -> Option<chrono::DateTime<chrono::Utc>> {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) if c.time_epoch > 0 => {
            chrono::DateTime::from_timestamp_millis(c.time_epoch)
        }
        _ => None,
    }
}

pub fn no_content() -> Response<Body> {
    Response::builder()
        .status(204)
        .body(Body::Empty)
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

/// The raw bytes of a request body (the signature covers exactly these).
pub fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b.as_slice(),
        _ => &[],
    }
}

/// A webhook function: one request in, one answer out. The Lambda wiring and
/// the local runner both drive handlers through this.
#[async_trait::async_trait]
pub trait WebhookHandler: Send + Sync {
    async fn handle(&self, req: Request) -> Response<Body>;
}

/// The signature gate in front of every webhook. Signatures are checked
/// against real time, whatever the business clock says (the local runner's
/// clock moves).
#[derive(Clone)]
pub struct WebhookAuth {
    secret: WebhookSecret,
    clock: Arc<dyn Clock>,
}

impl WebhookAuth {
    pub fn new(secret: WebhookSecret) -> Self {
        WebhookAuth {
            secret,
            clock: Arc::new(SystemClock),
        }
    }

    /// Checks against `clock` instead of real time (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Checks method, body size and signature; the body on success, else the
    /// problem to answer.
    pub fn check<'r>(&self, req: &'r Request, method: &str) -> Result<&'r [u8], Problem> {
        match self.check_signed(req, method) {
            Checked::Verified(body) => Ok(body),
            Checked::Unverified { refusal, .. } | Checked::Refused(refusal) => Err(refusal),
        }
    }

    /// The same, telling a request that could not be authenticated (its body
    /// within limits, for a route that fails open) from one refused outright.
    pub fn check_signed<'r>(&self, req: &'r Request, method: &str) -> Checked<'r> {
        match self.precheck(req, method) {
            Err(p) => Checked::Refused(p),
            Ok(body) => {
                let header = req
                    .headers()
                    .get(SIGNATURE_HEADER)
                    .and_then(|v| v.to_str().ok());
                let signed = Signed::new(req.method().as_str(), signed_path(req), body);
                match self.secret.verify(header, signed, self.clock.now()) {
                    Ok(()) => Checked::Verified(body),
                    Err(e) => {
                        tracing::warn!(reason = %e, path = %req.uri().path(), "webhook not authenticated: bad signature");
                        Checked::Unverified {
                            body,
                            refusal: Problem::unauthorized(e),
                        }
                    }
                }
            }
        }
    }

    fn precheck<'r>(&self, req: &'r Request, method: &str) -> Result<&'r [u8], Problem> {
        if req.method().as_str() != method {
            return Err(Problem::new(
                405,
                "method-not-allowed",
                "Method not allowed",
                format!("use {method}"),
            ));
        }
        let body = body_bytes(req);
        if body.len() > MAX_BODY_BYTES {
            return Err(Problem::too_large());
        }
        Ok(body)
    }
}

/// What the signature gate made of a request.
pub enum Checked<'r> {
    Verified(&'r [u8]),
    /// Within limits, but not authenticated (missing, wrong, stale or
    /// unverifiable signature): answer `refusal`, unless the route fails open.
    Unverified {
        body: &'r [u8],
        refusal: Problem,
    },
    /// Wrong method, too large.
    Refused(Problem),
}

/// The path a signature covers: as the client sent it (API Gateway's
/// `rawPath`, which lambda_http keeps), without the query string; the
/// request URI's path when there is no raw one (the local runner).
pub fn signed_path(req: &Request) -> &str {
    use lambda_http::RequestExt;
    match req.raw_http_path() {
        "" => req.uri().path(),
        raw => raw,
    }
}
