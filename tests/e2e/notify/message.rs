//! The e-mail itself: every field, once; nothing for ordinary calls or agents without recipients; a message of its own per recipient.

use super::*;
use lifeline_e2e::{start, start_with};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn test_call_email_has_every_field_and_goes_out_once() {
    let l = start(2).await;
    let tag = &l.table[4..16];
    let first = agent_with_recipients(
        &l,
        "a-60",
        &format!(" Sup+{tag}@Example.COM ; sec+{tag}@example.com;"),
    )
    .await;
    assert_eq!(
        first,
        format!("Sup+{tag}@example.com"),
        "trimmed; the domain lower-cased, the local part kept"
    );
    let body = json!({"callId": format!("n-{tag}"), "agentId": "a-60", "dialed": "9 933", "from": "+14255550160",
        "location": {"country": "US", "address": "1 Main St <b>HQ</b>, Redmond WA", "lat": 47.6, "lon": -122.1}});
    let started = Instant::now();
    let answer = l.post("/calls/outbound", &body).await.json;
    assert_eq!(answer["test"], true);
    let (emails, took) = wait_for_email(&first, started).await;
    println!("dial → e-mail accepted by the SES emulator: {took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");

    let second = format!("sec+{tag}@example.com");
    let (to_second, _) = wait_for_email(&second, started).await;
    assert_eq!(emails.len(), 1);
    assert_eq!(to_second.len(), 1);
    let e = &emails[0];
    assert_eq!(e.to, vec![first.clone()], "one message per recipient");
    assert_eq!(to_second[0].to, vec![second.clone()]);
    // The same message to each, but for each recipient's own acknowledgement link.
    assert_eq!(
        without_ack_links(&to_second[0].body),
        without_ack_links(&e.body),
        "the same message to each"
    );
    assert_ne!(to_second[0].body, e.body, "each recipient's own link");
    assert!(!e.body.contains(&second) && !to_second[0].body.contains(&first));
    assert_eq!(e.source, "lifeline@example.com");
    assert_eq!(e.subject, "[TEST] Emergency call to 933 by Ana <Diaz> & Co");
    let callback = answer["callerId"].as_str().expect("callerId");
    for needle in [
        "TEST CALL",
        "Ana &lt;Diaz&gt; &amp; Co",
        "agent@example.com",
        " UTC",
        "PST",
        callback,
        "valid until 60 minutes after the call ends",
        "1 Main St &lt;b&gt;HQ&lt;",
        "47.6",
        "-122.1",
        "US",
        "Direct offer",
    ] {
        assert!(
            e.body.contains(needle),
            "body lacks {needle:?}:\n{}",
            e.body
        );
    }
    assert!(!e.body.contains("<b>HQ"), "HTML in data is text");
    assert!(
        !e.body.contains(&format!("n-{tag}")),
        "no call id in the body"
    );

    // Once the send is recorded, a redelivered record sends nothing: wait for
    // the record (the stream consumer writes it right after SES accepts), then
    // deliver the start again by hand.
    let key = std::collections::HashMap::from([
        (
            "pk".to_string(),
            aws_sdk_dynamodb::types::AttributeValue::S(format!("CALL#n-{tag}")),
        ),
        (
            "sk".to_string(),
            aws_sdk_dynamodb::types::AttributeValue::S("CALL".into()),
        ),
    ]);
    let recorded = Instant::now();
    loop {
        let item = l
            .store
            .client()
            .get_item()
            .table_name(&l.table)
            .set_key(Some(key.clone()))
            .consistent_read(true)
            .send()
            .await;
        let sent = item
            .ok()
            .and_then(|r| r.item().and_then(|i| i.get("notification").cloned()));
        if sent == Some(aws_sdk_dynamodb::types::AttributeValue::S("sent".into())) {
            break;
        }
        assert!(
            recorded.elapsed() < Duration::from_secs(5),
            "the send was never recorded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The same call's start delivered again (a rule's or Lambda's retry).
    let event = lifeline_edge::events::envelope(
        &lifeline_domain::events::DomainEvent::CallStarted(lifeline_domain::events::CallEvent {
            version: lifeline_domain::events::VERSION,
            call_id: format!("n-{tag}").parse().expect("call id"),
            agent_id: "a-60".parse().expect("agent id"),
            at: "2026-11-24T05:00:00Z".parse().expect("time"),
            lease_id: None,
        }),
        "dup",
        chrono::Utc::now(),
        "us-east-1",
        "000000000000",
    );
    let conf = lifeline_aws::sdk::load_aws_config(lifeline_aws::sdk::ClientProfile::Admin).await;
    let notifier = notifier::Notifier::new(
        std::sync::Arc::new(lifeline_aws::dynamo::DynamoStore::from_conf(
            &conf, &l.table,
        )),
        std::sync::Arc::new(lifeline_aws::ses::SesSender::new(
            aws_sdk_sesv2::Client::new(&conf),
        )),
        std::sync::Arc::new(lifeline_app::clock::SystemClock),
        "lifeline@example.com".parse().expect("from"),
        &lifeline_app::settings::Settings::from_lookup(|_| None).expect("settings"),
    );
    let answer = lifeline_edge::lambda::EventHandler::invoke(&notifier, event).await;
    assert!(answer.is_ok(), "{answer:?}");
    l.settled().await;
    assert_eq!(emails_to(&first).await.len(), 1, "exactly one e-mail");
    assert_eq!(emails_to(&second).await.len(), 1, "exactly one e-mail");
    let cost = l.consumer_calls["notifier"].snapshot();
    println!(
        "notifier DynamoDB requests for the call: {cost:?} (plus one SES SendEmail per recipient)"
    );
    assert_eq!(cost.get("BatchGetItem"), Some(&1), "{cost:?}");
    // The claim on the sending, then the outcome.
    assert_eq!(cost.get("UpdateItem"), Some(&2), "{cost:?}");
}

#[tokio::test]
async fn an_ses_failure_is_retried_and_sends_exactly_one() {
    let l = start_with(1, &[("LIFELINE_E2E_SES_FAIL_FIRST", "2")]).await;
    let tag = &l.table[4..16];
    let to = agent_with_recipients(&l, "a-61", &format!("ops+{tag}@example.com")).await;
    let body = json!({"callId": format!("f-{tag}"), "agentId": "a-61", "dialed": "911", "from": "+14255550160"});
    let started = Instant::now();
    l.post("/calls/outbound", &body).await;
    let (emails, took) = wait_for_email(&to, started).await;
    println!("e-mail after 2 injected SES failures: {took:?}");
    assert_eq!(l.ses_fault.remaining(), 0, "both failures were hit");
    l.settled().await;
    assert_eq!(emails_to(&to).await.len(), 1, "{emails:?}");
    assert!(emails[0].body.contains("Location not provided"));
}

#[tokio::test]
async fn ordinary_calls_and_agents_without_recipients_send_nothing() {
    let l = start(1).await;
    let tag = &l.table[4..16];
    let to = agent_with_recipients(&l, "a-62", &format!("quiet+{tag}@example.com")).await;
    l.post(
        "/calls/outbound",
        &json!({"callId": format!("o-{tag}"), "agentId": "a-62", "dialed": "4255550123",
        "from": "+14255550160", "location": {"country": "US"}}),
    )
    .await;
    l.settled().await;
    assert!(emails_to(&to).await.is_empty());
}

/// Three recipients get three messages, each addressed to its own recipient
/// only: no recipient learns another's address (To, Cc, Bcc or body). The
/// message states the callback window as it is: from the end of the call.
#[tokio::test]
async fn each_recipient_gets_a_message_of_its_own() {
    let l = start(1).await;
    let tag = &l.table[4..16];
    let ids: Vec<String> = (0..3)
        .map(|_| format!("a-{}@example.com", uuid::Uuid::new_v4().simple()))
        .collect();
    agent_with_recipients(&l, "a-64", &ids.join("; ")).await;
    let started = Instant::now();
    let answer = l
        .post(
            "/calls/outbound",
            &json!({"callId": format!("r-{tag}"), "agentId": "a-64", "dialed": "911",
                "from": "+14255550160", "location": {"country": "US"}}),
        )
        .await
        .json;
    assert_eq!(answer["action"], "emergency", "{answer}");
    for to in &ids {
        wait_for_email(to, started).await;
    }
    println!("dial → three messages: {:?}", started.elapsed());
    // Nothing more comes (no shared message, no duplicate).
    l.settled().await;
    let callback = answer["callerId"].as_str().expect("callerId");
    for (i, to) in ids.iter().enumerate() {
        let got = emails_to(to).await;
        assert_eq!(got.len(), 1, "one message to {to}: {got:?}");
        assert_eq!(got[0].to, vec![to.clone()], "To is exactly its recipient");
        assert!(got[0].body.contains(callback));
        assert!(
            got[0].body.contains("60 minutes after the call ends"),
            "the window from the end of the call:\n{}",
            got[0].body
        );
        // Through moto's whole record of the message: its To/Cc/Bcc, subject
        // and body name this recipient and no other.
        let raw = raw_messages_naming(to).await;
        assert_eq!(raw.len(), 1, "{raw:?}");
        let destinations = &raw[0]["destinations"];
        assert_eq!(destinations["ToAddresses"], json!([to]), "{destinations}");
        for field in ["CcAddresses", "BccAddresses"] {
            let list = destinations[field].as_array().cloned().unwrap_or_default();
            assert!(list.is_empty(), "{field}: {list:?}");
        }
        for (j, other) in ids.iter().enumerate() {
            if i != j {
                assert!(
                    !raw[0].to_string().contains(other.as_str()),
                    "{to}'s message names {other}"
                );
            }
        }
    }
    // Recorded once, without addresses.
    let item = l
        .store
        .client()
        .get_item()
        .table_name(&l.table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("CALL#r-{tag}")),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("CALL".into()),
        )
        .consistent_read(true)
        .send()
        .await
        .expect("read the record")
        .item
        .unwrap_or_default();
    let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    assert_eq!(s("notification").as_deref(), Some("sent"));
    assert_eq!(s("notificationDetail").as_deref(), Some("sent 3 of 3"));
    assert!(!item.contains_key("notifyProgress"), "no progress left");
    let cost = l.consumer_calls["notifier"].snapshot();
    // The claim on the sending, then the outcome.
    assert_eq!(cost.get("UpdateItem"), Some(&2), "{cost:?}");
}

/// A body with every acknowledgement link's token taken out (each
/// recipient's is its own); `/` may be written `&#x2f;` in HTML.
fn without_ack_links(body: &str) -> String {
    let body = body.replace("&#x2f;", "/");
    let mut out = String::new();
    let mut rest = body.as_str();
    while let Some(at) = rest.find("/ack/") {
        out.push_str(&rest[..at + 5]);
        rest = &rest[at + 5..];
        let token = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
            .unwrap_or(rest.len());
        out.push_str("<token>");
        rest = &rest[token..];
    }
    out.push_str(rest);
    out
}
