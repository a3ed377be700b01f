//! What the PSAP saw: a record rewritten to the presented caller ID frees
//! the lease its number was on in the same write, and only over the lease
//! as it was read.

use super::fixtures::*;
use super::Side;
use lifeline_app::ports::{LeaseWrite, OutboxStore, SettleError};
use lifeline_domain::presented::presented_as;

pub async fn a_number_no_psap_saw_is_freed_with_the_corrected_record<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1]).await;
    let d = claim("c-1", A42, N1, t(0), None);
    dialed(s, &d).await;
    let own = own_number_call("c-1", A42, t(0)).caller_id;
    let corrected = presented_as(&d.call, &own);
    let (freed, available_at) = policy()
        .on_unseen(&d.lease, &id("c-1"), t(0), t(1))
        .expect("the lease carries the call");
    // Over a version nobody holds: refused, nothing changed.
    let stale = LeaseWrite::Update {
        lease: freed.clone(),
        available_at,
        expected_version: d.lease.version + 7,
    };
    match s.settle_presented(&d.call, &corrected, Some(&stale)).await {
        Err(SettleError::LeaseChanged) => {}
        other => panic!("a stale lease is refused: {other:?}"),
    }
    assert_eq!(record(s, "c-1").await, Some(d.call.clone()));
    assert_eq!(lease_on(s, N1).await, Some(d.lease.clone()));

    let write = LeaseWrite::Update {
        lease: freed.clone(),
        available_at,
        expected_version: d.lease.version,
    };
    assert!(s
        .settle_presented(&d.call, &corrected, Some(&write))
        .await
        .expect("settled"));
    assert_eq!(record(s, "c-1").await, Some(corrected.clone()));
    assert_eq!(lease_on(s, N1).await, Some(freed));
    // Free at once: nobody can call back a number they never saw.
    assert_eq!(pool_states(s, t(1)).await, states(&[(N1, "free")]));
    // A redelivered report finds the record corrected: nothing more.
    assert!(!s
        .settle_presented(&d.call, &corrected, Some(&write))
        .await
        .expect("read"));
}
