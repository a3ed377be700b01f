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

/// `202`: taken, to be applied later (an end kept until its call is recorded).
pub fn accepted() -> Response<Body> {
    Response::builder()
        .status(202)
        .body(Body::Empty)
        .unwrap_or_else(|_| Response::new(Body::Empty))
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
        self.check_at(req, method).map(|(body, _)| body)
    }

    /// The same, with the signed time (unix seconds) of a verified request.
    pub fn check_at<'r>(&self, req: &'r Request, method: &str) -> Result<(&'r [u8], i64), Problem> {
        match self.check_signed(req, method) {
            Checked::Verified(body, signed_at) => Ok((body, signed_at)),
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
                match self.secret.verify_at(header, signed, self.clock.now()) {
                    Ok(signed_at) => Checked::Verified(body, signed_at),
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
    /// The body, and the time it was signed at (unix seconds).
    Verified(&'r [u8], i64),
    /// Within limits, but not authenticated (missing, wrong, stale or
    /// unverifiable signature): answer `refusal`, unless the route fails open.
    Unverified { body: &'r [u8], refusal: Problem },
    /// Wrong method, too large.
    Refused(Problem),
}

/// The path a signature covers: the route's path as the client sent it,
/// without the query string. API Gateway's `rawPath` (which lambda_http
/// keeps; the request URI's path when there is none, as from the local
/// runner) carries a named stage (`/prod/…`) or a custom domain's base path
/// (`/lifeline/…`) in front of it, which senders do not sign: only as many
/// trailing segments as the matched route (`routeKey`) has are covered.
pub fn signed_path(req: &Request) -> &str {
    use lambda_http::RequestExt;
    let raw = match req.raw_http_path() {
        "" => req.uri().path(),
        raw => raw,
    };
    match route_segments(req) {
        Some(n) => last_segments(raw, n),
        None => raw,
    }
}

/// How many segments the matched route's path has (`POST /calls/outbound`:
/// 2), when API Gateway names one.
fn route_segments(req: &Request) -> Option<usize> {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let Some(RequestContext::ApiGatewayV2(c)) = req.request_context_ref() else {
        return None;
    };
    let (_, path) = c.route_key.as_deref()?.split_once(' ')?;
    if path.contains('+') {
        return None; // a greedy path parameter spans any number of segments
    }
    Some(path.split('/').filter(|s| !s.is_empty()).count())
}

/// The last `n` segments of `path`, with their leading `/` (the whole path
/// when it has no more).
fn last_segments(path: &str, n: usize) -> &str {
    let trimmed = path.trim_end_matches('/');
    let mut start = trimmed.len();
    for _ in 0..n {
        match trimmed[..start].rfind('/') {
            Some(i) => start = i,
            None => return path,
        }
    }
    &path[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;

    /// A request as API Gateway hands it over: `raw` as sent, `route` matched.
    fn via_gateway(raw: &str, route: Option<&str>, body: &str) -> Request {
        let mut r = Request::new(Body::Text(body.into()));
        *r.method_mut() = "POST".parse().unwrap();
        *r.uri_mut() = raw.parse().unwrap();
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.route_key = route.map(String::from);
        context.stage = Some("prod".into());
        r.with_request_context(RequestContext::ApiGatewayV2(context))
            .with_raw_http_path(raw)
    }

    #[test]
    fn the_signed_path_is_the_route_without_stage_or_base_path() {
        let path = |raw, route| signed_path(&via_gateway(raw, route, "")).to_string();
        assert_eq!(
            path("/calls/outbound", Some("POST /calls/outbound")),
            "/calls/outbound"
        );
        assert_eq!(
            path("/prod/calls/outbound", Some("POST /calls/outbound")),
            "/calls/outbound"
        );
        assert_eq!(
            path(
                "/lifeline/v2/agents/a-42/presence",
                Some("PUT /agents/{agentId}/presence")
            ),
            "/agents/a-42/presence"
        );
        // No route named ($default, a greedy parameter, the local runner): as sent.
        assert_eq!(
            path("/prod/calls/outbound", Some("$default")),
            "/prod/calls/outbound"
        );
        assert_eq!(
            path("/prod/twilio/x/y", Some("POST /twilio/{proxy+}")),
            "/prod/twilio/x/y"
        );
        assert_eq!(path("/prod/calls/outbound", None), "/prod/calls/outbound");
    }

    /// Behind a named stage a sender's signature (over the route's path)
    /// verifies; it is still bound to its route.
    #[test]
    fn a_signature_verifies_behind_a_named_stage() {
        let secret = WebhookSecret::new("local-secret").unwrap();
        let auth = WebhookAuth::new(secret.clone());
        let body = r#"{"callId":"c-1"}"#;
        let now = chrono::Utc::now().timestamp();
        let sign = |path| secret.sign(now, crate::webhook::Signed::post(path, body.as_bytes()));
        let mut req = via_gateway("/prod/calls/outbound", Some("POST /calls/outbound"), body);
        req.headers_mut()
            .insert(SIGNATURE_HEADER, sign("/calls/outbound").parse().unwrap());
        assert!(auth.check(&req, "POST").is_ok());
        let mut other = via_gateway("/prod/calls/outbound", Some("POST /calls/outbound"), body);
        other
            .headers_mut()
            .insert(SIGNATURE_HEADER, sign("/calls/ended").parse().unwrap());
        assert_eq!(
            auth.check(&other, "POST").map(|_| ()).unwrap_err().status,
            401
        );
    }
}
