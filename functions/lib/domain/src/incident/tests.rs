use super::*;

use chrono::Duration;

use crate::events::{
    CallEvent, DomainEvent, LeaseChanged, LeaseSnapshot, NotificationEvent, PresenceEvent, VERSION,
};
use crate::numbers::Country;

fn t(min: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_496_400, 0).unwrap() + Duration::minutes(min)
}
fn call_id() -> CallId {
    "c-1".parse().unwrap()
}
fn agent() -> AgentId {
    "a-42".parse().unwrap()
}
fn entry(min: i64, kind: EntryKind) -> Entry {
    Entry::new(t(min), kind, "x")
}
fn fold(entries: &[Entry]) -> Incident {
    Incident::fold(&call_id(), &agent(), None, entries).expect("an incident")
}
fn call_event(at: DateTime<Utc>) -> CallEvent {
    CallEvent {
        version: VERSION,
        call_id: call_id(),
        agent_id: agent(),
        at,
        lease_id: None,
    }
}
fn presence(at: DateTime<Utc>, calls: &[&str]) -> PresenceEvent {
    PresenceEvent {
        version: VERSION,
        agent_id: agent(),
        status: "do_not_disturb".into(),
        reported: "busy".into(),
        active_calls: calls.iter().map(|c| c.parse().unwrap()).collect(),
        at,
    }
}

#[test]
fn no_entries_no_incident() {
    assert_eq!(Incident::fold(&call_id(), &agent(), None, &[]), None);
}

#[test]
fn a_dial_opens_and_the_end_with_dnd_off_closes() {
    let mut timeline = vec![
        entry(0, EntryKind::Dialed),
        entry(0, EntryKind::DndOn),
        entry(10, EntryKind::Ended),
    ];
    let open = fold(&timeline);
    assert_eq!(open.state, IncidentState::Open, "DND still on");
    assert_eq!(open.opened_at, t(0));
    assert!(open.dnd_held);
    timeline.push(entry(11, EntryKind::Restored));
    let closed = fold(&timeline);
    assert_eq!(closed.state, IncidentState::Closed);
    assert_eq!(closed.closed_at, Some(t(11)));
    assert!(!closed.dnd_held);
}

#[test]
fn an_end_without_an_override_closes_at_once() {
    let i = fold(&[entry(0, EntryKind::Dialed), entry(5, EntryKind::Ended)]);
    assert_eq!((i.state, i.closed_at), (IncidentState::Closed, Some(t(5))));
}

#[test]
fn a_late_dnd_on_reopens_until_restored() {
    let mut timeline = vec![entry(0, EntryKind::Dialed), entry(5, EntryKind::Ended)];
    timeline.push(entry(0, EntryKind::DndOn));
    assert!(fold(&timeline).is_open());
    timeline.push(entry(6, EntryKind::Restored));
    assert!(!fold(&timeline).is_open());
}

#[test]
fn the_fold_does_not_care_about_order_or_duplicates() {
    let timeline = vec![
        entry(0, EntryKind::Dialed),
        entry(0, EntryKind::DndOn),
        entry(1, EntryKind::Alerted),
        entry(3, EntryKind::Escalated),
        entry(10, EntryKind::Ended),
        entry(11, EntryKind::Restored),
    ];
    let want = fold(&timeline);
    let mut shuffled: Vec<Entry> = timeline.iter().rev().cloned().collect();
    shuffled.extend(timeline.iter().cloned());
    assert_eq!(fold(&shuffled), want);
    assert_eq!(want.escalated_at, Some(t(3)));
}

#[test]
fn opened_is_the_dial_even_when_other_entries_came_first() {
    let early = fold(&[entry(2, EntryKind::DndOn)]);
    assert_eq!((early.opened_at, early.drill), (t(2), false));
    let mut dialed = entry(0, EntryKind::Dialed);
    dialed.detail.test = true;
    let i = fold(&[entry(2, EntryKind::DndOn), dialed]);
    assert_eq!((i.opened_at, i.drill), (t(0), true));
}

