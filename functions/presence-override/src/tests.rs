//! Handler tests over the in-memory store, and the order-independence property.

use super::*;

use chrono::{DateTime, Duration, Utc};

use lifeline_app::fakes::MemoryStore;
use lifeline_domain::events::{
    CallEvent, DomainEvent, LeaseChanged, LeaseSnapshot, NotificationEvent, VERSION,
};
use lifeline_domain::numbers::Country;
use lifeline_domain::presence::{PresenceView, Status};
use lifeline_domain::types::AgentId;
use lifeline_edge::events::envelope;
use lifeline_edge::fixtures::{t0, World};
use proptest::prelude::*;
use serde_json::{json, Value};

/// The event as EventBridge delivers it (`seq` names its delivery: a
/// redelivery carries the same id).
fn delivered(seq: u64, event: &DomainEvent) -> Value {
    envelope(
        event,
        &format!("ev-{seq}"),
        t0(),
        "us-east-1",
        "123456789012",
    )
}

fn call(call: &str, agent: &str, at: DateTime<Utc>) -> CallEvent {
    CallEvent {
        version: VERSION,
        call_id: call.parse().unwrap(),
        agent_id: agent.parse().unwrap(),
        at,
        lease_id: None,
    }
}

/// `lifeline.call.started` of a-42's call (dialed at t0).
fn start(seq: u64, c: &str) -> Value {
    delivered(seq, &DomainEvent::CallStarted(call(c, "a-42", t0())))
}

/// `lifeline.call.ended` of a-42's call (ended ten minutes in).
fn end(seq: u64, c: &str) -> Value {
    delivered(
        seq,
        &DomainEvent::CallEnded(call(c, "a-42", t0() + Duration::minutes(10))),
    )
}

struct Rig {
    w: World,
    handler: PresenceOverride<MemoryStore>,
    service: PresenceService<MemoryStore>,
}

fn rig() -> Rig {
    let w = World::us(&[]);
    let handler = PresenceOverride::new(w.store.clone(), w.clock(), w.config.clone());
    let service = PresenceService::new(w.store.clone(), w.clock(), w.config.settings.presence);
    Rig {
        w,
        handler,
        service,
    }
}

impl Rig {
    /// An invocation that must succeed, of an event the table bears out (as
    /// the stream publishes them): its call recorded, and ended for an end.
    async fn ok(&self, payload: Value) -> Value {
        self.record_as_published(&payload);
        self.bare_ok(payload).await
    }
    /// The same, with the table left as it is.
    async fn bare_ok(&self, payload: Value) -> Value {
        lifeline_edge::fixtures::invoked_ok(&self.handler, payload).await
    }
    fn record_as_published(&self, payload: &Value) {
        let ended = payload["detail-type"] == "lifeline.call.ended";
        let started = payload["detail-type"] == "lifeline.call.started";
        let (Some(call), Some(agent), true) = (
            payload["detail"]["callId"].as_str(),
            payload["detail"]["agentId"].as_str(),
            started || ended,
        ) else {
            return;
        };
        let at: DateTime<Utc> = serde_json::from_value(payload["detail"]["at"].clone()).unwrap();
        self.w.store.with_state(|s| {
            let id = call.parse().unwrap();
            let record = s
                .calls
                .entry(id)
                .or_insert_with(|| lifeline_domain::testing::call(call, agent, t0()));
            if ended {
                record.ended_at = Some(at);
            }
        });
    }
    /// An invocation that must fail: its error type.
    async fn err(&self, payload: Value) -> String {
        lifeline_edge::fixtures::invoked_err(&self.handler, payload).await
    }
    async fn view(&self) -> PresenceView {
        self.service
            .get(&"a-42".parse::<AgentId>().unwrap())
            .await
            .unwrap()
    }
    async fn report(&self, s: Status) {
        self.service
            .report(&"a-42".parse().unwrap(), s)
            .await
            .unwrap();
    }
    fn touched(&self) -> usize {
        self.w.store.reads() + self.w.store.writes()
    }
}

