//! Bad input, oversized bodies, unreadable profiles and replayed signatures: clear answers, nothing written.

use lifeline_e2e::{dial, ended, start, US_POOL};
use lifeline_edge::webhook::Signed;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn bad_input_answers_clearly_and_writes_nothing() {
    let l = start(5).await;
    l.calls.reset();
    // Not authenticated: an ordinary dial is refused; an emergency dial fails
    // open (its own number, `unauthenticated`), and neither reads or writes.
    let t = chrono::Utc::now().timestamp();
    let wrong_secret =
        lifeline_edge::webhook::WebhookSecret::new("not-the-secret").expect("secret");
    for dialed in ["5551234", "911"] {
        let body = dial("c-1", "a-42", dialed).to_string();
        let signed = Signed::post("/calls/outbound", body.as_bytes());
        let wrong = wrong_secret.sign(t, signed);
        let stale = l.secret.sign(t - 400, signed);
        for signature in [None, Some(wrong.as_str()), Some(stale.as_str())] {
            let r = l.post_raw("/calls/outbound", &body, signature).await;
            if dialed == "911" {
                assert_eq!(
                    (
                        r.status,
                        r.json["action"].as_str(),
                        r.json["reason"].as_str(),
                        r.json["callerId"].as_str()
                    ),
                    (
                        200,
                        Some("emergency"),
                        Some("unauthenticated"),
                        Some("+14255550100")
                    ),
                    "{signature:?}"
                );
            } else {
                assert_eq!(
                    (r.status, r.content_type.as_str()),
                    (401, "application/problem+json"),
                    "{signature:?}"
                );
            }
        }
    }

    let r = l
        .post(
            "/calls/outbound",
            &json!({"callId":"c-1","agentId":"a-42","dialed":"911","from":"not-a-number"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(r.json["field"], "from");
    let r = l.post("/calls/ended", &json!({"agentId":"a-42"})).await;
    assert_eq!((r.status, r.json["field"].as_str()), (400, Some("callId")));
    let r = l
        .post("/calls/inbound", &json!({"callId":"c","to":12}))
        .await;
    assert_eq!((r.status, r.json["field"].as_str()), (400, Some("to")));
    let sig = l
        .secret
        .sign(t, Signed::post("/calls/outbound", b"{not json"));
    assert_eq!(
        l.post_raw("/calls/outbound", "{not json", Some(&sig))
            .await
            .status,
        400
    );
    assert!(
        l.calls.snapshot().is_empty(),
        "nothing read or written: {:?}",
        l.calls.snapshot()
    );

    // An end for a call not recorded (yet) is kept, not refused: `202`.
    assert_eq!(
        l.post("/calls/ended", &ended("c-unknown", "a-42"))
            .await
            .status,
        202
    );
}

/// Bodies over the limit are refused before anything is read.
#[tokio::test]
async fn oversized_bodies_answer_413() {
    let l = start(1).await;
    l.calls.reset();
    let big = format!(
        r#"{{"callId":"c","agentId":"a-42","dialed":"911","from":"+14255550100","pad":"{}"}}"#,
        "x".repeat(20_000)
    );
    let sig = l.secret.sign(
        chrono::Utc::now().timestamp(),
        Signed::post("/calls/outbound", big.as_bytes()),
    );
    let r = l.post_raw("/calls/outbound", &big, Some(&sig)).await;
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (413, "application/problem+json")
    );
    let huge = "y".repeat(100_000);
    let r = l.post_raw("/calls/outbound", &huge, None).await;
    assert_eq!(r.status, 413, "the runner refuses it before the handler");
    assert!(l.calls.snapshot().is_empty());
}

/// A profile edited by hand into something that does not decode: the dial
/// reads it as missing and still gets its callback number and its record.
#[tokio::test]
async fn an_unreadable_profile_does_not_cost_the_callback_number() {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let l = start(5).await;
    l.store
        .client()
        .put_item()
        .table_name(l.store.table())
        .item("pk", A::S("AGENT#a-42".into()))
        .item("sk", A::S("PROFILE".into()))
        .item("type", A::S("agent".into()))
        .item("agentId", A::S("a-42".into()))
        .item("name", A::S("Ana".into()))
        .item("sourceNumber", A::S("edited by hand".into()))
        .send()
        .await
        .expect("put a corrupt profile");
    let d = l.post("/calls/outbound", &dial("c-1", "a-42", "911")).await;
    assert_eq!(d.json["action"], "emergency");
    assert_eq!(d.json["degraded"], false, "{}", d.json);
    let leased = d.json["callerId"].as_str().expect("callerId");
    assert!(US_POOL.contains(&leased), "{leased}");
    // The call is recorded: its end is known.
    assert_eq!(
        l.post("/calls/ended", &ended("c-1", "a-42")).await.status,
        204
    );
}

/// A signature is bound to its route: a captured signed dial, replayed byte
/// for byte with its header to another route, is refused and changes
/// nothing — the live call is not ended, Do Not Disturb stays, no presence
/// moves; one agent's presence signature does not work on another's path.
#[tokio::test]
async fn a_signature_replayed_to_another_route_is_refused_and_writes_nothing() {
    let l = start(2).await;
    let body = dial("rp-1", "a-42", "911").to_string();
    let t = chrono::Utc::now().timestamp();
    let captured = l
        .secret
        .sign(t, Signed::post("/calls/outbound", body.as_bytes()));
    let r = l.post_raw("/calls/outbound", &body, Some(&captured)).await;
    assert_eq!(
        (r.status, r.json["degraded"].as_bool()),
        (200, Some(false)),
        "{}",
        r.json
    );
    l.wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;
    l.calls.reset();
    use reqwest::Method;
    for (method, path) in [
        (Method::POST, "/calls/ended"),
        (Method::POST, "/calls/inbound"),
        (Method::PUT, "/agents/a-42/presence"),
        (Method::PUT, "/agents/a-43/presence"),
    ] {
        let r = l
            .send_raw(method.clone(), path, &body, Some(&captured))
            .await;
        assert_eq!(
            (r.status, r.content_type.as_str()),
            (401, "application/problem+json"),
            "{method} {path}: {}",
            r.json
        );
    }
    // One agent's presence PUT does not work on another agent's path.
    let away = r#"{"status":"away"}"#;
    let mine = l.secret.sign(
        t,
        Signed::new("PUT", "/agents/a-42/presence", away.as_bytes()),
    );
    let r = l
        .send_raw(Method::PUT, "/agents/a-43/presence", away, Some(&mine))
        .await;
    assert_eq!(r.status, 401);
    let writes: usize = l
        .calls
        .snapshot()
        .iter()
        .filter(|(op, _)| !matches!(op.as_str(), "GetItem" | "BatchGetItem" | "Query"))
        .map(|(_, n)| *n)
        .sum();
    assert_eq!(writes, 0, "nothing written: {:?}", l.calls.snapshot());
    assert!(
        l.calls.snapshot().is_empty(),
        "nothing even read: {:?}",
        l.calls.snapshot()
    );
    // The call is still live: Do Not Disturb stays, and the real end works.
    assert_eq!(l.presence("a-42").await["status"], "do_not_disturb");
    assert_ne!(l.presence("a-43").await["status"], "away");
    assert_eq!(
        l.post("/calls/ended", &ended("rp-1", "a-42")).await.status,
        204
    );
}

/// An emergency dial with bad optional fields is served without them, says
/// which, and is recorded like any other (its end is known, DND follows).
#[tokio::test]
async fn an_emergency_dial_is_never_refused_for_an_optional_field() {
    let l = start(5).await;
    let mut body = dial("c-opt", "a-42", "911");
    body["timestamp"] = json!("yesterday at noon");
    body["location"]["method"] = json!("Telepathy");
    let d = l.post("/calls/outbound", &body).await;
    assert_eq!(d.status, 200, "{}", d.json);
    assert_eq!(d.json["action"], "emergency");
    assert_eq!(d.json["degraded"], false, "{}", d.json);
    assert_eq!(d.json["ignored"], json!(["location.method", "timestamp"]));
    assert!(US_POOL.contains(&d.json["callerId"].as_str().unwrap_or_default()));
    l.wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;
    assert_eq!(
        l.post("/calls/ended", &ended("c-opt", "a-42")).await.status,
        204
    );
}
