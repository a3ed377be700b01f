//! A call's end (once, with its lease change, or nothing) and the lease's
//! release when its schedule fires (the same lease, past its hold, once).

use lifeline_app::ports::EndError;

use super::fixtures::*;
use super::Side;

pub async fn a_call_ends_once_with_its_lease<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1]).await;
    let d = claim("c-1", A42, N1, t(0), None);
    dialed(s, &d).await;
    let (call, lease) = s.end_context(&id("c-1"), &id(A42)).await.expect("read");
    assert_eq!((call, lease), (Some(d.call.clone()), Some(d.lease.clone())));

    let ended = ended(s, &d.lease, "c-1", t(10)).await;
    let (call, lease) = s.end_context(&id("c-1"), &id(A42)).await.expect("read");
    assert_eq!(call.and_then(|c| c.ended_at), Some(t(10)));
    assert_eq!(lease.as_ref(), Some(&ended));
    assert!(ended.active_calls.is_empty());
    assert_eq!(lease_on(s, N1).await, Some(ended.clone()));

    // The end again (a retried webhook), even with a lease change that
    // would apply: refused whole, the lease as it was.
    let (_, again) = end_of(&d.lease, "c-1", t(20));
    let r = s.record_end(&id("c-1"), t(20), ttl(), None).await;
    assert!(matches!(r, Err(EndError::AlreadyEnded)), "{r:?}");
    let mut next = ended.clone();
    next.expires_at = t(90);
    next.hold_until = t(90);
    let later = lifeline_app::ports::LeaseWrite::Update {
        available_at: policy().available_at(&next),
        lease: lifeline_domain::lease::Lease {
            version: ended.version + 1,
            ..next
        },
        expected_version: ended.version,
    };
    for w in [&again, &later] {
        let r = s.record_end(&id("c-1"), t(20), ttl(), Some(w)).await;
        assert!(matches!(r, Err(EndError::AlreadyEnded)), "{r:?}");
    }
    assert_eq!(record(s, "c-1").await.and_then(|c| c.ended_at), Some(t(10)));
    assert_eq!(lease_on(s, N1).await, Some(ended));
}

pub async fn the_end_of_an_unknown_call_changes_nothing<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1]).await;
    let d = claim("c-1", A42, N1, t(0), None);
    dialed(s, &d).await;
    let r = s.record_end(&id("c-404"), t(10), ttl(), None).await;
    assert!(matches!(r, Err(EndError::AlreadyEnded)), "{r:?}");
    // Even with a lease change that would apply.
    let (_, write) = end_of(&d.lease, "c-1", t(10));
    let r = s.record_end(&id("c-404"), t(10), ttl(), Some(&write)).await;
    assert!(matches!(r, Err(EndError::AlreadyEnded)), "{r:?}");
    let (call, lease) = s.end_context(&id("c-404"), &id(A42)).await.expect("read");
    assert_eq!((call, lease), (None, Some(d.lease.clone())));
    assert_eq!(record(s, "c-1").await, Some(d.call));
    assert_eq!(lease_on(s, N1).await, Some(d.lease));
}

pub async fn an_end_over_a_stale_lease_changes_nothing<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1]).await;
    let first = claim("c-1", A42, N1, t(0), None);
    dialed(s, &first).await;
    let second = extend(&first.lease, "c-2", t(5));
    dialed(s, &second).await;
    // An end computed from the lease before c-2: refused, the call not ended.
    let (_, stale) = end_of(&first.lease, "c-1", t(10));
    let r = s.record_end(&id("c-1"), t(10), ttl(), Some(&stale)).await;
    assert!(matches!(r, Err(EndError::LeaseChanged)), "{r:?}");
    assert_eq!(record(s, "c-1").await.and_then(|c| c.ended_at), None);
    assert_eq!(lease_on(s, N1).await, Some(second.lease.clone()));
    // Read again, ended again: it goes through.
    let ended = ended(s, &second.lease, "c-1", t(11)).await;
    assert_eq!(pointer(s, A42).await, Some(ended));
}

pub async fn a_release_takes_only_the_same_lease_past_its_hold<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1]).await;
    let d = claim("c-1", A42, N1, t(0), None);
    dialed(s, &d).await;
    let ended = ended(s, &d.lease, "c-1", t(10)).await;
    let fired = expiry(&ended);

    // Early (a schedule fires within its minute, possibly before the hold).
    assert!(!s.release(&fired, t(69)).await.expect("release"));
    assert_eq!(lease_on(s, N1).await.and_then(|l| l.released_at), None);
    // Another lease's schedule, and a number not in any pool.
    let mut other = fired.clone();
    other.lease_id = "l-other".into();
    assert!(!s.release(&other, t(80)).await.expect("release"));
    let mut nowhere = fired.clone();
    nowhere.number = N3.into();
    assert!(!s.release(&nowhere, t(80)).await.expect("release"));
    assert_eq!(lease_on(s, N1).await.and_then(|l| l.released_at), None);

    // The schedule made at version 1 still releases it: a release goes by
    // identity and hold.
    let scheduled_early = expiry(&d.lease);
    assert!(s.release(&scheduled_early, t(70)).await.expect("release"));
    let released = lease_on(s, N1)
        .await
        .expect("the lease stays on the number");
    assert_eq!(
        released,
        lifeline_domain::lease::Lease {
            released_at: Some(t(70)),
            ..ended.clone()
        }
    );
    // A duplicate firing changes nothing.
    assert!(!s.release(&fired, t(75)).await.expect("release"));
    assert_eq!(lease_on(s, N1).await, Some(released));
    // Released, still in quarantine until t(130).
    assert_eq!(pool_states(s, t(80)).await, states(&[(N1, "quarantined")]));
    assert_eq!(pool_states(s, t(130)).await, states(&[(N1, "free")]));
}

pub async fn a_release_never_touches_the_next_lease<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1]).await;
    let d = claim("c-1", A42, N1, t(0), None);
    dialed(s, &d).await;
    let ended = ended(s, &d.lease, "c-1", t(10)).await;
    assert!(s.release(&expiry(&ended), t(70)).await.expect("release"));
    // Out of quarantine, a-43 gets it; the old schedule fires late.
    let next = claim("c-2", A43, N1, t(130), None);
    dialed(s, &next).await;
    assert!(!s.release(&expiry(&ended), t(400)).await.expect("release"));
    assert_eq!(lease_on(s, N1).await, Some(next.lease.clone()));
    assert_eq!(pointer(s, A43).await, Some(next.lease));
}
