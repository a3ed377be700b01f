//! The handler over the in-memory stores.

use super::*;

use chrono::{DateTime, Duration, Utc};
use lifeline_app::fakes::MemoryIncidents;
use lifeline_domain::events::{CallEvent, DomainEvent, PresenceEvent, VERSION};
use lifeline_domain::incident::{EntryKind, IncidentState};
use lifeline_edge::events::envelope;
use lifeline_edge::fixtures::{t0, World};

fn delivered(event: &DomainEvent) -> Value {
    envelope(event, "ev-1", t0(), "us-east-1", "123456789012")
}

fn call(kind: fn(CallEvent) -> DomainEvent, at: DateTime<Utc>) -> Value {
    delivered(&kind(CallEvent {
        version: VERSION,
        call_id: "c-1".parse().unwrap(),
        agent_id: "a-42".parse().unwrap(),
        at,
        lease_id: None,
    }))
}

fn presence(kind: fn(PresenceEvent) -> DomainEvent, calls: &[&str], at: DateTime<Utc>) -> Value {
    delivered(&kind(PresenceEvent {
        version: VERSION,
        agent_id: "a-42".parse().unwrap(),
        status: "do_not_disturb".into(),
        reported: "busy".into(),
        active_calls: calls.iter().map(|c| c.parse().unwrap()).collect(),
        at,
    }))
}

struct Rig {
    store: Arc<MemoryIncidents>,
    handler: IncidentLog<MemoryIncidents>,
}

fn rig(test: bool) -> Rig {
    let w = World::us(&[]);
    let mut record = lifeline_domain::testing::call("c-1", "a-42", t0());
    record.test = test;
    w.store
        .with_state(|s| s.calls.insert(record.call_id.clone(), record));
    let store = Arc::new(MemoryIncidents::new(w.store.clone()));
    let handler = IncidentLog::new(store.clone(), w.clock(), w.config.clone());
    Rig { store, handler }
}

impl Rig {
    fn incident(&self) -> lifeline_app::fakes::StoredIncident {
        self.store
            .with(|all| all.get(&"c-1".parse().unwrap()).cloned())
            .expect("an incident")
    }
}

#[tokio::test]
async fn a_call_and_its_dnd_open_an_incident_and_their_ends_close_it() {
    let r = rig(true);
    let answer =
        lifeline_edge::fixtures::invoked_ok(&r.handler, call(DomainEvent::CallStarted, t0())).await;
    assert_eq!(
        answer,
        json!({"applied": "lifeline.call.started", "incidents": ["c-1"], "added": 1})
    );
    let dnd = presence(DomainEvent::PresenceOverridden, &["c-1"], t0());
    lifeline_edge::fixtures::invoked_ok(&r.handler, dnd.clone()).await;
    lifeline_edge::fixtures::invoked_ok(&r.handler, dnd).await; // redelivered
    let (head, _) = r.incident().head.unwrap();
    assert_eq!((head.state, head.drill), (IncidentState::Open, true));
    let end = t0() + Duration::minutes(5);
    lifeline_edge::fixtures::invoked_ok(&r.handler, call(DomainEvent::CallEnded, end)).await;
    lifeline_edge::fixtures::invoked_ok(
        &r.handler,
        presence(DomainEvent::PresenceRestored, &[], end),
    )
    .await;
    let i = r.incident();
    assert_eq!(i.head.unwrap().0.state, IncidentState::Closed);
    let kinds: Vec<EntryKind> = i.timeline.values().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EntryKind::Dialed,
            EntryKind::DndOn,
            EntryKind::Ended,
            EntryKind::Restored
        ]
    );
    assert!(i.ttl.is_some_and(|t| t > t0() + Duration::days(1)));
}

#[tokio::test]
async fn a_store_failure_fails_the_invocation_for_lambda_to_retry() {
    let r = rig(false);
    r.store.set_failing(true);
    let kind =
        lifeline_edge::fixtures::invoked_err(&r.handler, call(DomainEvent::CallStarted, t0()))
            .await;
    assert_eq!(kind, "IncidentNotRecorded");
}

#[tokio::test]
async fn a_bad_event_is_refused() {
    let r = rig(false);
    let kind =
        lifeline_edge::fixtures::invoked_err(&r.handler, json!({"source": "elsewhere"})).await;
    assert_eq!(kind, "BadEvent");
}
