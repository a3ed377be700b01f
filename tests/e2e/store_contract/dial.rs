//! The emergency dial's one transaction (the call and the lease, or
//! neither), its idempotency on `callId`, and the pool listing it reads.

use lifeline_app::ports::{PoolCursor, RecordError};
use lifeline_domain::numbers::Country;
use std::collections::BTreeSet;

use super::fixtures::*;
use super::Side;

/// The write was refused as `CallExists` with `expected` as the stored record.
fn refused_with_record(
    r: Result<(), RecordError>,
    expected: &lifeline_domain::call::EmergencyCall,
) {
    match r {
        Err(RecordError::CallExists(Some(stored))) => assert_eq!(*stored, *expected),
        other => panic!("refused with the stored record: {other:?}"),
    }
}

pub async fn a_dial_records_the_call_and_claims_the_number<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1, N2]).await;
    let d = claim("c-1", A42, N1, t(0), None);
    dialed(s, &d).await;

    let ctx = s.dial_context(&id("c-1"), &id(A42)).await.expect("context");
    assert_eq!(ctx.call.as_ref(), Some(&d.call));
    assert_eq!(ctx.lease.as_ref(), Some(&d.lease));
    assert_eq!(ctx.agent, Some(agent(A42)));
    assert!(ctx.unreadable.is_empty(), "{:?}", ctx.unreadable);
    assert_eq!(lease_on(s, N1).await, Some(d.lease.clone()));
    assert_eq!(lease_on(s, N2).await, None);
    let page = s
        .available_numbers(Country::US, t(1), 10, None)
        .await
        .expect("listing");
    assert_eq!(
        page.numbers,
        vec![e164(N2)],
        "the leased number is not listed"
    );
    let pool = s.list_pool(Some(Country::US), t(1)).await.expect("pool");
    assert_eq!(pool[0].leased_to.as_deref(), Some(A42));
    assert_eq!(
        pool_states(s, t(1)).await,
        states(&[(N1, "leased"), (N2, "free")])
    );
}

pub async fn a_repeated_dial_is_refused_with_the_stored_record<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1, N2]).await;
    let d = claim("c-1", A42, N1, t(0), None);
    dialed(s, &d).await;
    // The same webhook again, the same write: nothing changes.
    refused_with_record(
        s.record_emergency(&d.call, ttl(), Some(&d.write)).await,
        &d.call,
    );
    // A retry that found no number the first time (it claims another one,
    // or records the call alone): refused on the call before the lease.
    let other = claim("c-1", A42, N2, t(1), None);
    refused_with_record(
        s.record_emergency(&other.call, ttl(), Some(&other.write))
            .await,
        &d.call,
    );
    let own = own_number_call("c-1", A42, t(1));
    refused_with_record(s.record_emergency(&own, ttl(), None).await, &d.call);
    assert_eq!(lease_on(s, N1).await, Some(d.lease.clone()));
    assert_eq!(lease_on(s, N2).await, None, "no second lease");
    assert_eq!(pointer(s, A42).await, Some(d.lease));
}

pub async fn another_agents_dial_under_a_live_call_id_is_refused<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1, N2]).await;
    let d = claim("c-1", A42, N1, t(0), None);
    dialed(s, &d).await;
    let theirs = claim("c-1", A43, N2, t(1), None);
    refused_with_record(
        s.record_emergency(&theirs.call, ttl(), Some(&theirs.write))
            .await,
        &d.call,
    );
    assert_eq!(lease_on(s, N2).await, None);
    assert_eq!(pointer(s, A43).await, None, "a-43 holds nothing");
    assert_eq!(record(s, "c-1").await, Some(d.call));
}

