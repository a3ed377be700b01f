//! Items that do not decode: an unreadable profile mails the fallback recipients; an unreadable call record is parked, not retried.

use super::*;
use lifeline_e2e::start_with;
use serde_json::json;
use std::time::{Duration, Instant};

/// An agent whose profile item was edited by hand into something that does
/// not decode: the dial goes on, and the e-mail goes to the fallback list
/// (the security desk) instead of nobody, saying why.
#[tokio::test]
async fn an_unreadable_profile_sends_the_email_to_the_fallback_recipients() {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let desk = format!(
        "security-desk-{}@example.com",
        uuid::Uuid::new_v4().simple()
    );
    let l = start_with(1, &[("LIFELINE_FALLBACK_RECIPIENTS", desk.as_str())]).await;
    let tag = &l.table[4..16];
    l.store
        .client()
        .put_item()
        .table_name(l.store.table())
        .item("pk", A::S("AGENT#a-63".into()))
        .item("sk", A::S("PROFILE".into()))
        .item("type", A::S("agent".into()))
        .item("agentId", A::S("a-63".into()))
        .item("name", A::S("Ana".into()))
        .item("sourceNumber", A::S("edited by hand".into()))
        .item("recipients", A::S(format!("sup+{tag}@example.com")))
        .send()
        .await
        .expect("put a corrupt profile");
    let started = Instant::now();
    let answer = l
        .post(
            "/calls/outbound",
            &json!({"callId": format!("u-{tag}"), "agentId": "a-63", "dialed": "911",
                "from": "+14255550163", "location": {"country": "US"}}),
        )
        .await
        .json;
    assert_eq!(answer["action"], "emergency", "{answer}");
    let (emails, took) = wait_for_email(&desk, started).await;
    println!("dial → fallback e-mail: {took:?}");
    assert_eq!(emails.len(), 1);
    let e = &emails[0];
    assert_eq!(e.to, vec![desk.clone()]);
    assert_eq!(e.subject, "Emergency call to 911 by Agent a-63");
    assert!(
        e.body.contains("fallback recipient"),
        "says why it came to the desk:\n{}",
        e.body
    );
    let callback = answer["callerId"].as_str().expect("callerId");
    assert!(
        e.body.contains(callback),
        "the same caller ID as the answer"
    );
    assert!(
        emails_to(&format!("sup+{tag}@example.com"))
            .await
            .is_empty(),
        "nothing from the unreadable list"
    );
    l.settled().await;
    assert_eq!(emails_to(&desk).await.len(), 1, "exactly one e-mail");
}

/// A call record that does not decode reaches the notifier through the
/// stream: it is parked (recorded as failed, with no store text) and the
/// stream moves on, never retrying it.
#[tokio::test]
async fn an_unreadable_call_record_is_parked_not_retried() {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let desk = format!(
        "security-desk-{}@example.com",
        uuid::Uuid::new_v4().simple()
    );
    let l = start_with(1, &[("LIFELINE_FALLBACK_RECIPIENTS", desk.as_str())]).await;
    let tag = &l.table[4..16];
    let call = format!("x-{tag}");
    // What a hand edit (or an older schema) leaves: a call with no number.
    l.store
        .client()
        .put_item()
        .table_name(l.store.table())
        .item("pk", A::S(format!("CALL#{call}")))
        .item("sk", A::S("CALL".into()))
        .item("type", A::S("call".into()))
        .item("callId", A::S(call.clone()))
        .item("agentId", A::S("a-42".into()))
        .item("dialedAt", A::S(chrono::Utc::now().to_rfc3339()))
        .send()
        .await
        .expect("put a corrupt call record");
    let waiting = Instant::now();
    let (state, detail) = loop {
        let item = l
            .store
            .client()
            .get_item()
            .table_name(l.store.table())
            .key("pk", A::S(format!("CALL#{call}")))
            .key("sk", A::S("CALL".into()))
            .consistent_read(true)
            .send()
            .await
            .expect("read the record")
            .item
            .unwrap_or_default();
        let s = |k: &str| match item.get(k) {
            Some(A::S(v)) => Some(v.clone()),
            _ => None,
        };
        if let Some(state) = s("notification") {
            break (state, s("notificationDetail").unwrap_or_default());
        }
        assert!(
            waiting.elapsed() < Duration::from_secs(10),
            "the notifier never settled the record"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(state, "failed");
    assert_eq!(
        detail,
        lifeline_app::service::notify::CALL_UNREADABLE,
        "no store text"
    );
    // Not retried: the notifier read it once and wrote once.
    l.settled().await;
    let cost = l.consumer_calls["notifier"].snapshot();
    assert_eq!(cost.get("BatchGetItem"), Some(&1), "{cost:?}");
    assert_eq!(cost.get("UpdateItem"), Some(&1), "{cost:?}");
    assert!(emails_to(&desk).await.is_empty(), "no e-mail from nothing");
}
