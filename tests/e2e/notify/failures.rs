//! SES failures: retried to the failed recipient only; given up on and kept in the failure queue with its payload, replayed once; a poison record kept while the calls around it go through.

use super::*;
use lifeline_e2e::{start, start_with};
use serde_json::json;
use std::time::{Duration, Instant};

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
    l.settled().await;
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
    // Two attempts: each one read, its claim on the sending, then the
    // progress (which lets go of the claim), then the outcome, written.
    let cost = l.consumer_calls["notifier"].snapshot();
    assert_eq!(cost.get("BatchGetItem"), Some(&2), "{cost:?}");
    assert_eq!(cost.get("UpdateItem"), Some(&4), "{cost:?}");
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
    // The call's start names its lease (a pool of one: the call has one).
    let subject = letter["subject"].as_str().unwrap_or("");
    assert!(
        subject.starts_with(&format!("call {call}, lease ")) && subject.ends_with(", agent a-66"),
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
    l.settled().await;
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
