//! Handler tests over the in-memory store and outbox.

use super::*;
use lifeline_app::fakes::{MemoryOutbox, MemoryStore};
use lifeline_domain::events::{CallEvent, LeaseChanged, LeaseSnapshot, VERSION};
use lifeline_domain::notification::NotificationTemplate;
use lifeline_domain::numbers::Country;
use lifeline_domain::recipient::Recipients;
use lifeline_domain::route::NumberType;
use lifeline_edge::events::envelope;
use lifeline_edge::fixtures::{agent, t0, World};
use serde_json::{json, Value};

fn call(call: &str, agent: &str) -> CallEvent {
    CallEvent {
        version: VERSION,
        call_id: call.parse().unwrap(),
        agent_id: agent.parse().unwrap(),
        at: t0(),
        lease_id: None,
    }
}

/// `lifeline.call.started` as EventBridge delivers it (`seq` names the
/// delivery: a redelivery carries the same id).
fn started(seq: u64, c: &str, agent: &str) -> Value {
    envelope(
        &DomainEvent::CallStarted(call(c, agent)),
        &format!("ev-{seq}"),
        t0(),
        "us-east-1",
        "123456789012",
    )
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

async fn invoke(r: &Rig, payload: Value) -> Result<Value, lambda_runtime::Diagnostic> {
    EventHandler::invoke(&r.handler, payload).await
}

/// Delivers the event: `Ok` (done) or the error type Lambda retries on.
async fn deliver(r: &Rig, payload: Value) -> Result<(), String> {
    match invoke(r, payload).await {
        Ok(_) => Ok(()),
        Err(d) => {
            assert!(!d.error_message.is_empty());
            Err(d.error_type)
        }
    }
}

/// The failure a send not yet done for everyone is retried on.
fn not_sent() -> Result<(), String> {
    Err("NotificationNotSent".into())
}

#[tokio::test]
async fn one_email_to_the_recipients_even_when_redelivered() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    assert_eq!(
        invoke(&r, started(1, "c-1", "a-42")).await.unwrap(),
        json!({"notified": "c-1"})
    );
    assert_eq!(deliver(&r, started(1, "c-1", "a-42")).await, Ok(()));
    assert_eq!(deliver(&r, started(1, "c-1", "a-42")).await, Ok(()));
    let sent = r.outbox.messages();
    assert_eq!(sent.len(), 1, "duplicates send nothing");
    assert_eq!(sent[0].0, "sup@example.com");
    assert_eq!(sent[0].1.subject, "Emergency call to 911 by Agent a-42");
    assert_eq!(notification(&r).as_deref(), Some("sent"));
}

#[tokio::test]
async fn a_redelivery_with_another_id_sends_nothing_either() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    assert_eq!(deliver(&r, started(1, "c-1", "a-42")).await, Ok(()));
    // A replay from the failure queue, or the bus delivering twice.
    assert_eq!(deliver(&r, started(2, "c-1", "a-42")).await, Ok(()));
    assert_eq!(r.outbox.messages().len(), 1);
    assert_eq!(r.outbox.attempted().len(), 1, "not even attempted");
}

#[tokio::test]
async fn throttling_is_retried_then_sent_once() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    r.outbox.fail_next(2);
    assert_eq!(deliver(&r, started(7, "c-1", "a-42")).await, not_sent());
    assert_eq!(notification(&r), None);
    // Lambda's retries: the same payload.
    assert_eq!(deliver(&r, started(7, "c-1", "a-42")).await, not_sent());
    assert_eq!(deliver(&r, started(7, "c-1", "a-42")).await, Ok(()));
    assert_eq!(r.outbox.messages().len(), 1);
    assert_eq!(notification(&r).as_deref(), Some("sent"));
    assert_eq!(deliver(&r, started(7, "c-1", "a-42")).await, Ok(()));
    assert_eq!(r.outbox.messages().len(), 1, "sent exactly once");
}

#[tokio::test]
async fn a_permanent_refusal_is_recorded_not_retried() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    r.outbox.refuse(true);
    assert_eq!(deliver(&r, started(1, "c-1", "a-42")).await, Ok(()));
    assert_eq!(notification(&r).as_deref(), Some("failed"));
    r.outbox.refuse(false);
    assert_eq!(deliver(&r, started(1, "c-1", "a-42")).await, Ok(()));
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
    assert_eq!(deliver(&r, started(1, "c-1", "a-50")).await, Ok(()));
    assert!(r.outbox.messages().is_empty());
    assert_eq!(notification(&r).as_deref(), Some("no_recipients"));
}

#[tokio::test]
async fn store_down_is_retried_and_a_stored_template_is_used() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    r.w.store.set_failing(true);
    assert_eq!(deliver(&r, started(3, "c-1", "a-42")).await, not_sent());
    assert!(r.outbox.messages().is_empty());
    r.w.store.set_failing(false);
    let mut t = NotificationTemplate::builtin();
    t.subject = "Lifeline: {{ agent_name }} called {{ dialed }}".into();
    t.version = 1;
    r.w.store.with_state(|s| s.template = Some(t));
    assert_eq!(deliver(&r, started(3, "c-1", "a-42")).await, Ok(()));
    assert_eq!(
        r.outbox.messages()[0].1.subject,
        "Lifeline: Agent a-42 called 911"
    );
    assert_eq!(deliver(&r, started(3, "c-1", "a-42")).await, Ok(()));
    assert_eq!(r.outbox.messages().len(), 1);
}