#[test]
fn the_first_acknowledgement_wins() {
    let first = Acknowledgement {
        by: "ana".into(),
        at: t(3),
        channel: "email".into(),
    };
    let later = Acknowledgement {
        by: "bo".into(),
        at: t(2),
        channel: "sms".into(),
    };
    let d = acknowledge(None, &first);
    assert!(d.first && d.previous.is_none());
    let d = acknowledge(Some(&first), &later);
    assert!(!d.first);
    assert_eq!(d.previous.as_ref(), Some(&first));
    assert_eq!(
        d.standing, first,
        "an earlier `at` delivered late does not win"
    );
    let i = Incident::fold(
        &call_id(),
        &agent(),
        Some(first.clone()),
        &[entry(0, EntryKind::Dialed)],
    );
    assert_eq!(i.unwrap().acknowledged, Some(first));
}

#[test]
fn sort_keys_sort_by_time_and_are_deterministic() {
    let a = Entry::new(t(0) + Duration::milliseconds(5), EntryKind::Ended, "call");
    let b = Entry::new(t(0) + Duration::milliseconds(40), EntryKind::Dialed, "call");
    assert!(a.sort_key() < b.sort_key());
    assert_eq!(a.sort_key(), a.clone().sort_key());
    assert_eq!(a.sort_key(), "T#2026-11-24T05:00:00.005Z#ended#call");
}

#[test]
fn kinds_round_trip_their_names() {
    for k in EntryKind::ALL {
        assert_eq!(k.as_str().parse::<EntryKind>(), Ok(k));
        assert_eq!(
            serde_json::to_value(k).unwrap(),
            serde_json::json!(k.as_str())
        );
    }
    assert!("dnd".parse::<EntryKind>().is_err());
}

#[test]
fn an_entry_serializes_flat() {
    let e = Entry::new(t(0), EntryKind::Acknowledged, "k").with(EntryDetail {
        by: Some("ana".into()),
        channel: Some("email".into()),
        ..EntryDetail::default()
    });
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        serde_json::json!({"at": "2026-11-24T05:00:00Z", "kind": "acknowledged", "by": "ana", "channel": "email"})
    );
}

#[test]
fn events_plan_their_entries() {
    let p = plan(&DomainEvent::CallStarted(call_event(t(0)))).unwrap();
    assert_eq!(p.target, Target::Calls(agent(), vec![call_id()]));
    assert_eq!(p.entry.kind, EntryKind::Dialed);
    let p = plan(&DomainEvent::CallEnded(call_event(t(9)))).unwrap();
    assert_eq!((p.entry.kind, p.entry.at), (EntryKind::Ended, t(9)));
    let p = plan(&DomainEvent::PresenceOverridden(presence(
        t(0),
        &["c-1", "c-2"],
    )))
    .unwrap();
    assert_eq!(p.entry.kind, EntryKind::DndOn);
    assert!(matches!(p.target, Target::Calls(_, ref c) if c.len() == 2));
    let p = plan(&DomainEvent::PresenceRestored(presence(t(12), &[]))).unwrap();
    assert_eq!(p.target, Target::HeldBy(agent(), t(12)));
    let n = NotificationEvent {
        version: VERSION,
        call_id: call_id(),
        agent_id: agent(),
        state: "partial".into(),
        detail: "sent 1 of 2".into(),
        at: t(1),
    };
    let p = plan(&DomainEvent::NotificationFailed(n.clone())).unwrap();
    assert_eq!(p.entry.kind, EntryKind::Failed);
    assert_eq!(p.entry.detail.reason, Some(n.state.clone()));
    let p = plan(&DomainEvent::NotificationSent(n)).unwrap();
    assert_eq!(p.entry.kind, EntryKind::Alerted);
    assert!(plan(&DomainEvent::CallerIdCorrected(call_event(t(0)))).is_none());
}

