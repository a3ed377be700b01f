//! Handler tests against the in-memory store.

use super::*;
use chrono::{DateTime, Duration, Utc};
use lifeline_core::clock::FixedClock;
use lifeline_core::domain::numbers::Country;
use lifeline_core::domain::route::NumberType;
use lifeline_core::memory::fixtures::{agent, body_json, config, signed};
use lifeline_core::memory::MemoryStore;
use lifeline_core::service::dial::DialService;
use lifeline_core::webhook::parse_outbound;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T05:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

async fn setup() -> (
    Arc<MemoryStore>,
    FixedClock,
    CallEvents<MemoryStore>,
    Arc<Config>,
) {
    let store = Arc::new(MemoryStore::new());
    store.add_agent(agent(
        "a-42",
        Country::US,
        NumberType::CallingPlan,
        "+14255550100",
    ));
    store.add_numbers(Country::US, &["+14255550190"]);
    let clock = FixedClock::at(t0());
    let config = Arc::new(config());
    let dial = DialService::new(store.clone(), Arc::new(clock.clone()), config.clone());
    for call in ["c-1", "c-2"] {
        let body = format!(
            r#"{{"callId":"{call}","agentId":"a-42","dialed":"911","from":"+14255550100","location":{{"country":"US"}}}}"#
        );
        dial.dial(parse_outbound(body.as_bytes()).unwrap()).await;
    }
    let handler = CallEvents::new(store.clone(), Arc::new(clock.clone()), config.clone())
        .with_signature_clock(Arc::new(clock.clone()));
    (store, clock, handler, config)
}

async fn end(
    h: &CallEvents<MemoryStore>,
    cfg: &Config,
    clock: &FixedClock,
    call: &str,
    agent: &str,
) -> u16 {
    let body =
        format!(r#"{{"callId":"{call}","agentId":"{agent}","timestamp":"2026-11-24T05:10:00Z"}}"#);
    h.handle(signed(
        &cfg.webhook_secret,
        "/calls/ended",
        &body,
        clock.now().timestamp(),
    ))
    .await
    .status()
    .as_u16()
}

fn lease(store: &MemoryStore) -> lifeline_core::domain::lease::Lease {
    store.with_state(|s| s.pointers.values().next().cloned().unwrap())
}

#[tokio::test]
async fn window_runs_from_the_end_of_the_last_call() {
    let (store, clock, h, cfg) = setup().await;
    clock.advance(Duration::minutes(10));
    assert_eq!(end(&h, &cfg, &clock, "c-1", "a-42").await, 204);
    let l = lease(&store);
    assert_eq!(l.active_calls.len(), 1, "c-2 still active");
    clock.advance(Duration::minutes(20));
    assert_eq!(end(&h, &cfg, &clock, "c-2", "a-42").await, 204);
    let l = lease(&store);
    assert!(l.active_calls.is_empty());
    assert_eq!(l.expires_at, t0() + Duration::minutes(90));
    assert_eq!(l.hold_until, l.expires_at);
    // The call records say when they ended.
    assert!(store.with_state(|s| s.calls.values().all(|c| c.ended_at.is_some())));
}

#[tokio::test]
async fn duplicate_end_is_a_no_op() {
    let (store, clock, h, cfg) = setup().await;
    clock.advance(Duration::minutes(10));
    assert_eq!(end(&h, &cfg, &clock, "c-1", "a-42").await, 204);
    let before = lease(&store);
    let writes = store.writes();
    clock.advance(Duration::minutes(10));
    assert_eq!(end(&h, &cfg, &clock, "c-1", "a-42").await, 204);
    assert_eq!(lease(&store), before);
    assert_eq!(store.writes(), writes);
}

#[tokio::test]
async fn unknown_call_wrong_agent_and_bad_input() {
    let (store, clock, h, cfg) = setup().await;
    assert_eq!(end(&h, &cfg, &clock, "c-404", "a-42").await, 404);
    assert_eq!(end(&h, &cfg, &clock, "c-1", "a-99").await, 409);
    let resp = h
        .handle(signed(
            &cfg.webhook_secret,
            "/calls/ended",
            r#"{"callId":"c-1"}"#,
            clock.now().timestamp(),
        ))
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(body_json(&resp)["field"], "agentId");
    assert!(store.with_state(|s| s.calls.values().all(|c| c.ended_at.is_none())));
    store.set_failing(true);
    assert_eq!(end(&h, &cfg, &clock, "c-1", "a-42").await, 503);
}

/// The SAM sample event deserialises into the handler's input and runs through it.
#[tokio::test]
async fn sample_event_runs_through_the_handler() {
    let (store, clock, _, cfg) = setup().await;
    let signed_at = FixedClock::at(DateTime::from_timestamp(1_795_496_400, 0).unwrap());
    let h = CallEvents::new(store.clone(), Arc::new(clock.clone()), cfg)
        .with_signature_clock(Arc::new(signed_at));
    let req =
        lambda_http::request::from_str(include_str!("../../../events/call-events.json")).unwrap();
    assert_eq!(h.handle(req).await.status(), 204);
    assert!(store.with_state(|s| s.calls[&"c-1".parse().unwrap()].ended_at.is_some()));
}
