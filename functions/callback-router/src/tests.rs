//! Handler tests against the in-memory store.

use super::*;
use chrono::{DateTime, Duration, Utc};
use lifeline_core::clock::FixedClock;
use lifeline_core::domain::numbers::Country;
use lifeline_core::domain::route::NumberType;
use lifeline_core::memory::fixtures::{agent, body_json, config, signed};
use lifeline_core::memory::MemoryStore;
use lifeline_core::service::dial::DialService;
use lifeline_core::service::ended::EndService;
use lifeline_core::webhook::{parse_ended, parse_outbound};
use serde_json::json;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T05:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn live_lease_connects_the_agent_until_the_window_closes() {
    let store = Arc::new(MemoryStore::new());
    store.add_agent(agent(
        "a-42",
        Country::US,
        NumberType::CallingPlan,
        "+14255550100",
    ));
    store.add_numbers(Country::US, &["+14255550199"]);
    let clock = FixedClock::at(t0());
    let config = Arc::new(config());
    let dial = DialService::new(store.clone(), Arc::new(clock.clone()), config.clone());
    let ended = EndService::new(store.clone(), Arc::new(clock.clone()), config.clone());
    let h = CallbackRouter::new(store.clone(), Arc::new(clock.clone()), config.clone())
        .with_signature_clock(Arc::new(clock.clone()));
    let inbound = |to: &str| {
        let body = format!(
            r#"{{"callId":"c-9","to":"{to}","from":"+12065550911","sipPriority":"psap-callback"}}"#
        );
        signed(
            &config.webhook_secret,
            "/calls/inbound",
            &body,
            clock.now().timestamp(),
        )
    };

    assert_eq!(
        body_json(&h.handle(inbound("+14255550199")).await),
        json!({"action":"continue"})
    );
    let body = r#"{"callId":"c-1","agentId":"a-42","dialed":"911","from":"+14255550100","location":{"country":"US"}}"#;
    dial.dial(parse_outbound(body.as_bytes()).unwrap()).await;
    let v = body_json(&h.handle(inbound("+14255550199")).await);
    assert_eq!(v["action"], "connect_agent");
    assert_eq!(v["agentId"], "a-42");
    assert_eq!(v["priority"], "emergency");
    assert_eq!(
        v["bypass"],
        json!(["routing_rules", "capacity", "presence"])
    );
    assert_eq!(v["record"], false);
    let reads = store.reads();
    h.handle(inbound("+14255550199")).await;
    assert_eq!(store.reads() - reads, 1, "one read per callback");

    clock.advance(Duration::minutes(5));
    ended
        .end(parse_ended(br#"{"callId":"c-1","agentId":"a-42"}"#).unwrap())
        .await
        .unwrap();
    clock.advance(Duration::minutes(59));
    assert_eq!(
        body_json(&h.handle(inbound("+14255550199")).await)["action"],
        "connect_agent"
    );
    clock.advance(Duration::minutes(2));
    assert_eq!(
        body_json(&h.handle(inbound("+14255550199")).await),
        json!({"action":"continue"})
    );
    assert_eq!(
        body_json(&h.handle(inbound("+14255550000")).await),
        json!({"action":"continue"})
    );

    store.set_failing(true);
    clock.set(t0() + Duration::minutes(1));
    let resp = h.handle(inbound("+14255550199")).await;
    assert_eq!(
        resp.status(),
        200,
        "a store fault falls back to normal routing"
    );
    assert_eq!(body_json(&resp), json!({"action":"continue"}));
}

#[tokio::test]
async fn bad_input_is_refused() {
    let store = Arc::new(MemoryStore::new());
    let clock = FixedClock::at(t0());
    let config = Arc::new(config());
    let h = CallbackRouter::new(store.clone(), Arc::new(clock.clone()), config.clone())
        .with_signature_clock(Arc::new(clock.clone()));
    let resp = h
        .handle(signed(
            &config.webhook_secret,
            "/calls/inbound",
            r#"{"callId":"c-9"}"#,
            t0().timestamp(),
        ))
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(body_json(&resp)["field"], "to");
    let mut req = signed(
        &config.webhook_secret,
        "/calls/inbound",
        r#"{"callId":"c-9","to":"+14255550199"}"#,
        t0().timestamp(),
    );
    req.headers_mut().remove("x-lifeline-signature");
    assert_eq!(h.handle(req).await.status(), 401);
    assert_eq!(store.reads(), 0);
}

/// The SAM sample event deserialises into the handler's input and runs through it.
#[tokio::test]
async fn sample_event_runs_through_the_handler() {
    let store = Arc::new(MemoryStore::new());
    store.add_agent(agent(
        "a-42",
        Country::US,
        NumberType::CallingPlan,
        "+14255550100",
    ));
    store.add_numbers(Country::US, &["+14255550199"]);
    let clock = FixedClock::at(t0());
    let config = Arc::new(config());
    let dial = DialService::new(store.clone(), Arc::new(clock.clone()), config.clone());
    let body = r#"{"callId":"c-1","agentId":"a-42","dialed":"911","from":"+14255550100","location":{"country":"US"}}"#;
    dial.dial(parse_outbound(body.as_bytes()).unwrap()).await;
    let signed_at = FixedClock::at(DateTime::from_timestamp(1_795_496_400, 0).unwrap());
    let h = CallbackRouter::new(store, Arc::new(clock), config)
        .with_signature_clock(Arc::new(signed_at));
    let req = lambda_http::request::from_str(include_str!("../../../events/callback-router.json"))
        .unwrap();
    let v = body_json(&h.handle(req).await);
    assert_eq!(v["action"], "connect_agent");
    assert_eq!(v["agentId"], "a-42");
}