#[test]
fn only_a_lease_release_plans_a_released_entry() {
    let snap = |released: Option<DateTime<Utc>>| LeaseSnapshot {
        lease_id: "l-1".parse().unwrap(),
        agent_id: agent(),
        leased_at: t(0),
        last_dial_at: t(0),
        expires_at: t(70),
        hold_until: t(70),
        active_calls: Vec::new(),
        lease_version: 3,
        released_at: released,
    };
    let change = |before, after| {
        DomainEvent::LeaseChanged(LeaseChanged {
            version: VERSION,
            number: "+14255550100".parse().unwrap(),
            country: Country::US,
            before,
            after,
        })
    };
    let p = plan(&change(Some(snap(None)), Some(snap(Some(t(70)))))).unwrap();
    assert_eq!(p.entry.kind, EntryKind::Released);
    assert_eq!(
        p.target,
        Target::Lease {
            agent: agent(),
            lease: "l-1".parse().unwrap(),
            since: t(0)
        }
    );
    assert!(plan(&change(None, Some(snap(None)))).is_none());
    assert!(plan(&change(Some(snap(Some(t(70)))), Some(snap(Some(t(70)))))).is_none());
}

#[test]
fn the_dialed_entry_carries_the_answer() {
    let mut call = crate::testing::call("c-1", "a-42", t(0));
    call.test = true;
    call.degraded = true;
    call.reason = Some(crate::degraded::DegradedReason::PoolExhausted);
    let e = dialed_entry(&call);
    assert_eq!(e.kind, EntryKind::Dialed);
    assert!(e.detail.test);
    assert_eq!(
        e.detail.degraded,
        Some(crate::degraded::DegradedReason::PoolExhausted)
    );
    assert_eq!(e.detail.caller_id, Some(call.caller_id.clone()));
    assert!(e.detail.location_quality.is_some(), "the country at least");
}

#[test]
fn restored_and_released_find_their_incidents() {
    let mut dialed = entry(0, EntryKind::Dialed);
    dialed.detail.lease_id = Some("l-1".parse().unwrap());
    let i = fold(&[dialed, entry(0, EntryKind::DndOn)]);
    assert!(i.restored_by(&agent(), t(5), t(-240)));
    assert!(
        i.restored_by(&agent(), t(500), t(260)),
        "open: whenever dialed"
    );
    let closed = fold(&[entry(0, EntryKind::Dialed), entry(1, EntryKind::Ended)]);
    assert!(
        closed.restored_by(&agent(), t(5), t(-240)),
        "within the reach"
    );
    assert!(
        !closed.restored_by(&agent(), t(500), t(260)),
        "closed long before"
    );
    assert!(
        !i.restored_by(&agent(), t(-1), t(-240)),
        "dialed after the restore"
    );
    assert!(!i.restored_by(&"a-7".parse().unwrap(), t(5), t(-240)));
    assert!(i.released_by(&agent(), &"l-1".parse().unwrap()));
    assert!(!i.released_by(&agent(), &"l-2".parse().unwrap()));
}

#[test]
fn a_timeline_sorts_by_time_then_by_what_comes_first() {
    let mut t = vec![
        entry(1, EntryKind::Ended),
        entry(0, EntryKind::Alerted),
        entry(0, EntryKind::Dialed),
    ];
    sort_timeline(&mut t);
    let kinds: Vec<EntryKind> = t.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EntryKind::Dialed, EntryKind::Alerted, EntryKind::Ended]
    );
}

#[test]
fn a_restore_read_before_its_dnd_on_still_closes() {
    let i = fold(&[
        entry(0, EntryKind::Dialed),
        entry(10, EntryKind::Ended),
        entry(11, EntryKind::Restored),
        entry(0, EntryKind::DndOn),
    ]);
    assert_eq!((i.state, i.closed_at), (IncidentState::Closed, Some(t(11))));
    // A new override after the restore holds it again.
    let i = fold(&[
        entry(0, EntryKind::Dialed),
        entry(0, EntryKind::DndOn),
        entry(5, EntryKind::Restored),
        entry(6, EntryKind::DndOn),
        entry(10, EntryKind::Ended),
    ]);
    assert!(i.is_open() && i.dnd_held);
}
