//! Handler tests over the in-memory store and outbox.

use super::*;
use lifeline_app::fakes::{MemoryOutbox, MemoryStore};
use lifeline_domain::notification::NotificationTemplate;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::NumberType;
use lifeline_domain::types::Recipients;
use lifeline_edge::fixtures::{agent, World};
use serde_json::{json, Value};

fn record(seq: u64, call: &str, agent: &str) -> Value {
    json!({"eventID": format!("e-{seq}"), "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {"ApproximateCreationDateTime": 1795496400.0,
            "Keys": {"pk": {"S": format!("CALL#{call}")}, "sk": {"S": "CALL"}},
            "NewImage": {"pk": {"S": format!("CALL#{call}")}, "sk": {"S": "CALL"}, "type": {"S": "call"},
                "callId": {"S": call}, "agentId": {"S": agent}, "dialedAt": {"S": "2026-11-24T05:00:00Z"}},
            "SequenceNumber": seq.to_string(), "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/lifeline/stream/x"})
}

fn event(records: Vec<Value>) -> Event {
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

struct Rig {
    w: World,
    outbox: Arc<MemoryOutbox>,
    handler: Notifier<MemoryStore, MemoryOutbox>,
}

fn rig() -> Rig {
    rig_with_fallback("")
}

const DESK: &str = "security-desk@example.com";

/// The handler with `LIFELINE_FALLBACK_RECIPIENTS=fallback`, as the cold start reads it.
fn rig_with_fallback(fallback: &str) -> Rig {
    rig_with(&[("LIFELINE_FALLBACK_RECIPIENTS", fallback)])
}

/// The handler with these variables, as the cold start reads them.
fn rig_with(vars: &[(&str, &str)]) -> Rig {
    let w = World::us(&["+14255550199"]);
    let outbox = Arc::new(MemoryOutbox::default());
    let settings = lifeline_app::settings::Settings::from_lookup(|k| {
        vars.iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.to_string())
    })
    .unwrap();
    let handler = Notifier::new(
        w.store.clone(),
        outbox.clone(),
        w.clock(),
        "lifeline@example.com".parse().unwrap(),
        &settings,
    );
    Rig { w, outbox, handler }
}

fn notification(r: &Rig) -> Option<String> {
    r.w.store
        .with_state(|s| s.notifications.get(&"c-1".parse().unwrap()).cloned())
}

async fn failures(r: &Rig, records: Vec<Value>) -> Vec<String> {
    r.handler
        .handle(event(records))
        .await
        .batch_item_failures
        .into_iter()
        .filter_map(|f| f.item_identifier)
        .collect()
}

#[tokio::test]
async fn one_email_to_the_recipients_even_when_redelivered() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    assert!(
        failures(&r, vec![record(1, "c-1", "a-42"), record(1, "c-1", "a-42")])
            .await
            .is_empty()
    );
    assert!(failures(&r, vec![record(1, "c-1", "a-42")])
        .await
        .is_empty());
    let sent = r.outbox.messages();
    assert_eq!(sent.len(), 1, "duplicates send nothing");
    assert_eq!(sent[0].0, "sup@example.com");
    assert_eq!(sent[0].1.subject, "Emergency call to 911 by Agent a-42");
    assert_eq!(
        r.w.store
            .with_state(|s| s.notifications[&"c-1".parse().unwrap()].clone()),
        "sent"
    );
}

#[tokio::test]
async fn throttling_is_retried_then_sent_once() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    r.outbox.fail_next(2);
    assert_eq!(
        failures(&r, vec![record(7, "c-1", "a-42")]).await,
        vec!["7"]
    );
    assert_eq!(
        failures(&r, vec![record(7, "c-1", "a-42")]).await,
        vec!["7"]
    );
    assert!(failures(&r, vec![record(7, "c-1", "a-42")])
        .await
        .is_empty());
    assert_eq!(r.outbox.messages().len(), 1);
}

#[tokio::test]
async fn a_permanent_refusal_is_recorded_not_retried() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    r.outbox.refuse(true);
    assert!(failures(&r, vec![record(1, "c-1", "a-42")])
        .await
        .is_empty());
    assert_eq!(
        r.w.store
            .with_state(|s| s.notifications[&"c-1".parse().unwrap()].clone()),
        "failed"
    );
    r.outbox.refuse(false);
    failures(&r, vec![record(1, "c-1", "a-42")]).await;
    assert!(
        r.outbox.messages().is_empty(),
        "not sent later either: it was recorded"
    );
}