#[tokio::test]
async fn start_sets_dnd_and_the_last_end_restores() {
    let r = rig();
    r.report(Status::Busy).await;
    assert_eq!(
        r.ok(start(1, "c-1")).await,
        json!({"applied": "lifeline.call.started"})
    );
    r.ok(start(2, "c-2")).await;
    assert_eq!(
        r.view().await,
        PresenceView {
            status: Status::DoNotDisturb,
            override_active: true
        }
    );
    r.report(Status::Away).await;
    assert_eq!(
        r.view().await.status,
        Status::DoNotDisturb,
        "a report does not lift the override"
    );
    assert_eq!(
        r.ok(end(3, "c-1")).await,
        json!({"applied": "lifeline.call.ended"})
    );
    assert_eq!(
        r.view().await.status,
        Status::DoNotDisturb,
        "c-2 is still live"
    );
    r.ok(end(4, "c-2")).await;
    assert_eq!(
        r.view().await,
        PresenceView {
            status: Status::Away,
            override_active: false
        }
    );
}

#[tokio::test]
async fn redelivered_start_after_its_end_changes_nothing() {
    let r = rig();
    r.ok(end(2, "c-1")).await;
    r.ok(start(1, "c-1")).await;
    r.ok(start(1, "c-1")).await;
    assert_eq!(r.view().await.status, Status::Available);
    let writes = r.w.store.writes();
    r.ok(end(2, "c-1")).await;
    r.ok(start(1, "c-1")).await;
    assert_eq!(r.w.store.writes(), writes, "duplicates write nothing");
    assert_eq!(r.view().await.status, Status::Available);
}

#[tokio::test]
async fn the_same_event_delivered_twice_is_applied_once() {
    let r = rig();
    r.report(Status::Busy).await;
    r.ok(start(1, "c-1")).await;
    let after_first = r.view().await;
    let writes = r.w.store.writes();
    r.ok(start(1, "c-1")).await;
    assert_eq!(r.view().await, after_first);
    assert_eq!(
        r.w.store.writes(),
        writes,
        "a duplicate start writes nothing"
    );
    assert!(r
        .w
        .store
        .with_state(|s| s.presence[&"a-42".parse::<AgentId>().unwrap()].active.len() == 1));

    r.ok(end(2, "c-1")).await;
    let restored = r.view().await;
    assert_eq!(
        restored,
        PresenceView {
            status: Status::Busy,
            override_active: false
        }
    );
    let writes = r.w.store.writes();
    r.ok(end(2, "c-1")).await;
    assert_eq!(r.view().await, restored);
    assert_eq!(r.w.store.writes(), writes, "a duplicate end writes nothing");
}

#[tokio::test]
async fn events_of_other_detail_types_are_ignored() {
    let r = rig();
    let lease = {
        let snapshot = LeaseSnapshot {
            lease_id: "l-1".parse().unwrap(),
            agent_id: "a-42".parse().unwrap(),
            leased_at: t0(),
            last_dial_at: t0(),
            expires_at: t0() + Duration::hours(1),
            hold_until: t0() + Duration::hours(4),
            active_calls: vec!["c-1".parse().unwrap()],
            lease_version: 1,
            released_at: None,
        };
        DomainEvent::LeaseChanged(LeaseChanged {
            version: VERSION,
            number: "+14255550199".parse().unwrap(),
            country: Country::US,
            before: None,
            after: Some(snapshot),
        })
    };
    let sent = DomainEvent::NotificationSent(NotificationEvent {
        version: VERSION,
        call_id: "c-1".parse().unwrap(),
        agent_id: "a-42".parse().unwrap(),
        state: "sent".into(),
        detail: "sent 1 of 1".into(),
        at: t0(),
    });
    for (seq, e) in [(7, lease), (8, sent)] {
        assert_eq!(
            r.ok(delivered(seq, &e)).await,
            json!({"ignored": e.detail_type()})
        );
    }
    assert_eq!(r.touched(), 0, "nothing read or written");
    assert_eq!(r.view().await.status, Status::Available);
}

