//! The dial's time budget (reads and writes slower than it allows) and the
//! outbox that keeps a call the table cannot take.

use super::*;
use std::time::Duration;

/// A read slower than the budget allows: the dial stops waiting in time
/// to record the call (degraded, `timeout`), inside its budget.
#[tokio::test(start_paused = true)]
async fn a_read_that_outlasts_the_budget_still_leaves_a_record() {
    let (svc, store, metrics) = service(&["+14255550199"]);
    store.delay_reads(Duration::from_secs(30));
    let started = tokio::time::Instant::now();
    let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        (v["reason"].as_str(), v["callerId"].as_str()),
        (Some("timeout"), Some("+14255550100"))
    );
    assert_eq!(
        recorded(&store),
        Some(("+14255550100".into(), None, Some("timeout".into())))
    );
    assert!(metrics.values("UnrecordedEmergencyCalls").is_empty());
}

/// Slow reads that still leave the settling record's share and a
/// little for the write: the write gets what is left, and the number.
#[tokio::test(start_paused = true)]
async fn slow_reads_shorten_the_lease_writes_share() {
    let (svc, store, _) = service(&["+14255550199"]);
    store.delay_reads(Duration::from_millis(1200));
    let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
    assert_eq!(
        (v["degraded"].as_bool(), v["callerId"].as_str()),
        (Some(false), Some("+14255550199")),
        "{v}"
    );
}

/// A read that leaves too little for a write and the record that
/// settles it: no lease write is started (its outcome could not be
/// settled), the call is recorded with the own number.
#[tokio::test(start_paused = true)]
async fn no_lease_write_starts_without_time_to_settle_it() {
    let (svc, store, _) = service(&["+14255550199"]);
    store.delay_reads(Duration::from_millis(1500));
    let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
    assert_eq!(v["reason"], "timeout");
    assert_eq!(
        recorded(&store),
        Some(("+14255550100".into(), None, Some("timeout".into())))
    );
    assert!(
        store.with_state(|s| s.pointers.is_empty()),
        "no lease taken"
    );
}

/// A lease write that commits but answers after the dial stopped waiting:
/// the record that follows finds it, and the answer is its number.
#[tokio::test(start_paused = true)]
async fn a_late_answered_commit_is_the_answer() {
    let (svc, store, _) = service(&["+14255550199"]);
    store.answer_late(1, Duration::from_secs(10));
    let started = tokio::time::Instant::now();
    let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
    assert!(started.elapsed() < Duration::from_millis(2500));
    assert_eq!(
        (v["callerId"].as_str(), v["degraded"].as_bool()),
        (Some("+14255550199"), Some(false))
    );
    assert_eq!(
        recorded(&store),
        Some(("+14255550199".into(), Some("+14255550199".into()), None))
    );
}

/// A lease write still in flight when the dial stops waiting for it: the
/// call's record goes first, so the number is neither announced nor held.
#[tokio::test(start_paused = true)]
async fn an_unanswered_lease_write_presents_and_records_the_own_number() {
    let (svc, store, _) = service(&["+14255550199"]);
    // Slower than the write's share of the budget.
    store.delay_lease_writes(Duration::from_secs(2));
    let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
    assert_eq!(
        (v["callerId"].as_str(), v["reason"].as_str()),
        (Some("+14255550100"), Some("timeout"))
    );
    assert_eq!(
        recorded(&store),
        Some(("+14255550100".into(), None, Some("timeout".into())))
    );
    assert!(
        store.with_state(|s| s.pointers.is_empty()),
        "the number is not held"
    );
}

/// When not even the record can be written in time, the answer still
/// comes within the budget, and the loss is counted for an alarm.
#[tokio::test(start_paused = true)]
async fn an_unwritable_record_is_counted() {
    let (svc, store, metrics) = service(&["+14255550199"]);
    store.delay_reads(Duration::from_secs(30));
    store.delay_writes(Duration::from_secs(30));
    let started = tokio::time::Instant::now();
    let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
    assert!(started.elapsed() <= Duration::from_millis(2500));
    assert_eq!(v["callerId"], "+14255550100");
    assert_eq!(recorded(&store), None);
    assert_eq!(metrics.values("UnrecordedEmergencyCalls"), vec![1.0]);
}

