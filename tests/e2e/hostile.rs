//! A hostile internet, end to end through the runner over DynamoDB Local:
//! each attack of the security review, its answer, and what was written
//! afterwards (nothing). The attack table in docs/security.md lists them.

use lifeline_e2e::{dial, start, start_with, Local};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The review's header: `t=<now>,` and ~95 000 empty `v2=` values.
fn stuffed(t: i64) -> String {
    format!("t={t},{}", "v2=,".repeat(95_000))
}

/// A stuffed signature header is refused before any MAC: a 401 problem on
/// an ordinary route, the fail-open answer on an emergency dial; quickly,
/// and nothing written.
#[tokio::test]
async fn a_stuffed_signature_header_is_refused_unread() {
    let l = start(5).await;
    let now = chrono::Utc::now().timestamp();
    let http = reqwest::Client::new();
    let send = |path: &str, body: &Value| {
        http.post(format!("{}{path}", l.base))
            .header("content-type", "application/json")
            .header("x-lifeline-signature", stuffed(now))
            .body(body.to_string())
            .send()
    };
    let started = Instant::now();
    let ended = send("/calls/ended", &json!({"callId": "h-1", "agentId": "a-42"}))
        .await
        .expect("answered");
    let took = started.elapsed();
    // hyper may refuse a header this large itself (431); either way, no 5xx.
    assert!(
        matches!(ended.status().as_u16(), 401 | 431),
        "{}",
        ended.status()
    );
    assert!(took < Duration::from_secs(1), "refused in {took:?}");

    let dial_reply = send("/calls/outbound", &dial("h-2", "a-42", "911"))
        .await
        .expect("answered");
    let status = dial_reply.status().as_u16();
    assert!(matches!(status, 200 | 431), "{status}");
    if status == 200 {
        let v: Value = dial_reply.json().await.expect("json");
        assert_eq!(
            (&v["action"], &v["reason"]),
            (&json!("emergency"), &json!("unauthenticated"))
        );
    }
    assert!(!l.call_recorded("h-2").await, "nothing written");

    // Within hyper's limits: five tags, or a header over 1 KiB.
    let tag = "00".repeat(32);
    for header in [
        format!("t={now},{}", format!("v2={tag},").repeat(5)),
        format!("t={now},v2={tag},{}", "x=1,".repeat(300)),
    ] {
        let r = l
            .post_raw(
                "/calls/ended",
                r#"{"callId":"h-1","agentId":"a-42"}"#,
                Some(&header),
            )
            .await;
        assert_eq!(r.status, 401, "{}", r.json);
        assert_eq!(r.content_type, "application/problem+json");
        assert!(
            r.json["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("1 KiB"),
            "{}",
            r.json
        );
    }
}

/// A signature dated more than 30 s ahead is refused (no second replay window).
#[tokio::test]
async fn a_signature_from_the_future_is_refused() {
    let l = start(5).await;
    let raw = r#"{"status":"away"}"#;
    let ahead = chrono::Utc::now().timestamp() + 60;
    let sig = l.secret.sign(
        ahead,
        lifeline_edge::webhook::Signed::new("PUT", "/agents/a-42/presence", raw.as_bytes()),
    );
    let r = l
        .send_raw(
            reqwest::Method::PUT,
            "/agents/a-42/presence",
            raw,
            Some(&sig),
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.json);
    assert_eq!(l.presence("a-42").await["status"], "available");
}

/// Replays within the signature's window cannot undo a newer change: a
/// presence or location PUT signed before the last one applied answers
/// `409 stale_request`, and the table keeps the newer state.
#[tokio::test]
async fn a_replayed_put_cannot_undo_a_newer_one() {
    let l = start(5).await;
    let then = chrono::Utc::now().timestamp() - 30;
    let signed_then = |path: &str, raw: &str| {
        l.secret.sign(
            then,
            lifeline_edge::webhook::Signed::new("PUT", path, raw.as_bytes()),
        )
    };
    let old_status = r#"{"status":"busy"}"#;
    let old_desk = r#"{"location":{"country":"US","address":"1 Old Desk Rd, Redmond WA"}}"#;
    let presence_sig = signed_then("/agents/a-42/presence", old_status);
    let location_sig = signed_then("/agents/a-42/location", old_desk);
    // The captured requests went through once, 30 s ago.
    for (path, raw, sig) in [
        ("/agents/a-42/presence", old_status, &presence_sig),
        ("/agents/a-42/location", old_desk, &location_sig),
    ] {
        let r = l.send_raw(reqwest::Method::PUT, path, raw, Some(sig)).await;
        assert_eq!(r.status, 200, "{}", r.json);
    }
    // The agent moves on: away, at the new desk.
    let r = l
        .request(
            reqwest::Method::PUT,
            "/agents/a-42/presence",
            Some(&json!({"status": "away"})),
        )
        .await;
    assert_eq!(r.status, 200);
    let new_desk = json!({"location": {"country": "US", "address": "2 New Desk Rd, Redmond WA"}});
    let r = l
        .request(
            reqwest::Method::PUT,
            "/agents/a-42/location",
            Some(&new_desk),
        )
        .await;
    assert_eq!(r.status, 200);
    // The attacker replays both.
    for (path, raw, sig) in [
        ("/agents/a-42/presence", old_status, &presence_sig),
        ("/agents/a-42/location", old_desk, &location_sig),
    ] {
        let r = l.send_raw(reqwest::Method::PUT, path, raw, Some(sig)).await;
        assert_eq!(r.status, 409, "{}", r.json);
        assert_eq!(r.content_type, "application/problem+json");
        assert_eq!(r.json["type"], "urn:lifeline:problem:stale_request");
    }
    assert_eq!(l.presence("a-42").await["status"], "away");
    let located = l
        .request(reqwest::Method::GET, "/agents/a-42/location", None)
        .await;
    assert_eq!(
        located.json["location"]["address"],
        "2 New Desk Rd, Redmond WA"
    );
}

/// A `lifeline.call.started` put on the bus by someone else, for a call
/// never made, sets no Do Not Disturb; a forged end during a real call
/// does not lift it.
#[tokio::test]
async fn forged_call_events_set_and_lift_nothing() {
    let l = start(5).await;
    let event = |detail_type: &str, call: &str| {
        json!({
            "version": "0", "id": format!("forged-{call}-{detail_type}"),
            "detail-type": detail_type, "source": "lifeline",
            "account": "123456789012", "time": chrono::Utc::now().to_rfc3339(),
            "region": "us-east-1", "resources": [],
            "detail": {"version": 1, "callId": call, "agentId": "a-42",
                       "at": chrono::Utc::now().to_rfc3339()}
        })
    };
    let (out, error) = l
        .invoke(
            "presence-override",
            &event("lifeline.call.started", "never-made"),
        )
        .await;
    assert!(!error, "{out}");
    assert_eq!(out["unconfirmed"], "unknown_call", "{out}");
    assert_eq!(l.presence("a-42").await["status"], "available");

    // A real call: Do Not Disturb; a forged end while it is on changes nothing.
    let d = l
        .post("/calls/outbound", &dial("h-real", "a-42", "911"))
        .await;
    assert_eq!(d.json["action"], "emergency");
    l.wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;
    let (out, _) = l
        .invoke("presence-override", &event("lifeline.call.ended", "h-real"))
        .await;
    assert_eq!(out["unconfirmed"], "not_ended", "{out}");
    assert_eq!(l.presence("a-42").await["status"], "do_not_disturb");
}

/// The runner models Lambda's concurrency: one request per environment, no
/// queue. Beyond the reservation a dial is throttled (429, nothing written:
/// the platform fails open); within it, none is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dials_beyond_the_reserved_environments_are_throttled_not_queued() {
    async fn burst(l: &Local, tag: &str, n: usize) -> Vec<(String, u16)> {
        let dials = (0..n).map(|i| {
            let call = format!("{tag}-{i}");
            async move {
                let r = l.post("/calls/outbound", &dial(&call, "a-42", "911")).await;
                (call, r.status)
            }
        });
        futures::future::join_all(dials).await
    }
    let tight = start_with(5, &[("LIFELINE_E2E_CONCURRENCY", "dial=2")]).await;
    let answers = burst(&tight, "thr", 20).await;
    let throttled: Vec<_> = answers.iter().filter(|(_, s)| *s == 429).collect();
    assert!(!throttled.is_empty(), "{answers:?}");
    assert!(
        answers.iter().all(|(_, s)| matches!(s, 200 | 429)),
        "{answers:?}"
    );
    for (call, _) in throttled {
        assert!(
            !tight.call_recorded(call).await,
            "a throttled dial wrote nothing"
        );
    }
    // The template's defaults (500 environments): the same burst, none throttled.
    let roomy = start(5).await;
    let answers = burst(&roomy, "ok", 20).await;
    assert!(answers.iter().all(|(_, s)| *s == 200), "{answers:?}");
}
