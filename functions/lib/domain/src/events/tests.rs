use super::*;
use crate::lease::Lease;
use crate::numbers::Country;
use crate::testing::at as t;
use crate::types::E164;
use std::collections::BTreeSet;

fn call(ended: Option<&str>, notification: Option<&str>) -> CallFacts {
    CallFacts {
        call_id: "c-1".parse().unwrap(),
        agent_id: "a-42".parse().unwrap(),
        dialed_at: t("2026-11-24T05:00:00Z"),
        ended_at: ended.map(t),
        caller_id: Some("+14255550199".parse().unwrap()),
        lease_id: Some("l-1".parse().unwrap()),
        notification: notification.map(|s| {
            (
                s.to_string(),
                "sent 1 of 1".to_string(),
                t("2026-11-24T05:00:02Z"),
            )
        }),
    }
}

fn lease(hold: &str, version: u64, released: bool) -> Lease {
    Lease {
        number: "+14255550199".parse().unwrap(),
        country: Country::US,
        agent: "a-42".parse().unwrap(),
        lease_id: "l-1".parse().unwrap(),
        leased_at: t("2026-11-24T05:00:00Z"),
        last_dial_at: t("2026-11-24T05:00:00Z"),
        expires_at: t("2026-11-24T06:00:00Z"),
        hold_until: t(hold),
        active_calls: BTreeSet::from(["c-1".parse().unwrap()]),
        fallback: vec!["+14255550111".into()],
        version,
        released_at: released.then(|| t("2026-11-24T09:00:00Z")),
    }
}

fn types(events: &[DomainEvent]) -> Vec<&'static str> {
    events.iter().map(DomainEvent::detail_type).collect()
}

#[test]
fn a_record_that_comes_to_name_another_caller_id_is_a_correction_once() {
    let presented = CallFacts {
        caller_id: Some("+14255550100".parse().unwrap()),
        ..call(None, Some("sent"))
    };
    let corrected = ItemChange::Call {
        before: Some(call(None, Some("sent"))),
        after: Some(presented.clone()),
    };
    assert_eq!(
        types(&events_of(&corrected)),
        ["lifeline.call.caller_id_corrected"]
    );
    // The next change of the corrected record is no second correction.
    let ended = ItemChange::Call {
        before: Some(presented.clone()),
        after: Some(CallFacts {
            ended_at: Some(t("2026-11-24T05:10:00Z")),
            ..presented
        }),
    };
    assert_eq!(types(&events_of(&ended)), ["lifeline.call.ended"]);
}

#[test]
fn a_call_record_starts_ends_and_is_notified_once_each() {
    let insert = ItemChange::Call {
        before: None,
        after: Some(call(None, None)),
    };
    assert_eq!(types(&events_of(&insert)), ["lifeline.call.started"]);
    let notified = ItemChange::Call {
        before: Some(call(None, None)),
        after: Some(call(None, Some("sent"))),
    };
    assert_eq!(types(&events_of(&notified)), ["lifeline.notification.sent"]);
    let ended = ItemChange::Call {
        before: Some(call(None, Some("sent"))),
        after: Some(call(Some("2026-11-24T05:10:00Z"), Some("sent"))),
    };
    let e = events_of(&ended);
    assert_eq!(types(&e), ["lifeline.call.ended"]);
    let DomainEvent::CallEnded(c) = &e[0] else {
        panic!()
    };
    assert_eq!(c.at, t("2026-11-24T05:10:00Z"));
    // A later change of an ended call (the e-mail's outcome recorded
    // after the end) is not a second end.
    let late = ItemChange::Call {
        before: Some(call(Some("2026-11-24T05:10:00Z"), None)),
        after: Some(call(Some("2026-11-24T05:10:00Z"), Some("partial"))),
    };
    assert_eq!(types(&events_of(&late)), ["lifeline.notification.failed"]);
    // TTL deletion: nothing.
    let gone = ItemChange::Call {
        before: Some(call(None, None)),
        after: None,
    };
    assert!(events_of(&gone).is_empty());
}