#[tokio::test]
async fn a_failed_apply_fails_the_invocation_and_its_retry_applies_once() {
    let r = rig();
    r.report(Status::Busy).await;
    r.w.store.set_failing(true);
    assert_eq!(r.err(start(10, "c-3")).await, "PresenceNotApplied");
    r.w.store.set_failing(false);
    assert_eq!(r.view().await.status, Status::Busy, "not applied");

    // Lambda's retry: the same payload.
    r.ok(start(10, "c-3")).await;
    assert_eq!(
        r.view().await,
        PresenceView {
            status: Status::DoNotDisturb,
            override_active: true
        }
    );
    let writes = r.w.store.writes();
    r.ok(start(10, "c-3")).await;
    assert_eq!(r.w.store.writes(), writes, "a further retry writes nothing");

    r.w.store.set_failing(true);
    assert_eq!(r.err(end(11, "c-3")).await, "PresenceNotApplied");
    r.w.store.set_failing(false);
    assert!(r.view().await.override_active, "the end is not applied yet");
    r.ok(end(11, "c-3")).await;
    assert_eq!(
        r.view().await,
        PresenceView {
            status: Status::Busy,
            override_active: false
        }
    );
}

#[tokio::test]
async fn a_malformed_event_is_a_bad_event_and_changes_nothing() {
    let r = rig();
    let mut no_call = start(1, "c-1");
    no_call["detail"]["callId"] = json!("");
    let mut unknown = start(2, "c-1");
    unknown["detail-type"] = json!("lifeline.call.paused");
    let mut newer = start(3, "c-1");
    newer["detail"]["version"] = json!(2);
    let mut bad_time = start(4, "c-1");
    bad_time["detail"]["at"] = json!("not a time");
    let mut no_agent = start(5, "c-1");
    no_agent["detail"]
        .as_object_mut()
        .unwrap()
        .remove("agentId");
    let mut foreign = start(6, "c-1");
    foreign["source"] = json!("aws.connect");
    for payload in [
        no_call,
        unknown,
        newer,
        bad_time,
        no_agent,
        foreign,
        json!({}),
    ] {
        assert_eq!(r.err(payload.clone()).await, "BadEvent", "{payload}");
    }
    assert_eq!(r.touched(), 0, "nothing read or written");
    // Also when the store is down: retrying cannot make it readable.
    r.w.store.set_failing(true);
    let mut newer = end(7, "c-1");
    newer["detail"]["version"] = json!(2);
    assert_eq!(r.err(newer).await, "BadEvent");
    r.w.store.set_failing(false);
    assert_eq!(r.view().await.status, Status::Available);
}

#[tokio::test]
async fn a_stuck_override_is_lifted_after_the_limit() {
    let r = rig();
    r.report(Status::Busy).await;
    r.ok(start(1, "c-1")).await;
    assert!(r.view().await.override_active);
    r.w.clock.advance(Duration::hours(4));
    assert_eq!(
        r.view().await,
        PresenceView {
            status: Status::Busy,
            override_active: false
        }
    );
    // The next change writes the lift down.
    r.report(Status::Away).await;
    assert!(r
        .w
        .store
        .with_state(|s| s.presence[&"a-42".parse::<AgentId>().unwrap()]
            .active
            .is_empty()));
}

#[tokio::test]
async fn the_event_eventbridge_delivers_runs_through_the_handler() {
    let r = rig();
    // The call-start sample as the bus delivers it to the rule's target
    // (lifeline-edge's tests hold it to what `envelope` builds).
    let sample: Value =
        serde_json::from_str(include_str!("../../../events/presence-override.json")).unwrap();
    r.ok(sample).await;
    assert_eq!(r.view().await.status, Status::DoNotDisturb);
}