pub async fn a_claimed_number_is_refused_to_another_lease<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1]).await;
    let first = claim("c-1", A42, N1, t(0), None);
    dialed(s, &first).await;
    let second = claim("c-2", A43, N1, t(1), None);
    let r = s
        .record_emergency(&second.call, ttl(), Some(&second.write))
        .await;
    assert!(matches!(r, Err(RecordError::NumberTaken)), "{r:?}");
    // All or nothing: no record of c-2, no pointer for a-43.
    assert_eq!(record(s, "c-2").await, None);
    assert_eq!(pointer(s, A43).await, None);
    assert_eq!(lease_on(s, N1).await, Some(first.lease));
    // Leased, it is still in the pool, and not available.
    assert!(s.has_pool(Country::US).await.expect("has pool"));
    let page = s
        .available_numbers(Country::US, t(1), 10, None)
        .await
        .expect("listing");
    assert_eq!((page.numbers, page.next), (vec![], None));
}

pub async fn a_claim_over_a_stale_pointer_is_refused_with_the_pointer<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1, N2]).await;
    let first = claim("c-1", A42, N1, t(0), None);
    dialed(s, &first).await;
    // A dial that read no pointer (or another version): the pointer as it is comes back.
    for read in [None, Some(7)] {
        let stale = claim("c-2", A42, N2, t(1), read);
        match s
            .record_emergency(&stale.call, ttl(), Some(&stale.write))
            .await
        {
            Err(RecordError::LeaseChanged(Some(current))) => assert_eq!(*current, first.lease),
            other => panic!("pointer read as {read:?}: {other:?}"),
        }
    }
    // A pointer expected where there is none: refused, nothing to return.
    let none = claim("c-3", A43, N2, t(1), Some(1));
    let r = s
        .record_emergency(&none.call, ttl(), Some(&none.write))
        .await;
    assert!(matches!(r, Err(RecordError::LeaseChanged(None))), "{r:?}");
    for c in ["c-2", "c-3"] {
        assert_eq!(record(s, c).await, None, "{c} is not recorded");
    }
    assert_eq!(lease_on(s, N2).await, None);
    assert_eq!(pointer(s, A42).await, Some(first.lease));
}

pub async fn a_number_outside_the_pool_is_refused<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1, GB1]).await;
    // Not in any pool.
    let unknown = claim("c-1", A42, N3, t(0), None);
    let r = s
        .record_emergency(&unknown.call, ttl(), Some(&unknown.write))
        .await;
    assert!(matches!(r, Err(RecordError::NumberTaken)), "{r:?}");
    // In another country's pool than the lease says.
    let mut wrong = claim("c-2", A42, GB1, t(0), None);
    if let lifeline_app::ports::LeaseWrite::Claim { lease, .. } = &mut wrong.write {
        lease.country = Country::US;
    }
    let r = s
        .record_emergency(&wrong.call, ttl(), Some(&wrong.write))
        .await;
    assert!(matches!(r, Err(RecordError::NumberTaken)), "{r:?}");
    assert_eq!(record(s, "c-1").await, None);
    assert_eq!(record(s, "c-2").await, None);
    assert_eq!(lease_on(s, GB1).await, None);
    assert_eq!(pointer(s, A42).await, None);
}

pub async fn a_held_lease_is_extended_only_over_the_version_read<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1]).await;
    let first = claim("c-1", A42, N1, t(0), None);
    dialed(s, &first).await;
    let second = extend(&first.lease, "c-2", t(5));
    dialed(s, &second).await;
    assert_eq!(second.lease.version, 2);
    assert_eq!(lease_on(s, N1).await, Some(second.lease.clone()));
    assert_eq!(pointer(s, A42).await, Some(second.lease.clone()));

    // Over version 1 again (a dial that read before c-2's): the pointer comes back.
    let stale = extend(&first.lease, "c-3", t(6));
    match s
        .record_emergency(&stale.call, ttl(), Some(&stale.write))
        .await
    {
        Err(RecordError::LeaseChanged(Some(current))) => assert_eq!(*current, second.lease),
        other => panic!("stale extension: {other:?}"),
    }
    // Another agent changing a-42's lease: their own pointer is missing.
    let mut theirs = extend(&second.lease, "c-4", t(7));
    if let lifeline_app::ports::LeaseWrite::Update { lease, .. } = &mut theirs.write {
        lease.agent = id(A43);
    }
    let r = s
        .record_emergency(&theirs.call, ttl(), Some(&theirs.write))
        .await;
    assert!(matches!(r, Err(RecordError::LeaseChanged(None))), "{r:?}");
    assert_eq!(record(s, "c-3").await, None);
    assert_eq!(record(s, "c-4").await, None);
    assert_eq!(lease_on(s, N1).await, Some(second.lease));
}