/// A call's events name its record's lease; a degraded call's name none,
/// and their detail has no `leaseId` (what callback-lease goes by).
#[test]
fn call_events_say_whether_the_record_holds_a_lease() {
    let leased = events_of(&ItemChange::Call {
        before: None,
        after: Some(call(None, None)),
    });
    let DomainEvent::CallStarted(c) = &leased[0] else {
        panic!("{leased:?}")
    };
    assert_eq!(c.lease_id.as_ref().map(|l| l.as_str()), Some("l-1"));
    let degraded = CallFacts {
        lease_id: None,
        caller_id: Some("+14255550100".parse().unwrap()),
        ..call(None, None)
    };
    let e = events_of(&ItemChange::Call {
        before: None,
        after: Some(degraded),
    });
    let DomainEvent::CallStarted(c) = &e[0] else {
        panic!("{e:?}")
    };
    assert_eq!(c.lease_id, None);
    let v = serde_json::to_value(&e[0]).unwrap();
    assert!(v["detail"].get("leaseId").is_none(), "{v}");
    assert_eq!(
        serde_json::to_value(&leased[0]).unwrap()["detail"]["leaseId"],
        "l-1"
    );
}

#[test]
fn a_record_written_already_ended_starts_and_ends() {
    let both = ItemChange::Call {
        before: None,
        after: Some(call(Some("2026-11-24T05:00:00Z"), None)),
    };
    assert_eq!(
        types(&events_of(&both)),
        ["lifeline.call.started", "lifeline.call.ended"]
    );
}

#[test]
fn a_lease_changes_only_when_its_lease_does() {
    let number: E164 = "+14255550199".parse().unwrap();
    let change = |before: Option<Lease>, after: Option<Lease>| ItemChange::Number {
        number: number.clone(),
        country: Country::US,
        before,
        after,
    };
    let created = events_of(&change(None, Some(lease("2026-11-24T09:00:00Z", 1, false))));
    assert_eq!(types(&created), ["lifeline.lease.changed"]);
    let same = lease("2026-11-24T09:00:00Z", 1, false);
    assert!(events_of(&change(Some(same.clone()), Some(same))).is_empty());
    let DomainEvent::LeaseChanged(l) = &created[0] else {
        panic!()
    };
    let (before, after) = l.leases();
    assert_eq!(before, None);
    let after = after.unwrap();
    assert_eq!(after.hold_until, t("2026-11-24T09:00:00Z"));
    assert!(
        after.fallback.is_empty(),
        "events carry no fallback numbers"
    );
    assert_eq!(l.after.as_ref().unwrap().active_calls.len(), 1);
}

#[test]
fn presence_overridden_and_restored_on_the_transitions_only() {
    let p = |on: bool, status: &str| PresenceFacts {
        agent_id: "a-42".parse().unwrap(),
        override_active: on,
        status: status.into(),
        reported: "busy".into(),
        active_calls: Vec::new(),
        updated_at: t("2026-11-24T05:00:01Z"),
    };
    let on = ItemChange::Presence {
        before: None,
        after: Some(p(true, "do_not_disturb")),
    };
    assert_eq!(types(&events_of(&on)), ["lifeline.presence.overridden"]);
    let still = ItemChange::Presence {
        before: Some(p(true, "do_not_disturb")),
        after: Some(p(true, "do_not_disturb")),
    };
    assert!(events_of(&still).is_empty());
    let off = ItemChange::Presence {
        before: Some(p(true, "do_not_disturb")),
        after: Some(p(false, "busy")),
    };
    assert_eq!(types(&events_of(&off)), ["lifeline.presence.restored"]);
    let reported = ItemChange::Presence {
        before: Some(p(false, "busy")),
        after: Some(p(false, "away")),
    };
    assert!(events_of(&reported).is_empty());
}