#[tokio::test]
async fn no_recipients_no_email_recorded() {
    let r = rig();
    let mut a = agent("a-50", Country::US, NumberType::CallingPlan, "+14255550150");
    a.recipients = Recipients::default();
    r.w.store.add_agent(a);
    r.w.dial("c-1", "a-50").await;
    assert!(failures(&r, vec![record(1, "c-1", "a-50")])
        .await
        .is_empty());
    assert!(r.outbox.messages().is_empty());
    assert_eq!(
        r.w.store
            .with_state(|s| s.notifications[&"c-1".parse().unwrap()].clone()),
        "no_recipients"
    );
}

#[tokio::test]
async fn store_down_is_retried_and_a_stored_template_is_used() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    r.w.store.set_failing(true);
    assert_eq!(
        failures(&r, vec![record(3, "c-1", "a-42")]).await,
        vec!["3"]
    );
    r.w.store.set_failing(false);
    let mut t = NotificationTemplate::builtin();
    t.subject = "Lifeline: {{ agent_name }} called {{ dialed }}".into();
    t.version = 1;
    r.w.store.with_state(|s| s.template = Some(t));
    assert!(failures(&r, vec![record(3, "c-1", "a-42")])
        .await
        .is_empty());
    assert_eq!(
        r.outbox.messages()[0].1.subject,
        "Lifeline: Agent a-42 called 911"
    );
}

#[tokio::test]
async fn sample_event_runs_through_the_handler() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    let e: Event = serde_json::from_str(include_str!("../../../events/notifier.json")).unwrap();
    assert!(r.handler.handle(e).await.batch_item_failures.is_empty());
    assert_eq!(r.outbox.messages().len(), 1);
}

#[tokio::test]
async fn an_unreadable_profile_sends_to_the_fallback_recipients() {
    let r = rig_with_fallback(DESK);
    r.w.dial("c-1", "a-42").await;
    r.w.store.with_state(|s| {
        s.unreadable
            .push((lifeline_app::ports::ItemKind::Profile, "a-42".into()))
    });
    assert!(failures(&r, vec![record(1, "c-1", "a-42")])
        .await
        .is_empty());
    let sent = r.outbox.messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, DESK);
    assert!(
        sent[0].1.text.contains("fallback recipient"),
        "{}",
        sent[0].1.text
    );
    assert_eq!(notification(&r).as_deref(), Some("sent"));
}

#[tokio::test]
async fn an_agent_without_recipients_goes_to_the_fallback_recipients() {
    let r = rig_with_fallback(DESK);
    let mut a = agent("a-50", Country::US, NumberType::CallingPlan, "+14255550150");
    a.recipients = Recipients::default();
    r.w.store.add_agent(a);
    r.w.dial("c-1", "a-50").await;
    assert!(failures(&r, vec![record(1, "c-1", "a-50")])
        .await
        .is_empty());
    assert_eq!(r.outbox.messages()[0].0, DESK);
}

#[tokio::test]
async fn a_corrupt_call_record_is_parked_and_not_reported_for_retry() {
    let r = rig_with_fallback(DESK);
    r.w.dial("c-1", "a-42").await;
    r.w.store.with_state(|s| {
        s.unreadable
            .push((lifeline_app::ports::ItemKind::Call, "c-1".into()))
    });
    assert!(
        failures(&r, vec![record(4, "c-1", "a-42")])
            .await
            .is_empty(),
        "retrying will not make it readable"
    );
    assert!(r.outbox.messages().is_empty());
    assert_eq!(notification(&r).as_deref(), Some("failed"));
}

#[tokio::test]
async fn a_profile_the_store_does_not_give_is_retried_while_young_then_the_fallback_gets_it() {
    use lifeline_app::ports::NotifyItem;
    let r = rig_with_fallback(DESK);
    r.w.dial("c-1", "a-42").await;
    r.w.store
        .with_state(|s| s.notify_unavailable = vec![NotifyItem::Profile]);
    assert_eq!(
        failures(&r, vec![record(5, "c-1", "a-42")]).await,
        vec!["5"]
    );
    assert!(r.outbox.messages().is_empty());
    r.w.clock.advance(chrono::Duration::seconds(60));
    assert!(failures(&r, vec![record(5, "c-1", "a-42")])
        .await
        .is_empty());
    assert_eq!(r.outbox.messages()[0].0, DESK);
}

