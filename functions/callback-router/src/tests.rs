//! Handler tests against the in-memory store.

use super::*;
use chrono::Duration;
use lifeline_app::service::ended::EndService;
use lifeline_edge::fixtures::{body_json, sample_event_clock, signed, t0, World};
use lifeline_edge::webhook::parse_ended;
use serde_json::json;

fn router(w: &World) -> CallbackRouter<lifeline_app::fakes::MemoryStore> {
    CallbackRouter::new(w.store.clone(), w.clock(), w.config.clone())
        .with_signature_clock(w.clock())
}

async fn inbound(
    w: &World,
    h: &CallbackRouter<lifeline_app::fakes::MemoryStore>,
    to: &str,
) -> (u16, serde_json::Value) {
    let body = format!(
        r#"{{"callId":"c-9","to":"{to}","from":"+12065550911","sipPriority":"psap-callback"}}"#
    );
    let resp = h
        .handle(signed(
            &w.config.webhook_secret,
            "/calls/inbound",
            &body,
            w.clock.now().timestamp(),
        ))
        .await;
    (resp.status().as_u16(), body_json(&resp))
}

#[tokio::test]
async fn live_lease_connects_the_agent_until_the_window_closes() {
    let w = World::us(&["+14255550199"]);
    let h = router(&w);
    let ended = EndService::new(w.store.clone(), w.clock(), w.config.settings.clone());

    assert_eq!(
        inbound(&w, &h, "+14255550199").await.1,
        json!({"action":"continue"})
    );
    w.dial("c-1", "a-42").await;
    let (_, v) = inbound(&w, &h, "+14255550199").await;
    assert_eq!(v["action"], "connect_agent");
    assert_eq!(v["agentId"], "a-42");
    assert_eq!(v["priority"], "emergency");
    assert_eq!(
        v["bypass"],
        json!(["routing_rules", "capacity", "presence"])
    );
    assert_eq!(v["record"], false);
    let reads = w.store.reads();
    inbound(&w, &h, "+14255550199").await;
    assert_eq!(w.store.reads() - reads, 1, "one read per callback");

    w.clock.advance(Duration::minutes(5));
    ended
        .end(parse_ended(br#"{"callId":"c-1","agentId":"a-42"}"#).unwrap())
        .await
        .unwrap();
    w.clock.advance(Duration::minutes(59));
    assert_eq!(
        inbound(&w, &h, "+14255550199").await.1["action"],
        "connect_agent"
    );
    w.clock.advance(Duration::minutes(2));
    assert_eq!(
        inbound(&w, &h, "+14255550199").await.1,
        json!({"action":"continue"})
    );
    assert_eq!(
        inbound(&w, &h, "+14255550000").await.1,
        json!({"action":"continue"})
    );

    w.store.set_failing(true);
    w.clock.set(t0() + Duration::minutes(1));
    assert_eq!(
        inbound(&w, &h, "+14255550199").await,
        (200, json!({"action":"continue"})),
        "a store fault falls back to normal routing"
    );
}

#[tokio::test]
async fn fallback_comes_from_configuration_when_the_lease_has_none() {
    let mut w = World::us(&["+14255550199"]);
    let mut cfg = (*w.config).clone();
    let mut settings = (*cfg.settings).clone();
    settings.callback_fallback = vec!["queue:emergency-callbacks".into()];
    cfg.settings = Arc::new(settings);
    w.config = Arc::new(cfg);
    w.dial("c-1", "a-42").await;
    let (_, v) = inbound(&w, &router(&w), "+14255550199").await;
    assert_eq!(v["fallback"], json!(["queue:emergency-callbacks"]));
}

#[tokio::test]
async fn bad_input_is_refused() {
    let w = World::us(&[]);
    let h = router(&w);
    let resp = h
        .handle(signed(
            &w.config.webhook_secret,
            "/calls/inbound",
            r#"{"callId":"c-9"}"#,
            t0().timestamp(),
        ))
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(body_json(&resp)["field"], "to");
    let body = r#"{"callId":"c-9","to":"+14255550199"}"#;
    let mut req = signed(
        &w.config.webhook_secret,
        "/calls/inbound",
        body,
        t0().timestamp(),
    );
    req.headers_mut().remove("x-lifeline-signature");
    assert_eq!(h.handle(req).await.status(), 401);
    assert_eq!(w.store.reads(), 0);
}

/// The SAM sample event deserialises into the handler's input and runs through it.
#[tokio::test]
async fn sample_event_runs_through_the_handler() {
    let w = World::us(&["+14255550199"]);
    w.dial("c-1", "a-42").await;
    let h = CallbackRouter::new(w.store.clone(), w.clock(), w.config.clone())
        .with_signature_clock(sample_event_clock());
    let req = lambda_http::request::from_str(include_str!("../../../events/callback-router.json"))
        .unwrap();
    let v = body_json(&h.handle(req).await);
    assert_eq!(v["action"], "connect_agent");
    assert_eq!(v["agentId"], "a-42");
}

#[tokio::test]
async fn a_panic_below_the_routing_follows_normal_routing() {
    let w = World::us(&["+14255550199"]);
    let h = CallbackRouter::new(
        Arc::new(lifeline_app::fakes::PanickingStore),
        w.clock(),
        w.config.clone(),
    )
    .with_signature_clock(w.clock());
    let body = r#"{"callId":"c-9","to":"+14255550199","from":"+12065550911"}"#;
    let resp = h
        .handle(signed(
            &w.config.webhook_secret,
            "/calls/inbound",
            body,
            w.clock.now().timestamp(),
        ))
        .await;
    assert_eq!(
        (resp.status().as_u16(), body_json(&resp)),
        (200, json!({"action": "continue"}))
    );
}

/// The callback is marked on the number (the incident shows it); a mark
/// that cannot be written never changes the answer.
#[tokio::test]
async fn a_callback_is_marked_and_a_failed_mark_still_connects() {
    let w = World::us(&["+14255550199"]);
    let h = router(&w);
    w.dial("c-1", "a-42").await;
    let (_, v) = inbound(&w, &h, "+14255550199").await;
    assert_eq!(v["action"], "connect_agent");
    let marks = w.store.with_state(|s| s.callbacks.clone());
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0].0.as_str(), "+14255550199");
    w.store.fail_next_writes(1);
    let (status, v) = inbound(&w, &h, "+14255550199").await;
    assert_eq!((status, v["action"].as_str()), (200, Some("connect_agent")));
    assert_eq!(
        w.store.with_state(|s| s.callbacks.len()),
        1,
        "the failed mark wrote nothing"
    );
}