/// The table takes nothing: the call goes to the outbox as answered, and
/// its consumer records it once the table is back (presence and e-mail
/// then follow from the record).
#[tokio::test(start_paused = true)]
async fn a_call_the_table_cannot_take_goes_to_the_outbox_and_is_recorded_later() {
    use crate::fakes::MemoryCallOutbox;
    use crate::service::outbox::{OutboxService, Recorded};
    let (svc, store, metrics) = service(&["+14255550199"]);
    let outbox = Arc::new(MemoryCallOutbox::default());
    let svc = svc.with_outbox(outbox.clone());
    store.set_failing(true);
    let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
    assert_eq!(
        (v["reason"].as_str(), v["callerId"].as_str()),
        (Some("store_unavailable"), Some("+14255550100"))
    );
    let kept = outbox.sent();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].caller_id.as_str(), "+14255550100", "as answered");
    assert_eq!(metrics.values("OutboxedEmergencyCalls"), vec![1.0]);
    assert!(metrics.values("UnrecordedEmergencyCalls").is_empty());

    let consumer = OutboxService::new(
        store.clone(),
        Arc::new(FixedClock::at(t0())),
        Arc::new(Settings::from_lookup(|_| None).unwrap()),
    );
    assert!(
        consumer.record(&kept[0], t0()).await.is_err(),
        "still down: retried later"
    );
    store.set_failing(false);
    assert_eq!(
        consumer.record(&kept[0], t0()).await.unwrap(),
        Recorded::Now
    );
    assert_eq!(
        recorded(&store),
        Some((
            "+14255550100".into(),
            None,
            Some("store_unavailable".into())
        ))
    );
    // A redelivered message changes nothing.
    assert_eq!(
        consumer.record(&kept[0], t0()).await.unwrap(),
        Recorded::Already
    );
}

/// A write that times out keeps the outbox's share of the budget.
#[tokio::test(start_paused = true)]
async fn a_hanging_table_leaves_time_for_the_outbox() {
    use crate::fakes::MemoryCallOutbox;
    let (svc, store, metrics) = service(&["+14255550199"]);
    let outbox = Arc::new(MemoryCallOutbox::default());
    let svc = svc.with_outbox(outbox.clone());
    store.delay_reads(Duration::from_secs(30));
    store.delay_writes(Duration::from_secs(30));
    let started = tokio::time::Instant::now();
    let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
    assert!(started.elapsed() < Duration::from_millis(2500));
    assert_eq!(v["reason"], "timeout");
    assert_eq!(outbox.sent().len(), 1);
    assert!(metrics.values("UnrecordedEmergencyCalls").is_empty());
    assert_eq!(metrics.values("DegradedEmergencyAnswers"), vec![1.0]);
}

/// Table and outbox both down: the answer still comes, and the loss is
/// counted for the alarm.
#[tokio::test]
async fn with_the_outbox_down_too_the_loss_is_counted() {
    use crate::fakes::MemoryCallOutbox;
    let (svc, store, metrics) = service(&["+14255550199"]);
    let outbox = Arc::new(MemoryCallOutbox::default());
    outbox.set_failing(true);
    let svc = svc.with_outbox(outbox.clone());
    store.set_failing(true);
    let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
    assert_eq!(v["callerId"], "+14255550100");
    assert_eq!(metrics.values("UnrecordedEmergencyCalls"), vec![1.0]);
    assert!(metrics.values("OutboxedEmergencyCalls").is_empty());
}