const ANN: &str = "ann@example.com";
const BOB: &str = "bob@example.com";
const CY: &str = "cy@example.org";

/// Agent a-42 lists three recipients.
fn three_recipients(r: &Rig) {
    r.w.store.with_state(|s| {
        for a in s.agents.values_mut() {
            a.recipients = Recipients::parse(&format!("{ANN}; {BOB}; {CY}")).unwrap();
        }
    });
}

#[tokio::test]
async fn three_recipients_get_three_messages_each_to_one_address() {
    let r = rig();
    three_recipients(&r);
    r.w.dial("c-1", "a-42").await;
    assert!(
        failures(&r, vec![record(1, "c-1", "a-42"), record(1, "c-1", "a-42")])
            .await
            .is_empty()
    );
    let sent = r.outbox.messages();
    assert_eq!(
        r.outbox.addresses(),
        vec![ANN, BOB, CY],
        "a duplicate sends nothing"
    );
    for (to, email) in &sent {
        for other in [ANN, BOB, CY].into_iter().filter(|o| o != to) {
            assert!(!email.text.contains(other) && !email.html.contains(other));
        }
    }
    assert_eq!(notification(&r).as_deref(), Some("sent"));
    let detail =
        r.w.store
            .with_state(|s| s.notification_outcomes[&"c-1".parse().unwrap()].detail());
    assert_eq!(detail, "sent 3 of 3");
}

#[tokio::test]
async fn a_throttled_second_recipient_is_retried_alone() {
    let r = rig();
    three_recipients(&r);
    r.w.dial("c-1", "a-42").await;
    r.outbox.fail_next_to(BOB, 1);
    assert_eq!(
        failures(&r, vec![record(9, "c-1", "a-42")]).await,
        vec!["9"]
    );
    assert_eq!(r.outbox.addresses(), vec![ANN, CY]);
    assert_eq!(notification(&r), None);
    assert!(failures(&r, vec![record(9, "c-1", "a-42")])
        .await
        .is_empty());
    assert_eq!(r.outbox.addresses(), vec![ANN, CY, BOB], "Bob only, once");
    assert_eq!(notification(&r).as_deref(), Some("sent"));
    assert!(failures(&r, vec![record(9, "c-1", "a-42")])
        .await
        .is_empty());
    assert_eq!(r.outbox.messages().len(), 3);
}

#[tokio::test]
async fn one_refused_address_does_not_stop_the_others_and_is_recorded_without_it() {
    let r = rig();
    three_recipients(&r);
    r.w.dial("c-1", "a-42").await;
    r.outbox.refuse_to(BOB, "MessageRejected");
    assert!(
        failures(&r, vec![record(2, "c-1", "a-42")])
            .await
            .is_empty(),
        "a refusal is not retried"
    );
    assert_eq!(r.outbox.addresses(), vec![ANN, CY]);
    assert_eq!(notification(&r).as_deref(), Some("partial"));
    let detail =
        r.w.store
            .with_state(|s| s.notification_outcomes[&"c-1".parse().unwrap()].detail());
    assert_eq!(detail, "sent 2 of 3; refused 1 (1 MessageRejected)");
}

#[tokio::test]
async fn the_email_states_the_configured_window_after_the_end_of_the_call() {
    let r = rig_with(&[("LIFELINE_CALLBACK_WINDOW_MINUTES", "90")]);
    r.w.dial("c-1", "a-42").await;
    assert!(failures(&r, vec![record(1, "c-1", "a-42")])
        .await
        .is_empty());
    let (_, email) = &r.outbox.messages()[0];
    assert!(
        email.text.contains("+14255550199"),
        "the leased number:\n{}",
        email.text
    );
    for part in [&email.text, &email.html] {
        assert!(
            part.contains("valid until 90 minutes after the call ends"),
            "{part}"
        );
        assert!(!part.contains("own number"), "{part}");
    }
}
