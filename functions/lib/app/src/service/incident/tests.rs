//! The incident service over the in-memory store: events in any order and
//! any number of times leave the same incident.

use super::*;

use crate::clock::FixedClock;
use crate::fakes::{MemoryIncidents, MemoryStore};
use lifeline_domain::events::{CallEvent, LeaseChanged, LeaseSnapshot, PresenceEvent, VERSION};
use lifeline_domain::incident::IncidentState;
use lifeline_domain::numbers::Country;

fn t(min: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_496_400, 0).unwrap() + Duration::minutes(min)
}

struct Rig {
    calls: Arc<MemoryStore>,
    store: Arc<MemoryIncidents>,
    service: IncidentService<MemoryIncidents>,
}

fn rig() -> Rig {
    let calls = Arc::new(MemoryStore::new());
    let store = Arc::new(MemoryIncidents::new(calls.clone()));
    let service = IncidentService::new(
        store.clone(),
        Arc::new(FixedClock::at(t(0))),
        Duration::days(30),
    );
    Rig {
        calls,
        store,
        service,
    }
}

impl Rig {
    fn record(&self, call: &str, test: bool) {
        let mut c = lifeline_domain::testing::call(call, "a-42", t(0));
        c.test = test;
        c.lease_id = Some("l-1".parse().unwrap());
        self.calls
            .with_state(|s| s.calls.insert(c.call_id.clone(), c));
    }
    async fn show(&self, call: &str) -> IncidentRecord {
        self.service.show(&call.parse().unwrap()).await.unwrap()
    }
    async fn kinds(&self, call: &str) -> Vec<EntryKind> {
        self.show(call)
            .await
            .timeline
            .iter()
            .map(|e| e.kind)
            .collect()
    }
}

fn call(kind: fn(CallEvent) -> DomainEvent, c: &str, at: DateTime<Utc>) -> DomainEvent {
    kind(CallEvent {
        version: VERSION,
        call_id: c.parse().unwrap(),
        agent_id: "a-42".parse().unwrap(),
        at,
        lease_id: None,
    })
}
fn presence(
    kind: fn(PresenceEvent) -> DomainEvent,
    at: DateTime<Utc>,
    calls: &[&str],
) -> DomainEvent {
    kind(PresenceEvent {
        version: VERSION,
        agent_id: "a-42".parse().unwrap(),
        status: "do_not_disturb".into(),
        reported: "busy".into(),
        active_calls: calls.iter().map(|c| c.parse().unwrap()).collect(),
        at,
    })
}
fn lifecycle() -> Vec<DomainEvent> {
    vec![
        call(DomainEvent::CallStarted, "c-1", t(0)),
        presence(DomainEvent::PresenceOverridden, t(0), &["c-1"]),
        call(DomainEvent::CallEnded, "c-1", t(10)),
        presence(DomainEvent::PresenceRestored, t(10), &[]),
    ]
}

#[tokio::test]
async fn a_call_opens_its_incident_and_its_end_closes_it() {
    let r = rig();
    r.record("c-1", false);
    let events = lifecycle();
    r.service.apply(&events[0]).await.unwrap();
    r.service.apply(&events[1]).await.unwrap();
    let open = r.show("c-1").await;
    let head = open.head.clone().unwrap();
    assert_eq!((head.state, head.drill), (IncidentState::Open, false));
    assert_eq!(r.kinds("c-1").await, [EntryKind::Dialed, EntryKind::DndOn]);
    let dialed = &open.timeline[0];
    assert!(dialed.detail.caller_id.is_some(), "the record's answer");
    for e in &events[2..] {
        r.service.apply(e).await.unwrap();
    }
    let closed = r.show("c-1").await.head.unwrap();
    assert_eq!(closed.state, IncidentState::Closed);
    assert_eq!(closed.closed_at, Some(t(10)));
    assert_eq!(
        r.kinds("c-1").await,
        [
            EntryKind::Dialed,
            EntryKind::DndOn,
            EntryKind::Ended,
            EntryKind::Restored
        ]
    );
}

#[tokio::test]
async fn duplicates_and_any_order_leave_the_same_incident() {
    let want = {
        let r = rig();
        r.record("c-1", true);
        for e in lifecycle() {
            r.service.apply(&e).await.unwrap();
        }
        r.show("c-1").await
    };
    assert!(want.head.as_ref().unwrap().drill);
    // Orders of the four, each delivered twice (and one event a third time).
    let orders: [[usize; 5]; 6] = [
        [3, 2, 1, 0, 3],
        [2, 0, 1, 3, 3],
        [1, 2, 0, 3, 3],
        [0, 2, 1, 3, 3],
        // The restore before the DND on that it ends.
        [0, 3, 1, 2, 2],
        [0, 2, 3, 1, 1],
    ];
    for order in orders {
        let r = rig();
        r.record("c-1", true);
        let events = lifecycle();
        for i in order.iter().chain(order.iter()) {
            r.service.apply(&events[*i]).await.unwrap();
        }
        let got = r.show("c-1").await;
        if order[0] == 3 {
            // A restore read before the incident exists finds nothing to
            // restore (docs/incidents.md): its redelivery does.
            r.service.apply(&events[3]).await.unwrap();
            assert_eq!(r.show("c-1").await.timeline, want.timeline, "{order:?}");
            continue;
        }
        assert_eq!(got.timeline, want.timeline, "{order:?}");
        assert_eq!(got.head, want.head, "{order:?}");
    }
}

