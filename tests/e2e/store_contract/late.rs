//! Writes that commit after their caller gave up (DynamoDB's answer lost or
//! late; the fake's `commit_late`): the caller hears nothing, and its retry
//! or re-read finds the committed state and leaves it right.

use lifeline_app::ports::{EndError, RecordError, RemoveError, SaveError};
use lifeline_domain::presence::{PresencePolicy, PresenceState};
use std::fmt::Debug;
use std::future::Future;

use super::fixtures::*;
use super::{Late, Side};

/// Runs `write` as a caller that waits `side.give_up()` at most, and checks
/// that it heard no success (nothing in time, or a timeout error).
async fn gives_up<S: Side, T: Debug, E: Debug>(
    side: &S,
    write: impl Future<Output = Result<T, E>>,
) {
    let heard = tokio::time::timeout(side.give_up(), write).await.ok();
    assert!(
        !matches!(heard, Some(Ok(_))),
        "the late write answered in time: {heard:?}"
    );
}

pub async fn a_late_dial_then_its_retry_returns_the_recorded_call<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1, N2]).await;
    let d = claim("c-1", A42, N1, t(0), None);
    let late = side.late(Late::Dial);
    gives_up(side, late.record_emergency(&d.call, ttl(), Some(&d.write))).await;

    // The retried webhook reads the call: it answers from the record.
    let ctx = s.dial_context(&id("c-1"), &id(A42)).await.expect("context");
    assert_eq!(ctx.call, Some(d.call.clone()));
    assert_eq!(ctx.lease, Some(d.lease.clone()));
    // A retry that writes again, even claiming another number: refused
    // with the recorded call, no second lease.
    for retry in [d.clone(), claim("c-1", A42, N2, t(1), None)] {
        match s
            .record_emergency(&retry.call, ttl(), Some(&retry.write))
            .await
        {
            Err(RecordError::CallExists(Some(stored))) => assert_eq!(*stored, d.call),
            other => panic!("the retry finds the recorded call: {other:?}"),
        }
    }
    assert_eq!(lease_on(s, N1).await, Some(d.lease.clone()));
    assert_eq!(pointer(s, A42).await, Some(d.lease));
    assert_eq!(
        pool_states(s, t(1)).await,
        states(&[(N1, "leased"), (N2, "free")])
    );
}

pub async fn a_late_call_record_then_its_retry_returns_it<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[]).await;
    let own = own_number_call("c-1", A42, t(0));
    let late = side.late(Late::CallRecord);
    gives_up(side, late.record_call(&own, ttl())).await;
    match s.record_call(&own, ttl()).await {
        Err(RecordError::CallExists(Some(stored))) => assert_eq!(*stored, own),
        other => panic!("the retry finds the record: {other:?}"),
    }
    assert_eq!(record(s, "c-1").await, Some(own));
}

pub async fn a_late_end_then_its_retry_finds_the_call_ended<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1]).await;
    let d = claim("c-1", A42, N1, t(0), None);
    dialed(s, &d).await;
    let (ended, write) = end_of(&d.lease, "c-1", t(10));
    let late = side.late(Late::End);
    gives_up(
        side,
        late.record_end(&id("c-1"), t(10), ttl(), Some(&write)),
    )
    .await;
    let r = s.record_end(&id("c-1"), t(10), ttl(), Some(&write)).await;
    assert!(matches!(r, Err(EndError::AlreadyEnded)), "{r:?}");
    let (call, lease) = s.end_context(&id("c-1"), &id(A42)).await.expect("read");
    assert_eq!(call.and_then(|c| c.ended_at), Some(t(10)));
    assert_eq!(lease, Some(ended.clone()));
    assert_eq!(lease_on(s, N1).await, Some(ended));
}

pub async fn a_late_release_then_its_retry_releases_nothing_more<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1]).await;
    let d = claim("c-1", A42, N1, t(0), None);
    dialed(s, &d).await;
    let ended = ended(s, &d.lease, "c-1", t(10)).await;
    let late = side.late(Late::Release);
    gives_up(side, late.release(&expiry(&ended), t(70))).await;
    // The retry (the schedule's target retried) finds it released.
    assert!(!s.release(&expiry(&ended), t(71)).await.expect("retry"));
    assert_eq!(
        lease_on(s, N1).await.and_then(|l| l.released_at),
        Some(t(70))
    );
}

pub async fn a_late_presence_save_then_its_retry_conflicts<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[]).await;
    let mut started = PresenceState::default();
    assert!(started.start(&id("c-1"), t(0)));
    let view = PresencePolicy::default().view(&started, t(0));
    let late = side.late(Late::SavePresence);
    gives_up(side, late.save_presence(&id(A42), &started, view, t(0))).await;
    let r = s.save_presence(&id(A42), &started, view, t(0)).await;
    assert!(matches!(r, Err(SaveError::Conflict)), "{r:?}");
    // Read again: the start is there, applying it again changes nothing.
    let (_, stored) = s.agent_presence(&id(A42)).await.expect("read");
    let mut stored = stored.expect("saved");
    assert_eq!(
        stored,
        PresenceState {
            version: 1,
            ..started
        }
    );
    assert!(!stored.start(&id("c-1"), t(0)));
}

pub async fn a_late_removal_then_its_retry_finds_no_number<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1, N2]).await;
    let late = side.late(Late::RemoveNumber);
    gives_up(side, late.remove_number(&e164(N1), t(0))).await;
    match s.remove_number(&e164(N1), t(0)).await {
        Err(RemoveError::Unknown(n)) => assert_eq!(n, N1),
        other => panic!("the retry finds it gone: {other:?}"),
    }
    assert_eq!(pool_states(s, t(0)).await, states(&[(N2, "free")]));
}

pub async fn a_late_extension_then_its_retry_extends_once<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1]).await;
    let first = claim("c-1", A42, N1, t(0), None);
    dialed(s, &first).await;
    let second = extend(&first.lease, "c-2", t(5));
    let late = side.late(Late::Dial);
    gives_up(
        side,
        late.record_emergency(&second.call, ttl(), Some(&second.write)),
    )
    .await;
    // The retry (the same write, over the version it read) finds the call:
    // the lease is extended once, at version 2.
    match s
        .record_emergency(&second.call, ttl(), Some(&second.write))
        .await
    {
        Err(RecordError::CallExists(Some(stored))) => assert_eq!(*stored, second.call),
        other => panic!("the retry finds the recorded call: {other:?}"),
    }
    assert_eq!(lease_on(s, N1).await, Some(second.lease.clone()));
    assert_eq!(pointer(s, A42).await, Some(second.lease));
}
