//! The adapter's routes end to end over the in-memory store: one file per
//! route, the shared requests and fixtures here.

use super::*;
use crate::twilio::{Form, TwilioAuthToken};
use lambda_http::{Body, Request, Response};
use lifeline_app::fakes::MemoryStore;
use lifeline_domain::types::E164;
use lifeline_edge::config::Mode;
use lifeline_edge::fixtures::World;
use lifeline_edge::http::WebhookHandler;
use serde_json::Value;
use std::sync::Arc;

const POOL: [&str; 2] = ["+14255550190", "+14255550191"];
const BASE: &str = "http://127.0.0.1:3000";
const WORKFLOW: &str = "WW0123456789abcdef0123456789abcdef";

fn config(extra: &[(&str, &str)]) -> TwilioConfig {
    TwilioConfig::from_lookup(Mode::Local, |k| {
        extra
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
    .unwrap()
}

/// An adapter whose store panics on every call (a bug below the dial).
fn panicking_adapter(world: &World) -> TwilioAdapter<lifeline_app::fakes::PanickingStore> {
    TwilioAdapter::new(
        Arc::new(lifeline_app::fakes::PanickingStore),
        world.clock(),
        world.config.clone(),
        config(&[]),
    )
}

fn adapter(world: &World, twilio: TwilioConfig) -> TwilioAdapter<MemoryStore> {
    TwilioAdapter::new(
        world.store.clone(),
        world.clock(),
        world.config.clone(),
        twilio,
    )
}

fn sample(name: &str) -> Value {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The sample's API Gateway event as lambda_http hands it to the handler.
fn from_event(event: Value) -> Request {
    let req: lambda_http::request::LambdaRequest = serde_json::from_value(event).unwrap();
    req.into()
}

/// A request as Twilio sends it: form body, signed for `url` with `token`.
fn signed(path_and_query: &str, form: &Form, token: &str, url_base: &str) -> Request {
    let token = TwilioAuthToken::new(token).unwrap();
    let sig = twilio::expected_signature(&token, &format!("{url_base}{path_and_query}"), form);
    let mut req = Request::new(Body::Text(form.to_body()));
    *req.method_mut() = http::Method::POST;
    *req.uri_mut() = path_and_query.parse().unwrap();
    req.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    req.headers_mut().insert(
        twilio::SIGNATURE_HEADER,
        http::HeaderValue::from_str(&sig).unwrap(),
    );
    req
}

/// A genuine request: signed with the local token for the local base URL.
fn genuine(path_and_query: &str, form: &Form) -> Request {
    signed(path_and_query, form, "local-twilio-token", BASE)
}

fn body(resp: &Response<Body>) -> String {
    match resp.body() {
        Body::Text(t) => t.clone(),
        Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    }
}

fn twiml_of(resp: &Response<Body>) -> String {
    assert_eq!(resp.status(), 200, "{}", body(resp));
    assert_eq!(resp.headers()["content-type"], "text/xml");
    body(resp)
}

fn dial_form(call_sid: &str, to: &str) -> Form {
    Form::from_pairs([
        ("CallSid", call_sid),
        ("From", "client:a-42"),
        ("To", to),
        ("CallerId", "+14255550100"),
        ("Country", "US"),
    ])
}

/// The caller ID an emergency dial (the sample) leased: a pool number.
async fn leased_number(world: &World, a: &TwilioAdapter<MemoryStore>) -> String {
    let twiml = twiml_of(&a.handle(from_event(sample("twilio-outbound.json"))).await);
    POOL.iter()
        .find(|n| twiml.contains(&format!(r#"callerId="{n}""#)))
        .map(|n| n.to_string())
        .unwrap_or_else(|| panic!("{twiml} ({} writes)", world.store.writes()))
}

mod config;
mod inbound;
mod outbound;
mod signatures;
mod status;