#[test]
fn subjects_name_no_phone_number() {
    let number: E164 = "+14255550199".parse().unwrap();
    let e = events_of(&ItemChange::Number {
        number,
        country: Country::US,
        before: None,
        after: Some(lease("2026-11-24T09:00:00Z", 1, false)),
    });
    assert_eq!(e[0].subject(), "lease l-1");
    assert!(DETAIL_TYPES.contains(&"lifeline.call.started"));
    assert!(!DETAIL_TYPES.contains(&"lifeline.other"));
}

/// One event of each detail-type, in `DETAIL_TYPES`' order (a test below
/// fails until a new one is added here).
fn one_of_each() -> Vec<DomainEvent> {
    let call = CallEvent {
        version: VERSION,
        call_id: "c-1".parse().unwrap(),
        agent_id: "a-42".parse().unwrap(),
        at: t("2026-11-24T05:00:00Z"),
        lease_id: Some("l-1".parse().unwrap()),
    };
    let note = NotificationEvent {
        version: VERSION,
        call_id: "c-1".parse().unwrap(),
        agent_id: "a-42".parse().unwrap(),
        state: "sent".into(),
        detail: "sent 1 of 1".into(),
        at: t("2026-11-24T05:00:02Z"),
    };
    let presence = PresenceEvent {
        version: VERSION,
        agent_id: "a-42".parse().unwrap(),
        status: "do_not_disturb".into(),
        reported: "busy".into(),
        active_calls: vec!["c-1".parse().unwrap()],
        at: t("2026-11-24T05:00:01Z"),
    };
    let incident = super::IncidentEvent {
        version: VERSION,
        call_id: "c-1".parse().unwrap(),
        agent_id: "a-42".parse().unwrap(),
        state: crate::incident::IncidentState::Open,
        drill: false,
        at: t("2026-11-24T05:00:00Z"),
        channel: None,
    };
    let lease = LeaseChanged {
        version: VERSION,
        number: "+14255550199".parse().unwrap(),
        country: Country::US,
        before: None,
        after: Some(LeaseSnapshot::of(&lease("2026-11-24T09:00:00Z", 1, false))),
    };
    vec![
        DomainEvent::CallStarted(call.clone()),
        DomainEvent::CallEnded(call.clone()),
        DomainEvent::CallerIdCorrected(call),
        DomainEvent::LeaseChanged(lease),
        DomainEvent::CallbackRouted(super::CallbackEvent {
            version: VERSION,
            lease_id: "l-1".parse().unwrap(),
            agent_id: "a-42".parse().unwrap(),
            leased_at: t("2026-11-24T05:00:01Z"),
            at: t("2026-11-24T05:12:00Z"),
        }),
        DomainEvent::NotificationSent(note.clone()),
        DomainEvent::NotificationFailed(note),
        DomainEvent::PresenceOverridden(presence.clone()),
        DomainEvent::PresenceRestored(presence),
        DomainEvent::IncidentOpened(incident.clone()),
        DomainEvent::IncidentAcknowledged(incident.clone()),
        DomainEvent::IncidentEscalated(incident.clone()),
        DomainEvent::IncidentClosed(incident),
    ]
}

/// serde writes the detail-type `detail_type()` names and `DETAIL_TYPES`
/// lists (in order), and reads the event back from it.
#[test]
fn the_variant_is_the_detail_type_serde_writes_and_reads() {
    let all = one_of_each();
    let types: Vec<&str> = all.iter().map(DomainEvent::detail_type).collect();
    assert_eq!(types, DETAIL_TYPES);
    for e in &all {
        let v = serde_json::to_value(e).unwrap();
        assert_eq!(v["detail-type"], e.detail_type());
        assert_eq!(v["detail"]["version"], VERSION);
        assert_eq!(v.as_object().map(|o| o.len()), Some(2), "{v}");
        assert_eq!(&serde_json::from_value::<DomainEvent>(v).unwrap(), e);
    }
}
