//! Handler tests over the in-memory store.

use super::*;
use lifeline_app::fakes::MemoryStore;
use lifeline_edge::fixtures::{body_json, sample_event_clock, t0, World};
use lifeline_edge::webhook::SIGNATURE_HEADER;
use serde_json::json;

fn api(w: &World) -> PresenceApi<MemoryStore> {
    PresenceApi::new(w.store.clone(), w.clock(), w.config.clone()).with_signature_clock(w.clock())
}

fn request(w: &World, method: &str, path: &str, body: &str) -> Request {
    let mut req = Request::new(if body.is_empty() {
        Body::Empty
    } else {
        Body::Text(body.to_string())
    });
    *req.method_mut() = method.parse().unwrap();
    *req.uri_mut() = path.parse().unwrap();
    let sig = w.config.webhook_secret.sign(
        t0().timestamp(),
        lifeline_edge::webhook::Signed::new(
            method,
            path.split('?').next().unwrap_or(path),
            body.as_bytes(),
        ),
    );
    req.headers_mut()
        .insert(SIGNATURE_HEADER, sig.parse().unwrap());
    req
}

async fn call(w: &World, method: &str, path: &str, body: &str) -> (u16, serde_json::Value, String) {
    let resp = api(w).handle(request(w, method, path, body)).await;
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (resp.status().as_u16(), body_json(&resp), ct)
}

#[tokio::test]
async fn get_and_put() {
    let w = World::us(&[]);
    let (status, v, _) = call(&w, "GET", "/agents/a-42/presence", "").await;
    assert_eq!(
        (status, v),
        (
            200,
            json!({"agentId":"a-42","status":"available","override":false})
        )
    );
    let (status, v, _) = call(&w, "PUT", "/agents/a-42/presence", r#"{"status":"busy"}"#).await;
    assert_eq!(
        (status, v),
        (
            200,
            json!({"agentId":"a-42","status":"busy","override":false})
        )
    );
    // During an override a PUT keeps DND and changes the status to restore.
    w.dial("c-1", "a-42").await;
    lifeline_app::service::presence::PresenceService::new(
        w.store.clone(),
        w.clock(),
        w.config.settings.presence,
    )
    .apply(&lifeline_edge::stream::CallChange::Started {
        agent: "a-42".parse().unwrap(),
        call: "c-1".parse().unwrap(),
        at: t0(),
    })
    .await
    .unwrap();
    let (_, v, _) = call(&w, "PUT", "/agents/a-42/presence", r#"{"status":"away"}"#).await;
    assert_eq!(
        v,
        json!({"agentId":"a-42","status":"do_not_disturb","override":true})
    );
}

#[tokio::test]
async fn errors() {
    let w = World::us(&[]);
    let (status, v, ct) = call(&w, "GET", "/agents/a-99/presence", "").await;
    assert_eq!((status, ct.as_str()), (404, "application/problem+json"));
    assert_eq!(v["title"], "Unknown agent");
    assert_eq!(
        call(&w, "PUT", "/agents/a-99/presence", r#"{"status":"away"}"#)
            .await
            .0,
        404
    );
    let (status, v, _) = call(&w, "PUT", "/agents/a-42/presence", r#"{"status":"lunch"}"#).await;
    assert_eq!(status, 400);
    assert_eq!(v["field"], "status");
    assert!(v["detail"]
        .as_str()
        .unwrap()
        .contains("available, busy, away, do_not_disturb, offline"));
    assert_eq!(
        call(&w, "PUT", "/agents/a-42/presence", r#"{}"#).await.1["field"],
        "status"
    );
    assert_eq!(
        call(&w, "PUT", "/agents/a-42/presence", "nope").await.0,
        400
    );
    assert_eq!(
        call(&w, "PUT", "/agents/a%23b/presence", r#"{"status":"away"}"#)
            .await
            .0,
        400
    );
    assert_eq!(
        call(&w, "POST", "/agents/a-42/presence", r#"{"status":"away"}"#)
            .await
            .0,
        405
    );
    let mut req = request(&w, "GET", "/agents/a-42/presence", "");
    req.headers_mut().remove(SIGNATURE_HEADER);
    assert_eq!(api(&w).handle(req).await.status(), 401);
    assert!(
        w.store.with_state(|s| s.presence.is_empty()),
        "nothing written"
    );
}

#[tokio::test]
async fn sample_events_run_through_the_handler() {
    let w = World::us(&[]);
    let h = PresenceApi::new(w.store.clone(), w.clock(), w.config.clone())
        .with_signature_clock(sample_event_clock());
    let put = lambda_http::request::from_str(include_str!("../../../events/presence-api-put.json"))
        .unwrap();
    assert_eq!(body_json(&h.handle(put).await)["status"], "away");
    let get = lambda_http::request::from_str(include_str!("../../../events/presence-api-get.json"))
        .unwrap();
    assert_eq!(
        body_json(&h.handle(get).await),
        json!({"agentId":"a-42","status":"away","override":false})
    );
}