pub async fn a_returning_agent_gets_their_number_back_through_quarantine<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1]).await;
    let first = claim("c-1", A42, N1, t(0), None);
    dialed(s, &first).await;
    let ended = ended(s, &first.lease, "c-1", t(10)).await;
    // Held until t(70), in quarantine until t(130).
    assert_eq!(ended.hold_until, t(70));
    assert_eq!(policy().available_at(&ended), t(130));

    // Within the hold, nobody claims it (a new lease would replace a live one).
    let early = claim("c-2", A42, N1, t(60), Some(ended.version));
    let r = s
        .record_emergency(&early.call, ttl(), Some(&early.write))
        .await;
    assert!(matches!(r, Err(RecordError::NumberTaken)), "{r:?}");
    // In quarantine: refused to a stranger, given back to its last holder.
    let stranger = claim("c-3", A43, N1, t(80), None);
    let r = s
        .record_emergency(&stranger.call, ttl(), Some(&stranger.write))
        .await;
    assert!(matches!(r, Err(RecordError::NumberTaken)), "{r:?}");
    let back = claim("c-4", A42, N1, t(80), Some(ended.version));
    dialed(s, &back).await;
    assert_eq!(lease_on(s, N1).await, Some(back.lease.clone()));
    assert_eq!(pointer(s, A42).await, Some(back.lease));
    assert_eq!(pointer(s, A43).await, None);
    assert_eq!(record(s, "c-2").await, None);
    assert_eq!(record(s, "c-3").await, None);
}

pub async fn the_pool_listing_pages_through_each_number_once<S: Side>(side: &S) {
    let s = side.store();
    let older = "+14255550193";
    seeded(s, &[N1, N2, N3]).await;
    s.add_numbers(Country::US, &[e164(older)], t(-120))
        .await
        .expect("an older number");
    s.add_numbers(Country::GB, &[e164(GB1)], t(-60))
        .await
        .expect("GB");
    assert!(s.has_pool(Country::US).await.expect("has pool"));
    assert!(!s.has_pool(Country::DK).await.expect("has pool"));
    // Least recently released first; ties listed once each, page by page.
    let mut seen = Vec::new();
    let mut after: Option<PoolCursor> = None;
    for _ in 0..10 {
        let page = s
            .available_numbers(Country::US, t(0), 2, after.as_ref())
            .await
            .expect("page");
        assert!(page.numbers.len() <= 2);
        seen.extend(page.numbers);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.first(), Some(&e164(older)), "{seen:?}");
    let unique: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "listed twice: {seen:?}");
    let all: BTreeSet<_> = [older, N1, N2, N3].into_iter().map(e164).collect();
    assert_eq!(unique, all);
    // Before they were added, only the older one is available.
    let page = s
        .available_numbers(Country::US, t(-90), 10, None)
        .await
        .expect("page");
    assert_eq!(page.numbers, vec![e164(older)]);
}

pub async fn an_extension_after_the_number_moved_on_is_refused<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1]).await;
    let first = claim("c-1", A42, N1, t(0), None);
    dialed(s, &first).await;
    let ended = ended(s, &first.lease, "c-1", t(10)).await;
    // Out of quarantine, a-43 gets the number; a-42's pointer still shows
    // the old lease, and an extension of it must not take the number back.
    let next = claim("c-2", A43, N1, t(130), None);
    dialed(s, &next).await;
    let stale = extend(&ended, "c-3", t(131));
    let r = s
        .record_emergency(&stale.call, ttl(), Some(&stale.write))
        .await;
    assert!(matches!(r, Err(RecordError::LeaseChanged(None))), "{r:?}");
    assert_eq!(record(s, "c-3").await, None);
    assert_eq!(lease_on(s, N1).await, Some(next.lease));
    assert_eq!(pointer(s, A42).await, Some(ended));
}