/// One delivery: a call's start or end, or a status report.
#[derive(Debug, Clone)]
enum Delivery {
    Start(usize),
    End(usize),
    Report(Status),
}

fn status() -> impl Strategy<Value = Status> {
    prop::sample::select(Status::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the order and duplication of the events (each its own
    /// asynchronous invocation), the final presence is the obvious one: Do
    /// Not Disturb while some call started and did not end, else the last
    /// reported status.
    #[test]
    fn order_does_not_matter(
        initial in status(),
        // For each call: whether its start and its end were delivered.
        calls in prop::collection::vec((any::<bool>(), any::<bool>()), 1..6),
        report in prop::option::of(status()),
        dup in prop::collection::vec(0usize..64, 0..8),
        order in Just(()).prop_perturb(|_, mut rng| rng.random::<u64>()),
    ) {
        let mut deliveries: Vec<Delivery> = Vec::new();
        for (i, (started, ended)) in calls.iter().enumerate() {
            if *started { deliveries.push(Delivery::Start(i)); }
            if *ended { deliveries.push(Delivery::End(i)); }
        }
        if let Some(s) = report { deliveries.push(Delivery::Report(s)); }
        if deliveries.is_empty() { return Ok(()); }
        for d in &dup {
            let copy = deliveries[d % deliveries.len()].clone();
            deliveries.push(copy);
        }
        // A deterministic shuffle from the drawn seed.
        let mut seed = order;
        for i in (1..deliveries.len()).rev() {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            deliveries.swap(i, (seed >> 33) as usize % (i + 1));
        }

        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let final_view = rt.block_on(async {
            let r = rig();
            r.w.clock.set(t0() + Duration::minutes(30));
            r.report(initial).await;
            for d in &deliveries {
                // A duplicate is the same event again: the same id.
                match d {
                    Delivery::Start(i) => { r.ok(start(2 * *i as u64, &format!("c-{i}"))).await; }
                    Delivery::End(i) => { r.ok(end(2 * *i as u64 + 1, &format!("c-{i}"))).await; }
                    Delivery::Report(s) => r.report(*s).await,
                }
            }
            r.view().await
        });
        let live = calls.iter().any(|(started, ended)| *started && !*ended);
        let expected = if live { Status::DoNotDisturb } else { report.unwrap_or(initial) };
        prop_assert_eq!(final_view, PresenceView { status: expected, override_active: live });
    }
}

/// Events the table does not bear out change nothing: anyone who can put
/// events on the bus cannot set or lift Do Not Disturb.
#[tokio::test]
async fn forged_call_events_change_no_presence() {
    let r = rig();
    r.report(Status::Busy).await;
    // A start for a call never recorded.
    assert_eq!(
        r.bare_ok(start(1, "c-forged")).await,
        json!({"ignored": "lifeline.call.started", "unconfirmed": "unknown_call"})
    );
    // A start naming a-42 for another agent's call.
    r.w.store.with_state(|s| {
        s.calls.insert(
            "c-9".parse().unwrap(),
            lifeline_domain::testing::call("c-9", "a-9", t0()),
        )
    });
    assert_eq!(
        r.bare_ok(start(2, "c-9")).await["unconfirmed"],
        json!("wrong_agent")
    );
    assert_eq!(r.view().await.status, Status::Busy, "no Do Not Disturb");
    // A real call: DND. A forged end while the record says it is on: kept.
    r.ok(start(3, "c-1")).await;
    assert_eq!(
        r.bare_ok(end(4, "c-1")).await["unconfirmed"],
        json!("not_ended")
    );
    assert_eq!(r.view().await.status, Status::DoNotDisturb);
    // The genuine end lifts it.
    r.ok(end(5, "c-1")).await;
    assert_eq!(r.view().await.status, Status::Busy);
}
