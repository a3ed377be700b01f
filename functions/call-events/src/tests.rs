//! Handler tests against the in-memory store.

use super::*;
use chrono::Duration;
use lifeline_app::fakes::MemoryStore;
use lifeline_edge::fixtures::{body_json, sample_event_clock, signed, t0, World};

/// a-42 holds one number and two active emergency calls, c-1 and c-2.
async fn setup() -> (World, CallEvents<MemoryStore>) {
    let w = World::us(&["+14255550190"]);
    w.dial("c-1", "a-42").await;
    w.dial("c-2", "a-42").await;
    let h = CallEvents::new(w.store.clone(), w.clock(), w.config.clone())
        .with_signature_clock(w.clock());
    (w, h)
}

async fn end(w: &World, h: &CallEvents<MemoryStore>, call: &str, agent: &str) -> u16 {
    let body =
        format!(r#"{{"callId":"{call}","agentId":"{agent}","timestamp":"2026-11-24T05:10:00Z"}}"#);
    let req = signed(
        &w.config.webhook_secret,
        "/calls/ended",
        &body,
        w.clock.now().timestamp(),
    );
    h.handle(req).await.status().as_u16()
}

fn lease(store: &MemoryStore) -> lifeline_domain::lease::Lease {
    store.with_state(|s| s.pointers.values().next().cloned().unwrap())
}

#[tokio::test]
async fn window_runs_from_the_end_of_the_last_call() {
    let (w, h) = setup().await;
    w.clock.advance(Duration::minutes(10));
    assert_eq!(end(&w, &h, "c-1", "a-42").await, 204);
    let l = lease(&w.store);
    assert_eq!(l.active_calls.len(), 1, "c-2 still active");
    w.clock.advance(Duration::minutes(20));
    assert_eq!(end(&w, &h, "c-2", "a-42").await, 204);
    let l = lease(&w.store);
    assert!(l.active_calls.is_empty());
    assert_eq!(l.expires_at, t0() + Duration::minutes(90));
    assert_eq!(l.hold_until, l.expires_at);
    // The call records say when they ended.
    assert!(w
        .store
        .with_state(|s| s.calls.values().all(|c| c.ended_at.is_some())));
}

#[tokio::test]
async fn duplicate_end_is_a_no_op() {
    let (w, h) = setup().await;
    w.clock.advance(Duration::minutes(10));
    assert_eq!(end(&w, &h, "c-1", "a-42").await, 204);
    let before = lease(&w.store);
    let writes = w.store.writes();
    w.clock.advance(Duration::minutes(10));
    assert_eq!(end(&w, &h, "c-1", "a-42").await, 204);
    assert_eq!(lease(&w.store), before);
    assert_eq!(w.store.writes(), writes);
}

/// An end for a call not recorded yet, or for another agent's call under
/// an id (theirs may be recorded apart, later): `202`, kept, nothing
/// ended; bad input a `400`; the store down a `503`.
#[tokio::test]
async fn an_unknown_call_is_kept_and_bad_input_refused() {
    let (w, h) = setup().await;
    assert_eq!(end(&w, &h, "c-404", "a-42").await, 202);
    assert_eq!(end(&w, &h, "c-1", "a-99").await, 202);
    assert_eq!(w.store.with_state(|s| s.kept_ends.len()), 2);
    let req = signed(
        &w.config.webhook_secret,
        "/calls/ended",
        r#"{"callId":"c-1"}"#,
        w.clock.now().timestamp(),
    );
    let resp = h.handle(req).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(body_json(&resp)["field"], "agentId");
    assert!(w
        .store
        .with_state(|s| s.calls.values().all(|c| c.ended_at.is_none())));
    w.store.set_failing(true);
    assert_eq!(end(&w, &h, "c-1", "a-42").await, 503);
}

/// The SAM sample event deserialises into the handler's input and runs through it.
#[tokio::test]
async fn sample_event_runs_through_the_handler() {
    let (w, _) = setup().await;
    let h = CallEvents::new(w.store.clone(), w.clock(), w.config.clone())
        .with_signature_clock(sample_event_clock());
    let req =
        lambda_http::request::from_str(include_str!("../../../events/call-events.json")).unwrap();
    assert_eq!(h.handle(req).await.status(), 204);
    assert!(w
        .store
        .with_state(|s| s.calls[&"c-1".parse().unwrap()].ended_at.is_some()));
}
