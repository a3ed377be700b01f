//! Test helpers shared by the handler tests: a demo world over the in-memory
//! fakes, its configuration, and requests signed as a voice platform signs them.

use crate::config::{Config, Mode};
use crate::webhook::{WebhookSecret, SIGNATURE_HEADER};
use lambda_http::{Body, Request};
use lifeline_domain::call::AgentProfile;
use lifeline_domain::numbers::Country;
use lifeline_domain::recipient::Recipients;
use lifeline_domain::route::NumberType;

use chrono::{DateTime, Utc};
use lifeline_app::clock::{Clock, FixedClock};
use lifeline_app::service::dial::DialService;
use lifeline_domain::call::OutboundAnswer;
use std::sync::Arc;

pub use lifeline_app::fakes::MemoryStore;

/// 2026-11-24T05:00:00Z, when the tests' calls happen.
pub fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_496_400, 0).unwrap_or_default()
}

/// The clock the sample events in `events/` were signed at (also [`t0`]).
pub fn sample_event_clock() -> Arc<dyn Clock> {
    Arc::new(FixedClock::at(t0()))
}

/// A store, a clock standing at [`t0`] and the demo configuration, with
/// agent a-42 (US, calling plan, +14255550100) and a US pool.
pub struct World {
    pub store: Arc<MemoryStore>,
    pub clock: FixedClock,
    pub config: Arc<Config>,
}

impl World {
    pub fn us(pool: &[&str]) -> World {
        let store = Arc::new(MemoryStore::new());
        store.add_agent(agent(
            "a-42",
            Country::US,
            NumberType::CallingPlan,
            "+14255550100",
        ));
        store.add_numbers(Country::US, pool);
        World {
            store,
            clock: FixedClock::at(t0()),
            config: Arc::new(config()),
        }
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::new(self.clock.clone())
    }

    /// Records an emergency dial of 911 from the US, through the dial service.
    pub async fn dial(&self, call: &str, agent: &str) -> OutboundAnswer {
        let body = serde_json::json!({"callId": call, "agentId": agent, "dialed": "911",
            "from": "+14255550100", "location": {"country": "US"}});
        let dial = crate::webhook::parse_outbound(body.to_string().as_bytes())
            .unwrap_or_else(|p| panic!("{}", p.detail));
        DialService::new(
            self.store.clone(),
            self.clock(),
            self.config.settings.clone(),
        )
        .dial(dial)
        .await
    }
}

/// The local demo configuration: outside-line prefix `9`, secret `local-secret`.
pub fn config() -> Config {
    Config::from_lookup(Mode::Local, |k| match k {
        "LIFELINE_OUTSIDE_LINE_PREFIX" => Some("9".into()),
        _ => None,
    })
    .unwrap_or_else(|e| panic!("test config: {e}"))
}

pub fn agent(id: &str, country: Country, number_type: NumberType, source: &str) -> AgentProfile {
    AgentProfile {
        id: id.parse().unwrap_or_else(|e| panic!("{e}")),
        name: format!("Agent {id}"),
        email: "agent@example.com".parse().ok(),
        country: Some(country),
        source_number: source.parse().unwrap_or_else(|e| panic!("{e}")),
        number_type,
        recipients: Recipients::parse("sup@example.com").unwrap_or_default(),
        fallback: vec![],
        other_country: None,
        outbound_profile: Some("OVP-emergency".into()),
        platform: Default::default(),
    }
}

/// A request signed at unix time `t`, as the voice platform sends it.
pub fn signed(secret: &WebhookSecret, path: &str, body: &str, t: i64) -> Request {
    let mut req = Request::new(Body::Text(body.to_string()));
    *req.method_mut() = http::Method::POST;
    *req.uri_mut() = path.parse().unwrap_or_else(|e| panic!("{e}"));
    req.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/json"),
    );
    let signed = crate::webhook::Signed::post(req.uri().path(), body.as_bytes());
    if let Ok(v) = http::HeaderValue::from_str(&secret.sign(t, signed)) {
        req.headers_mut().insert(SIGNATURE_HEADER, v);
    }
    req
}

pub fn body_json(resp: &lambda_http::Response<Body>) -> serde_json::Value {
    match resp.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap_or(serde_json::Value::Null),
        Body::Binary(b) => serde_json::from_slice(b).unwrap_or(serde_json::Value::Null),
        _ => serde_json::Value::Null,
    }
}

/// An asynchronous invocation that must succeed: its answer.
pub async fn invoked_ok<H: crate::lambda::EventHandler + ?Sized>(
    handler: &H,
    payload: serde_json::Value,
) -> serde_json::Value {
    match handler.invoke(payload).await {
        Ok(v) => v,
        Err(d) => panic!("{}: {}", d.error_type, d.error_message),
    }
}

/// An asynchronous invocation that must fail, saying why: its error type.
pub async fn invoked_err<H: crate::lambda::EventHandler + ?Sized>(
    handler: &H,
    payload: serde_json::Value,
) -> String {
    match handler.invoke(payload).await {
        Ok(v) => panic!("expected a failure, got {v}"),
        Err(d) => {
            assert!(!d.error_message.is_empty(), "{}", d.error_type);
            d.error_type
        }
    }
}
