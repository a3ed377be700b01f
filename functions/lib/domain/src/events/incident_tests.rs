//! The incident head's changes → its events.

use chrono::{DateTime, Duration, Utc};

use super::{events_of, DomainEvent, ItemChange};
use crate::incident::{Acknowledgement, Entry, EntryKind, Incident};

fn t(min: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_496_400, 0).unwrap() + Duration::minutes(min)
}

fn head(kinds: &[(i64, EntryKind)]) -> Incident {
    let timeline: Vec<Entry> = kinds
        .iter()
        .map(|(m, k)| Entry::new(t(*m), *k, "x"))
        .collect();
    Incident::fold(
        &"c-1".parse().unwrap(),
        &"a-42".parse().unwrap(),
        None,
        &timeline,
    )
    .unwrap()
}

fn types(before: Option<Incident>, after: Option<Incident>) -> Vec<&'static str> {
    events_of(&ItemChange::Incident {
        before: before.map(Box::new),
        after: after.map(Box::new),
    })
    .iter()
    .map(DomainEvent::detail_type)
    .collect()
}

#[test]
fn a_new_head_is_opened_and_closing_it_is_closed() {
    let open = head(&[(0, EntryKind::Dialed), (0, EntryKind::DndOn)]);
    assert_eq!(
        types(None, Some(open.clone())),
        ["lifeline.incident.opened"]
    );
    assert!(types(Some(open.clone()), Some(open.clone())).is_empty());
    let closed = head(&[
        (0, EntryKind::Dialed),
        (0, EntryKind::DndOn),
        (9, EntryKind::Ended),
        (9, EntryKind::Restored),
    ]);
    assert_eq!(
        types(Some(open), Some(closed.clone())),
        ["lifeline.incident.closed"]
    );
    assert!(types(Some(closed.clone()), Some(closed.clone())).is_empty());
    assert!(types(Some(closed), None).is_empty(), "expired");
}

#[test]
fn the_first_acknowledgement_and_escalation_are_events_once() {
    let open = head(&[(0, EntryKind::Dialed)]);
    let mut acked = head(&[(0, EntryKind::Dialed), (3, EntryKind::Escalated)]);
    acked.acknowledged = Some(Acknowledgement {
        by: "ana@example.com".into(),
        at: t(4),
        channel: "email".into(),
    });
    let events = events_of(&ItemChange::Incident {
        before: Some(Box::new(open)),
        after: Some(Box::new(acked.clone())),
    });
    let json = serde_json::to_string(&events).unwrap();
    assert!(!json.contains("ana@"), "no address in an event: {json}");
    assert_eq!(
        events.iter().map(|e| e.detail_type()).collect::<Vec<_>>(),
        [
            "lifeline.incident.acknowledged",
            "lifeline.incident.escalated"
        ]
    );
    assert!(types(Some(acked.clone()), Some(acked)).is_empty());
}

#[test]
fn an_end_read_before_the_start_opens_and_closes() {
    let closed = head(&[(0, EntryKind::Dialed), (5, EntryKind::Ended)]);
    assert_eq!(
        types(None, Some(closed)),
        ["lifeline.incident.opened", "lifeline.incident.closed"]
    );
}