#[tokio::test]
async fn the_event_eventbridge_delivers_runs_through_the_handler() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    // The call-start sample as the bus delivers it to the rule's target
    // (lifeline-edge's tests hold it to what `envelope` builds).
    let sample: Value =
        serde_json::from_str(include_str!("../../../events/notifier.json")).unwrap();
    assert_eq!(deliver(&r, sample).await, Ok(()));
    assert_eq!(r.outbox.messages().len(), 1);
}

#[tokio::test]
async fn events_of_other_detail_types_are_ignored() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    let reads = r.w.store.reads();
    let writes = r.w.store.writes();
    let lease = DomainEvent::LeaseChanged(LeaseChanged {
        version: VERSION,
        number: "+14255550199".parse().unwrap(),
        country: Country::US,
        before: None,
        after: Some(LeaseSnapshot {
            lease_id: "l-1".parse().unwrap(),
            agent_id: "a-42".parse().unwrap(),
            leased_at: t0(),
            last_dial_at: t0(),
            expires_at: t0() + chrono::Duration::hours(1),
            hold_until: t0() + chrono::Duration::hours(4),
            active_calls: vec!["c-1".parse().unwrap()],
            lease_version: 1,
            released_at: None,
        }),
    });
    for (seq, e) in [(2, lease)] {
        let payload = envelope(&e, &format!("ev-{seq}"), t0(), "us-east-1", "123456789012");
        assert_eq!(
            invoke(&r, payload).await.unwrap(),
            json!({"ignored": e.detail_type()})
        );
    }
    assert!(r.outbox.attempted().is_empty(), "no e-mail");
    assert_eq!(notification(&r), None);
    assert_eq!((r.w.store.reads(), r.w.store.writes()), (reads, writes));
}

#[tokio::test]
async fn a_malformed_event_is_a_bad_event_and_sends_nothing() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    let writes = r.w.store.writes();
    let mut no_call = started(1, "c-1", "a-42");
    no_call["detail"]["callId"] = json!("");
    let mut unknown = started(2, "c-1", "a-42");
    unknown["detail-type"] = json!("lifeline.call.answered");
    let mut newer = started(3, "c-1", "a-42");
    newer["detail"]["version"] = json!(2);
    let mut no_agent = started(4, "c-1", "a-42");
    no_agent["detail"]
        .as_object_mut()
        .unwrap()
        .remove("agentId");
    let mut foreign = started(5, "c-1", "a-42");
    foreign["source"] = json!("aws.connect");
    for payload in [
        no_call,
        unknown,
        newer,
        no_agent,
        foreign,
        json!({"Records": []}),
    ] {
        assert_eq!(
            deliver(&r, payload.clone()).await,
            Err("BadEvent".into()),
            "{payload}"
        );
    }
    assert!(r.outbox.attempted().is_empty(), "no e-mail");
    assert_eq!(notification(&r), None);
    assert_eq!(r.w.store.writes(), writes, "nothing written");
    // The good event still sends, once.
    assert_eq!(deliver(&r, started(6, "c-1", "a-42")).await, Ok(()));
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
    assert_eq!(deliver(&r, started(1, "c-1", "a-42")).await, Ok(()));
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
    assert_eq!(deliver(&r, started(1, "c-1", "a-50")).await, Ok(()));
    assert_eq!(r.outbox.messages()[0].0, DESK);
}

#[tokio::test]
async fn a_corrupt_call_record_is_parked_and_not_retried() {
    let r = rig_with_fallback(DESK);
    r.w.dial("c-1", "a-42").await;
    r.w.store.with_state(|s| {
        s.unreadable
            .push((lifeline_app::ports::ItemKind::Call, "c-1".into()))
    });
    assert_eq!(
        deliver(&r, started(4, "c-1", "a-42")).await,
        Ok(()),
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
    assert_eq!(deliver(&r, started(5, "c-1", "a-42")).await, not_sent());
    assert!(r.outbox.messages().is_empty());
    r.w.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(deliver(&r, started(5, "c-1", "a-42")).await, Ok(()));
    assert_eq!(r.outbox.addresses(), vec![DESK]);
    assert_eq!(deliver(&r, started(5, "c-1", "a-42")).await, Ok(()));
    assert_eq!(r.outbox.messages().len(), 1);
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
    assert_eq!(deliver(&r, started(1, "c-1", "a-42")).await, Ok(()));
    assert_eq!(deliver(&r, started(1, "c-1", "a-42")).await, Ok(()));
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
    assert_eq!(deliver(&r, started(9, "c-1", "a-42")).await, not_sent());
    assert_eq!(r.outbox.addresses(), vec![ANN, CY]);
    assert_eq!(notification(&r), None);
    assert_eq!(deliver(&r, started(9, "c-1", "a-42")).await, Ok(()));
    assert_eq!(r.outbox.addresses(), vec![ANN, CY, BOB], "Bob only, once");
    assert_eq!(notification(&r).as_deref(), Some("sent"));
    assert_eq!(deliver(&r, started(9, "c-1", "a-42")).await, Ok(()));
    assert_eq!(r.outbox.messages().len(), 3);
}

#[tokio::test]
async fn one_refused_address_does_not_stop_the_others_and_is_recorded_without_it() {
    let r = rig();
    three_recipients(&r);
    r.w.dial("c-1", "a-42").await;
    r.outbox.refuse_to(BOB, "MessageRejected");
    assert_eq!(
        deliver(&r, started(2, "c-1", "a-42")).await,
        Ok(()),
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
    assert_eq!(deliver(&r, started(1, "c-1", "a-42")).await, Ok(()));
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
