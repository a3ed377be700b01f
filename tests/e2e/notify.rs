//! The emergency e-mail end to end: the call record on the stream, the
//! notifier, the SES emulator's outbox.

use lifeline_app::ports::AdminStore;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::NumberType;
use lifeline_domain::types::Recipients;
use lifeline_e2e::{agent, start, start_with, try_emails_to, Local, SentEmail};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// An agent whose recipients only this test uses (moto is shared).
async fn agent_with_recipients(l: &Local, id: &str, recipients: &str) -> String {
    let mut a = agent(id, Country::US, NumberType::CallingPlan, "+14255550160");
    a.name = "Ana <Diaz> & Co".into();
    a.recipients = Recipients::parse(recipients).expect("recipients");
    l.store.put_agent(&a).await.expect("agent");
    a.recipients.as_slice()[0].as_str().to_string()
}

/// What moto's SES holds for `to`; a busy moto may drop a request: asked again.
async fn emails_to(to: &str) -> Vec<SentEmail> {
    let mut tries = 0;
    loop {
        match try_emails_to(to).await {
            Ok(got) => return got,
            Err(e) if tries < 20 => {
                tries += 1;
                println!("moto did not answer ({e}); asking again");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("moto does not answer: {e}"),
        }
    }
}

async fn wait_for_email(to: &str, started: Instant) -> (Vec<SentEmail>, Duration) {
    loop {
        let got = emails_to(to).await;
        if !got.is_empty() {
            return (got, started.elapsed());
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no e-mail to {to}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

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
    assert_eq!(to_second[0].body, e.body, "the same message to each");
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
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(emails_to(&first).await.len(), 1, "exactly one e-mail");
    assert_eq!(emails_to(&second).await.len(), 1, "exactly one e-mail");
    let cost = l.consumer_calls["notifier"].snapshot();
    println!(
        "notifier DynamoDB requests for the call: {cost:?} (plus one SES SendEmail per recipient)"
    );
    assert_eq!(cost.get("BatchGetItem"), Some(&1), "{cost:?}");
    assert_eq!(cost.get("UpdateItem"), Some(&1), "{cost:?}");
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
    tokio::time::sleep(Duration::from_millis(800)).await;
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
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(emails_to(&to).await.is_empty());
}

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
    tokio::time::sleep(Duration::from_millis(500)).await;
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
    tokio::time::sleep(Duration::from_millis(800)).await;
    let cost = l.consumer_calls["notifier"].snapshot();
    assert_eq!(cost.get("BatchGetItem"), Some(&1), "{cost:?}");
    assert_eq!(cost.get("UpdateItem"), Some(&1), "{cost:?}");
    assert!(emails_to(&desk).await.is_empty(), "no e-mail from nothing");
}

/// Every message moto's SES holds that names `address` anywhere (any
/// destination field, the subject or the body), as moto stores it.
async fn raw_messages_naming(address: &str) -> Vec<serde_json::Value> {
    let base = std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into());
    let mut tries = 0;
    let data: serde_json::Value = loop {
        let got = async {
            reqwest::get(format!("{base}/moto-api/data.json"))
                .await?
                .json()
                .await
        }
        .await;
        match got {
            Ok(data) => break data,
            // A busy moto may drop a request: ask again.
            Err(e) if tries < 20 => {
                tries += 1;
                println!("moto did not answer ({e}); asking again");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("moto does not answer: {e}"),
        }
    };
    data["ses"]["Message"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|m| m.to_string().contains(address))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
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
    tokio::time::sleep(Duration::from_millis(800)).await;
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
    assert_eq!(cost.get("UpdateItem"), Some(&1), "{cost:?}");
}

/// The first SendEmail fails (as a dropped connection would): the other two
/// recipients are sent at once, the progress is recorded on the call (tags,
/// no addresses), and the retry of the record sends to the first only.
#[tokio::test]
async fn a_failed_send_is_retried_to_that_recipient_only() {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let l = start_with(1, &[("LIFELINE_E2E_SES_FAIL_FIRST", "1")]).await;
    let tag = &l.table[4..16];
    let ids: Vec<String> = (0..3)
        .map(|_| format!("a-{}@example.com", uuid::Uuid::new_v4().simple()))
        .collect();
    agent_with_recipients(&l, "a-65", &ids.join("; ")).await;
    let started = Instant::now();
    l.post(
        "/calls/outbound",
        &json!({"callId": format!("p-{tag}"), "agentId": "a-65", "dialed": "911",
            "from": "+14255550160", "location": {"country": "US"}}),
    )
    .await;
    for to in &ids {
        wait_for_email(to, started).await;
    }
    println!(
        "three messages, the first after a retry: {:?}",
        started.elapsed()
    );
    assert_eq!(l.ses_fault.remaining(), 0, "the failure was hit");
    tokio::time::sleep(Duration::from_millis(800)).await;
    for to in &ids {
        assert_eq!(emails_to(to).await.len(), 1, "exactly one to {to}");
    }
    let item = l
        .store
        .client()
        .get_item()
        .table_name(&l.table)
        .key("pk", A::S(format!("CALL#p-{tag}")))
        .key("sk", A::S("CALL".into()))
        .consistent_read(true)
        .send()
        .await
        .expect("read the record")
        .item
        .unwrap_or_default();
    let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    assert_eq!(s("notification").as_deref(), Some("sent"));
    assert_eq!(s("notificationDetail").as_deref(), Some("sent 3 of 3"));
    assert!(!item.contains_key("notifyProgress"), "dropped once settled");
    // Two attempts: each one read; the progress, then the outcome, written.
    let cost = l.consumer_calls["notifier"].snapshot();
    assert_eq!(cost.get("BatchGetItem"), Some(&2), "{cost:?}");
    assert_eq!(cost.get("UpdateItem"), Some(&2), "{cost:?}");
}

/// Waits until this system's failure queues hold `n` dead letters.
async fn wait_for_dead_letters(l: &lifeline_e2e::Local, n: usize, within: Duration) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let letters = l.dead_letters().await;
        if letters.len() >= n {
            return letters;
        }
        assert!(
            started.elapsed() < within,
            "{} dead letters after {within:?}, expected {n}: {letters:?}",
            letters.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// SES down past Lambda's asynchronous retries (the template's 2): the
/// call's start is kept with its event in the notifier's failure queue, as
/// `lifeline dlq list` shows it (Do Not Disturb follows regardless: another
/// rule); once SES is back, `lifeline dlq replay` sends the e-mail exactly
/// once and removes the dead letter, and a second replay finds nothing.
#[tokio::test]
async fn an_email_given_up_on_is_kept_with_its_payload_and_replayed_once() {
    let retries = lifeline_edge::events::ASYNC_DELIVERY.max_retries as usize;
    let l = start_with(
        1,
        &[("LIFELINE_E2E_SES_FAIL_FIRST", &(retries + 1).to_string())],
    )
    .await;
    let tag = &l.table[4..16];
    let to = agent_with_recipients(&l, "a-66", &format!("dlq+{tag}@example.com")).await;
    let call = format!("dl-{tag}");
    let body = json!({"callId": call, "agentId": "a-66", "dialed": "911", "from": "+14255550160"});
    assert_eq!(l.post("/calls/outbound", &body).await.status, 200);
    l.wait_for_status("a-66", "do_not_disturb", Duration::from_secs(15))
        .await;
    let started = Instant::now();
    let letters = wait_for_dead_letters(&l, 1, Duration::from_secs(30)).await;
    println!("given up on after {:?}: {letters:?}", started.elapsed());
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    assert_eq!(
        letter["source"],
        format!("lifeline-{}-notifier-failures", l.stage)
    );
    assert_eq!(
        letter["subject"],
        format!("call {call}, agent a-66"),
        "{letter}"
    );
    assert!(
        letter["reason"]
            .as_str()
            .unwrap_or("")
            .contains("NotificationNotSent"),
        "{letter}"
    );
    assert_eq!(letter["replayable"], true);
    let listed = letter.to_string();
    assert!(
        !listed.contains("+1425"),
        "no phone number in the list: {listed}"
    );
    assert_eq!(l.ses_fault.remaining(), 0);
    assert!(emails_to(&to).await.is_empty(), "nothing sent yet");

    let (summary, out) = l.replay_dead_letters().await;
    println!("{out}");
    assert!(summary.all_done(), "{out}");
    let (sent, _) = wait_for_email(&to, Instant::now()).await;
    assert_eq!(sent.len(), 1);
    assert!(l.dead_letters().await.is_empty(), "replayed, so removed");
    let (again, out) = l.replay_dead_letters().await;
    assert!(again.all_done(), "{out}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(emails_to(&to).await.len(), 1, "exactly once");
}

/// A call record written straight into the table in a shape no function
/// can read: stream-events keeps it at once, with the record, in its failure
/// queue (`lifeline dlq list`), and the shard goes on: the calls dialed
/// around it get Do Not Disturb and their e-mails.
#[tokio::test]
async fn a_poison_record_is_kept_with_its_payload_while_the_calls_around_it_go_through() {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let l = start(2).await;
    let tag = &l.table[4..16];
    let before = agent_with_recipients(&l, "a-67", &format!("before+{tag}@example.com")).await;
    let after = agent_with_recipients(&l, "a-68", &format!("after+{tag}@example.com")).await;
    let dial = |call: String, agent: &str| json!({"callId": call, "agentId": agent, "dialed": "911", "from": "+14255550160"});
    let started = Instant::now();
    assert_eq!(
        l.post("/calls/outbound", &dial(format!("pb-{tag}"), "a-67"))
            .await
            .status,
        200
    );
    let poison = format!("poison-{tag}");
    l.store
        .client()
        .put_item()
        .table_name(&l.table)
        .item("pk", A::S(format!("CALL#{poison}")))
        .item("sk", A::S("CALL".into()))
        .item("type", A::S("call".into()))
        .item("callId", A::S(poison.clone()))
        .item("agentId", A::S("a-67".into()))
        .item("dialedAt", A::N("1795496400".into()))
        .send()
        .await
        .expect("the poison record");
    assert_eq!(
        l.post("/calls/outbound", &dial(format!("pa-{tag}"), "a-68"))
            .await
            .status,
        200
    );
    l.wait_for_status("a-67", "do_not_disturb", Duration::from_secs(15))
        .await;
    l.wait_for_status("a-68", "do_not_disturb", Duration::from_secs(15))
        .await;
    let (_, first) = wait_for_email(&before, started).await;
    let (_, second) = wait_for_email(&after, started).await;
    println!("e-mails around the poison record after {first:?} and {second:?}");
    assert!(second < Duration::from_secs(10), "not held up: {second:?}");

    let letters = wait_for_dead_letters(&l, 1, Duration::from_secs(10)).await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    assert_eq!(
        letter["source"],
        format!("lifeline-{}-stream-events-failures", l.stage)
    );
    assert!(
        letter["reason"].as_str().unwrap_or("").contains("dialedAt"),
        "{letter}"
    );
    // Its payload: the record itself, as the stream delivered it.
    let places = lifeline_cli::dlq::Places {
        stage: lifeline_cli::dlq::Stage::parse(&l.stage).expect("stage"),
        failure_bucket: None,
        only: None,
    };
    let all = lifeline_cli::dlq::gather(&l.dead_letter_clients().await, &places)
        .await
        .expect("gather")
        .letters;
    let shown = lifeline_cli::dlq::show_text(&all[0], false);
    assert!(shown.contains(&poison), "{shown}");
    assert!(
        shown.contains("1795496400"),
        "the record's own bad value: {shown}"
    );
    // Replayed while still unreadable: it fails again and stays, once.
    let (summary, out) = l.replay_dead_letters().await;
    assert!(!summary.all_done(), "{out}");
    assert_eq!(l.dead_letters().await.len(), 1, "kept, and not twice");
}