#[tokio::test]
async fn a_redelivered_event_adds_nothing() {
    let r = rig();
    r.record("c-1", false);
    let start = call(DomainEvent::CallStarted, "c-1", t(0));
    assert_eq!(r.service.apply(&start).await.unwrap().added, 1);
    let again = r.service.apply(&start).await.unwrap();
    assert_eq!((again.added, again.incidents.len()), (0, 1));
    assert_eq!(r.show("c-1").await.timeline.len(), 1);
}

#[tokio::test]
async fn an_event_the_table_does_not_bear_out_is_ignored() {
    let r = rig();
    let applied = r
        .service
        .apply(&call(DomainEvent::CallStarted, "c-9", t(0)))
        .await
        .unwrap();
    assert_eq!(applied.unconfirmed, vec!["c-9".parse::<CallId>().unwrap()]);
    assert_eq!(r.show("c-9").await, IncidentRecord::default());
}

#[tokio::test]
async fn an_end_without_an_override_closes() {
    let r = rig();
    r.record("c-1", false);
    r.service
        .apply(&call(DomainEvent::CallEnded, "c-1", t(4)))
        .await
        .unwrap();
    let i = r.show("c-1").await;
    assert_eq!(i.head.unwrap().state, IncidentState::Closed);
    assert_eq!(r.kinds("c-1").await, [EntryKind::Dialed, EntryKind::Ended]);
}

#[tokio::test]
async fn a_head_conflict_is_retried() {
    let r = rig();
    r.record("c-1", false);
    r.store.conflict_next_saves(2);
    r.service
        .apply(&call(DomainEvent::CallStarted, "c-1", t(0)))
        .await
        .unwrap();
    assert!(r.show("c-1").await.head.is_some());
    r.store.conflict_next_saves(HEAD_TRIES);
    let e = r
        .service
        .apply(&call(DomainEvent::CallEnded, "c-1", t(3)))
        .await;
    assert!(matches!(e, Err(IncidentError::Contention(_))), "{e:?}");
}

#[tokio::test]
async fn the_first_acknowledgement_wins_and_every_one_is_recorded() {
    let r = rig();
    r.record("c-1", false);
    let id: CallId = "c-1".parse().unwrap();
    let ack = |by: &str, min| Acknowledgement {
        by: by.into(),
        at: t(min),
        channel: "email".into(),
    };
    assert!(matches!(
        r.service.acknowledge(&id, &ack("ana", 2)).await,
        Err(IncidentError::NoIncident(_))
    ));
    r.service
        .apply(&call(DomainEvent::CallStarted, "c-1", t(0)))
        .await
        .unwrap();
    let first = r.service.acknowledge(&id, &ack("ana", 2)).await.unwrap();
    assert!(first.first && first.previous.is_none());
    let second = r.service.acknowledge(&id, &ack("bo", 1)).await.unwrap();
    assert!(!second.first);
    assert_eq!(second.previous, Some(ack("ana", 2)));
    // A later event's head save keeps the acknowledgement.
    r.service
        .apply(&call(DomainEvent::CallEnded, "c-1", t(5)))
        .await
        .unwrap();
    let i = r.show("c-1").await;
    assert_eq!(i.head.unwrap().acknowledged, Some(ack("ana", 2)));
    assert_eq!(
        r.kinds("c-1").await,
        [
            EntryKind::Dialed,
            EntryKind::Acknowledged,
            EntryKind::Acknowledged,
            EntryKind::Ended
        ]
    );
}

#[tokio::test]
async fn a_lease_release_reaches_the_calls_that_named_it() {
    let r = rig();
    r.record("c-1", false);
    r.service
        .apply(&call(DomainEvent::CallStarted, "c-1", t(0)))
        .await
        .unwrap();
    let snap = |released| LeaseSnapshot {
        lease_id: "l-1".parse().unwrap(),
        agent_id: "a-42".parse().unwrap(),
        leased_at: t(0),
        last_dial_at: t(0),
        expires_at: t(70),
        hold_until: t(70),
        active_calls: Vec::new(),
        lease_version: 2,
        released_at: released,
    };
    let release = DomainEvent::LeaseChanged(LeaseChanged {
        version: VERSION,
        number: "+14255550100".parse().unwrap(),
        country: Country::US,
        before: Some(snap(None)),
        after: Some(snap(Some(t(70)))),
    });
    let applied = r.service.apply(&release).await.unwrap();
    assert_eq!(applied.added, 1);
    assert_eq!(
        r.kinds("c-1").await,
        [EntryKind::Dialed, EntryKind::Released]
    );
}

#[tokio::test]
async fn listings_are_newest_first_and_open_only_when_asked() {
    let r = rig();
    r.record("c-1", false);
    r.record("c-2", false);
    r.service
        .apply(&call(DomainEvent::CallStarted, "c-1", t(0)))
        .await
        .unwrap();
    r.service
        .apply(&call(DomainEvent::CallEnded, "c-2", t(1)))
        .await
        .unwrap();
    let open = r.service.list(IncidentFilter::Open).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].call_id.to_string(), "c-1");
    let all = r
        .service
        .list(IncidentFilter::Recent {
            since: t(-60),
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
}

#[tokio::test]
async fn a_store_failure_is_an_error_to_retry() {
    let r = rig();
    r.record("c-1", false);
    r.store.set_failing(true);
    let e = r
        .service
        .apply(&call(DomainEvent::CallStarted, "c-1", t(0)))
        .await;
    assert!(matches!(e, Err(IncidentError::Store(_))));
}