/// The race the outbox settles: the lease write is sent, the dial gives up
/// on it and answers with the own number (its record write failing too, the
/// call goes to the outbox), and then the lease write lands. The consumer
/// makes everything agree with the answer: the record names the own number
/// and no lease, the number and the agent's pointer are free again (no PSAP
/// saw the number), and the caller ID's change is the one that sends the
/// correction e-mail.
#[tokio::test(start_paused = true)]
async fn a_lease_write_that_lands_after_the_dial_gave_up_is_settled_completely() {
    use crate::fakes::MemoryCallOutbox;
    use crate::service::outbox::{OutboxService, Recorded};
    use lifeline_domain::call::EmergencyCall;
    use lifeline_domain::events::{events_of, CallFacts, DomainEvent, ItemChange};
    let (svc, store, _) = service(&["+14255550199"]);
    let outbox = Arc::new(MemoryCallOutbox::default());
    let svc = svc.with_outbox(outbox.clone());
    store.hold_next_lease_writes(1);
    store.fail_next_writes(1);
    let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
    assert_eq!(
        (v["reason"].as_str(), v["callerId"].as_str()),
        (Some("timeout"), Some("+14255550100"))
    );
    let kept = outbox.sent();
    assert_eq!(kept.len(), 1, "in the outbox, as answered");

    // The lease write lands after all: the call says the number no PSAP saw.
    assert_eq!(store.land_held(), 1);
    let number: E164 = "+14255550199".parse().unwrap();
    let agent: lifeline_domain::types::AgentId = "a-42".parse().unwrap();
    let landed = store.with_state(|s| s.calls[&"c-1".parse().unwrap()].clone());
    assert_eq!(landed.caller_id, number);
    assert!(store.with_state(|s| s.pointers.contains_key(&agent)));

    let consumer = OutboxService::new(
        store.clone(),
        Arc::new(FixedClock::at(t0() + chrono::Duration::seconds(5))),
        Arc::new(Settings::from_lookup(|_| None).unwrap()),
    );
    assert_eq!(
        consumer.record(&kept[0], t0()).await.unwrap(),
        Recorded::Settled
    );
    let later = t0() + chrono::Duration::seconds(5);
    let (freed, pointer) =
        store.with_state(|s| (s.numbers[&number].clone(), s.pointers.get(&agent).cloned()));
    assert!(
        freed
            .lease
            .as_ref()
            .is_some_and(|l| l.released_at == Some(later)),
        "released at once, no quarantine: {freed:?}"
    );
    assert_eq!(freed.available_at, later);
    assert!(
        pointer.is_some_and(|l| !l.is_live(later)),
        "the agent holds no number"
    );
    let settled = store.with_state(|s| s.calls[&"c-1".parse().unwrap()].clone());
    assert_eq!(
        (
            settled.caller_id.as_str(),
            settled.leased_number.as_ref(),
            settled.lease_id.as_ref()
        ),
        ("+14255550100", None, None)
    );
    // The change the stream carries is a caller-ID correction (the e-mail's).
    let facts = |c: &EmergencyCall| CallFacts {
        call_id: c.call_id.clone(),
        agent_id: c.agent_id.clone(),
        dialed_at: c.dialed_at,
        ended_at: c.ended_at,
        caller_id: Some(c.caller_id.clone()),
        lease_id: c.lease_id.clone(),
        notification: None,
    };
    let change = ItemChange::Call {
        before: Some(facts(&landed)),
        after: Some(facts(&settled)),
    };
    assert!(events_of(&change)
        .iter()
        .any(|e| matches!(e, DomainEvent::CallerIdCorrected(_))));
    // The number is free for anyone's next dial: no PSAP has it.
    let other = DialService::new(
        store.clone(),
        Arc::new(FixedClock::at(later)),
        Arc::new(Settings::from_lookup(|_| None).unwrap()),
    );
    let next = serde_json::to_value(
        other
            .dial(dial_by("c-2", "a-43", "911", "+14255550101"))
            .await,
    )
    .unwrap();
    assert_eq!(next["callerId"], "+14255550199", "{next}");
    // Redelivered: as answered already.
    assert_eq!(
        consumer.record(&kept[0], t0()).await.unwrap(),
        Recorded::Already
    );
}
