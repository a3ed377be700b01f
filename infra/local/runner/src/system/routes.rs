//! The HTTP routes: the webhook functions', `/_local/*`, and Lambda's Invoke API.
//! What reaches them was admitted by `crate::guard` (when served over HTTP):
//! `/_local/*` and the Invoke API only with the run's token.

use super::LocalSystem;
use crate::answers::{from_lambda, json, problem};
use crate::guard::INVOKE_API;
use bytes::Bytes;
use lambda_http::Body as LambdaBody;
use lifeline_app::clock::Clock;
use lifeline_aws::dynamo::sdk_error::DisplayErrorContext;
use lifeline_edge::registry;
use lifeline_edge::webhook::Problem;

impl LocalSystem {
    /// Answers one HTTP request.
    pub async fn handle(&self, req: http::Request<Bytes>) -> http::Response<Bytes> {
        let (parts, body) = req.into_parts();
        let path = parts.uri.path().to_string();
        let received = self.clock.now();
        let to_lambda = || {
            let mut r = lambda_http::Request::new(if body.is_empty() {
                LambdaBody::Empty
            } else {
                LambdaBody::Binary(body.to_vec())
            });
            *r.method_mut() = parts.method.clone();
            *r.uri_mut() = parts.uri.clone();
            *r.headers_mut() = parts.headers.clone();
            // As API Gateway: when the request was received, on the runner's
            // clock (the dial's budget counts from it).
            let mut context =
                lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
            context.time_epoch = received.timestamp_millis();
            lambda_http::RequestExt::with_request_context(
                r,
                lambda_http::request::RequestContext::ApiGatewayV2(context),
            )
        };
        if let Some(function) = registry::serving(&path) {
            return match self.webhook(function.name) {
                Some(handler) => {
                    // One request per environment; none free: throttled.
                    let Some(_environment) = self.concurrency.admit(function.name) else {
                        return throttled(function.name, self.concurrency.ceilings());
                    };
                    from_lambda(handler.handle(to_lambda()).await)
                }
                None => problem(&Problem::new(
                    503,
                    "not-running",
                    "Function not running here",
                    format!(
                        "{} serves {path}; this runner does not run it",
                        function.name
                    ),
                )),
            };
        }
        match (parts.method.as_str(), path.as_str()) {
            ("GET", "/_local/health") => self.health().await,
            ("POST", p) if p.starts_with("/_local/invoke/") => {
                let name = &p["/_local/invoke/".len()..];
                let resign = parts
                    .uri
                    .query()
                    .is_some_and(|q| q.split('&').any(|kv| kv == "resign=true" || kv == "resign"));
                self.invoke(name, &body, resign).await
            }
            ("POST", "/_local/clock") => {
                let resp = self.move_clock(&body);
                if resp.status().is_success() {
                    // What fell due on the new clock fires before the answer.
                    let fired = self.fire_due_schedules().await;
                    let now = lifeline_domain::call::rfc3339(self.clock.now());
                    return json(
                        200,
                        &serde_json::json!({"now": now, "schedulesFired": fired}),
                    );
                }
                resp
            }
            // Lambda's Invoke API (`lifeline dlq replay` through AWS_ENDPOINT_URL_LAMBDA).
            ("POST", p) if p.starts_with(INVOKE_API) && p.ends_with("/invocations") => {
                let name = &p[INVOKE_API.len()..p.len() - "/invocations".len()];
                let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
                self.invoke(&name, &body, false).await
            }
            ("GET", "/_local/clock") => json(
                200,
                &serde_json::json!({"now": lifeline_domain::call::rfc3339(self.clock.now())}),
            ),
            _ => problem(&Problem::new(
                404,
                "not-found",
                "Not found",
                format!("no route {} {path}", parts.method),
            )),
        }
    }

    /// Runs one function on a raw event (see [`invoke`]). With `resign`, a
    /// webhook event's signature is made afresh first, as the platform would
    /// at send time (the samples in `events/` carry signatures of their own
    /// moment, which the five-minute window has long refused). Re-signing
    /// vouches for any event with the webhook secret: over HTTP it is a
    /// developer's tool behind the run's token only.
    pub async fn invoke(&self, name: &str, event: &[u8], resign: bool) -> http::Response<Bytes> {
        let Some(function) = self.function(name) else {
            let known: Vec<_> = registry::names().collect();
            return problem(&Problem::new(
                404,
                "unknown-function",
                "Function not found",
                format!("no function `{name}` here; functions: {}", known.join(", ")),
            ));
        };
        let event = if resign {
            self.resign(event)
        } else {
            event.to_vec()
        };
        let (error, value) = match function.invoke(&event).await {
            Ok(out) => (false, out),
            Err(d) => {
                tracing::warn!(function = name, error_type = %d.error_type, "invocation failed");
                (true, serde_json::to_value(&d).unwrap_or_default())
            }
        };
        let mut resp = json(200, &value);
        if error {
            resp.headers_mut().insert(
                "x-amz-function-error",
                http::HeaderValue::from_static("Unhandled"),
            );
        }
        resp
    }

