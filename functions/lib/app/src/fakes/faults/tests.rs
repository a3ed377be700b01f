//! A write that commits after its caller gave up: in the store, though the
//! caller heard only its own timeout.

use std::time::Duration;

use tokio::time::{timeout, Instant};

use crate::fakes::{MemoryStore, WriteOp};
use crate::ports::{DialStore, NotificationOutcome, NotifyProgress, NotifyStore};
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::testing::{at, call};

fn dialed() -> EmergencyCall {
    call("c-1", "a-42", at("2026-11-24T05:00:00Z"))
}

fn ttl() -> chrono::DateTime<chrono::Utc> {
    at("2026-11-25T05:00:00Z")
}

#[tokio::test(start_paused = true)]
async fn a_late_commit_is_in_the_store_although_the_caller_timed_out() {
    let store = MemoryStore::new();
    store.commit_late(WriteOp::CallRecord, Duration::from_secs(10));
    let call = dialed();
    let record = store.record_emergency(&call, ttl(), None);
    assert!(
        timeout(Duration::from_secs(1), record).await.is_err(),
        "the caller stopped waiting"
    );
    let recorded = store.with_state(|s| s.calls.get(&dialed().call_id).cloned());
    assert_eq!(
        recorded,
        Some(dialed()),
        "the write took effect all the same"
    );
    let ctx = store
        .dial_context(&call.call_id, &call.agent_id)
        .await
        .unwrap();
    assert_eq!(ctx.call, Some(call), "and a later read finds it");
}

#[tokio::test(start_paused = true)]
async fn a_caller_that_waits_hears_success_after_the_delay_then_writes_answer_at_once() {
    let store = MemoryStore::new();
    store.commit_late(WriteOp::RecordNotification, Duration::from_secs(3));
    let started = Instant::now();
    let outcome = NotificationOutcome::NoRecipients;
    let now = ttl();
    store
        .record_notification(&dialed().call_id, &outcome, None, now)
        .await
        .unwrap();
    assert_eq!(started.elapsed(), Duration::from_secs(3));
    // Armed once: the next write answers at once.
    let started = Instant::now();
    store
        .record_notification(&dialed().call_id, &outcome, None, now)
        .await
        .unwrap();
    assert_eq!(started.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_late_commit_is_aimed_at_its_kind_of_write_only() {
    let store = MemoryStore::new();
    store.commit_late(WriteOp::LeaseRecord, Duration::from_secs(10));
    // Neither a call record alone nor the e-mail's progress answers late.
    let started = Instant::now();
    store
        .record_emergency(&dialed(), ttl(), None)
        .await
        .unwrap();
    store
        .record_progress(&dialed().call_id, &NotifyProgress::default())
        .await
        .unwrap();
    assert_eq!(started.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_write_refused_by_another_fault_neither_commits_nor_uses_the_late_answer() {
    let store = MemoryStore::new();
    store.commit_late(WriteOp::CallRecord, Duration::from_secs(10));
    store.fail_next_writes(1);
    assert!(store
        .record_emergency(&dialed(), ttl(), None)
        .await
        .is_err());
    assert_eq!(store.with_state(|s| s.calls.len()), 0);
    // The next one that goes through is the late one.
    let call = dialed();
    let record = store.record_emergency(&call, ttl(), None);
    assert!(timeout(Duration::from_secs(1), record).await.is_err());
    assert_eq!(store.with_state(|s| s.calls.len()), 1);
}