    /// A copy of an HTTP API event with its signature made afresh: Lifeline's
    /// (now, with this runner's secret) or Twilio's (this runner's token and
    /// public URL).
    fn resign(&self, event: &[u8]) -> Vec<u8> {
        let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(event) else {
            return event.to_vec();
        };
        let body = v
            .get("body")
            .and_then(|b| b.as_str())
            .unwrap_or_default()
            .to_string();
        // The URL Twilio would have signed: this runner's public URL + the path.
        let raw = |k: &str| v.get(k).and_then(|p| p.as_str()).unwrap_or_default();
        let url = match raw("rawQueryString") {
            "" => format!("{}{}", self.twilio_public_url(), raw("rawPath")),
            q => format!("{}{}?{q}", self.twilio_public_url(), raw("rawPath")),
        };
        // A Lifeline signature covers the route the event names: its method and rawPath.
        let path = raw("rawPath").to_string();
        let method = v
            .pointer("/requestContext/http/method")
            .and_then(|m| m.as_str())
            .unwrap_or("POST")
            .to_string();
        if let Some(headers) = v.get_mut("headers").and_then(|h| h.as_object_mut()) {
            if headers.contains_key(lifeline_edge::webhook::SIGNATURE_HEADER) {
                let t = chrono::Utc::now().timestamp();
                headers.insert(lifeline_edge::webhook::SIGNATURE_HEADER.into(), {
                    let signed =
                        lifeline_edge::webhook::Signed::new(&method, &path, body.as_bytes());
                    self.config.webhook_secret.sign(t, signed).into()
                });
            }
            if headers.contains_key(twilio_adapter::twilio::SIGNATURE_HEADER) {
                if let Ok(form) = twilio_adapter::twilio::Form::parse(body.as_bytes()) {
                    let signature = twilio_adapter::twilio::expected_signature(
                        &self.twilio_config.auth_token,
                        &url,
                        &form,
                    );
                    headers.insert(
                        twilio_adapter::twilio::SIGNATURE_HEADER.into(),
                        signature.into(),
                    );
                }
            }
        }
        serde_json::to_vec(&v).unwrap_or_else(|_| event.to_vec())
    }

    /// Up or not, and nothing more: it takes no token (`run.sh` waits on
    /// it), so the reason stays in the log.
    async fn health(&self) -> http::Response<Bytes> {
        match self
            .store
            .client()
            .describe_table()
            .table_name(self.store.table())
            .send()
            .await
        {
            Ok(_) => json(200, &serde_json::json!({"status": "ok"})),
            Err(e) => {
                tracing::warn!(table = self.store.table(), error = %DisplayErrorContext(&e), "health: the table does not answer");
                problem(&Problem::new(
                    503,
                    "not-ready",
                    "Not ready",
                    "the table does not answer yet (the runner's log says why)",
                ))
            }
        }
    }

    fn move_clock(&self, body: &[u8]) -> http::Response<Bytes> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Advance {
            advance_minutes: i64,
        }
        match serde_json::from_slice::<Advance>(body) {
            Ok(a) if (0..=60 * 24 * 30).contains(&a.advance_minutes) => {
                let now = self
                    .clock
                    .advance(chrono::Duration::minutes(a.advance_minutes));
                tracing::info!(advanced_minutes = a.advance_minutes, now = %now, "local clock moved");
                json(
                    200,
                    &serde_json::json!({"now": lifeline_domain::call::rfc3339(now)}),
                )
            }
            _ => {
                let mut p = Problem::invalid_field(
                    "advanceMinutes",
                    "`advanceMinutes` must be a whole number from 0 to 43200",
                );
                p.status = 400;
                problem(&p)
            }
        }
    }
}

/// Lambda's answer when no environment is free: `TooManyRequestsException`,
/// which API Gateway passes on; the platform fails open.
fn throttled(function: &str, c: crate::concurrency::Ceilings) -> http::Response<Bytes> {
    tracing::warn!(function, "throttled: every execution environment is busy");
    problem(&Problem::new(
        429,
        "throttled",
        "Too many requests",
        format!(
            "{function}: every execution environment is busy (reservations: dials {}, callbacks {}; account {})",
            c.dial, c.callback, c.account
        ),
    ))
}
