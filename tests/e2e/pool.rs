//! The admin's pool writes on DynamoDB Local honour the lease and its
//! quarantine: `pool remove` is one conditional delete refused (with the
//! reason, from `ALL_OLD`) until the number's `availableAt`; `pool add` is a
//! conditional put that never resets a number already there.

use chrono::Duration;
use lifeline_app::ports::{AdminStore, CallbackStore, PoolNumber, RemoveError};
use lifeline_domain::call::rfc3339;
use lifeline_domain::numbers::Country;
use lifeline_domain::types::E164;
use lifeline_e2e::{dial, ended, inbound, start, Local, US_POOL};
use serde_json::json;

fn near(a: chrono::DateTime<chrono::Utc>, b: chrono::DateTime<chrono::Utc>) -> bool {
    (a - b).num_seconds().abs() <= 5
}

/// A schedule's time: the hold, or up to a minute after it (Scheduler fires
/// within the minute), give or take the test's own seconds.
fn near_schedule(a: chrono::DateTime<chrono::Utc>, hold: chrono::DateTime<chrono::Utc>) -> bool {
    (-5..=65).contains(&(a - hold).num_seconds())
}

async fn entry(l: &Local, number: &E164) -> PoolNumber {
    l.store
        .list_pool(Some(Country::US), l.now())
        .await
        .expect("pool")
        .into_iter()
        .find(|p| p.number == number.as_str())
        .expect("in the pool")
}

/// `pool add` of `number` now: reported present, its lease and its pool
/// entry (state, `availableAt`) exactly as they were.
async fn add_leaves_it_as_it_was(l: &Local, number: &E164) {
    let lease = l.store.lease_for_number(number).await.expect("lease");
    let before = entry(l, number).await;
    let other: E164 = "+14255550189".parse().expect("e164");
    let r = l
        .store
        .add_numbers(Country::US, &[number.clone(), other.clone()], l.now())
        .await
        .expect("add");
    assert_eq!(
        (r.added, r.present),
        (vec![other.clone()], vec![number.clone()])
    );
    assert_eq!(
        l.store.lease_for_number(number).await.expect("lease"),
        lease
    );
    assert_eq!(entry(l, number).await, before);
    // The new one is free at once, and goes at once.
    assert_eq!(entry(l, &other).await.state, "free");
    l.store.remove_number(&other, l.now()).await.expect("free");
}

#[tokio::test]
async fn remove_waits_out_the_quarantine_and_add_never_resets_a_number() {
    let l = start(1).await;
    let number: E164 = US_POOL[0].parse().expect("e164");

    // Leased by a 911 dial: refused, naming the holder; a re-add changes nothing.
    let first = l.post("/calls/outbound", &dial("c-1", "a-42", "911")).await;
    assert_eq!(first.json["callerId"], US_POOL[0]);
    match l.store.remove_number(&number, l.now()).await {
        Err(e @ RemoveError::Leased(..)) => {
            assert!(e.to_string().contains("leased to a-42"), "{e}")
        }
        other => panic!("leased: {other:?}"),
    }
    add_leaves_it_as_it_was(&l, &number).await;
    assert_eq!(entry(&l, &number).await.state, "leased");

    // The call ends; the expiry schedule moves to the end of the window.
    assert_eq!(
        l.post("/calls/ended", &ended("c-1", "a-42")).await.status,
        204
    );
    let ended_at = l.now();
    l.wait_for_schedules("moved to the end + 60", |s| {
        s.len() == 1
            && s.values()
                .all(|t| near_schedule(*t, ended_at + Duration::minutes(60)))
    })
    .await;
    let available_at = chrono::DateTime::parse_from_rfc3339(&entry(&l, &number).await.available_at)
        .expect("availableAt")
        .with_timezone(&chrono::Utc);
    assert!(
        near(available_at, ended_at + Duration::minutes(120)),
        "window then quarantine: {available_at}"
    );

    // The window closes: the schedule releases the lease; the quarantine begins.
    assert_eq!(l.advance(61).await, 1, "the expiry fired");
    assert_eq!(
        l.post("/calls/inbound", &inbound(US_POOL[0])).await.json,
        json!({"action":"continue"})
    );
    let lease = l.store.lease_for_number(&number).await.expect("lease");
    assert!(
        lease.as_ref().is_some_and(|l| l.released_at.is_some()),
        "released: {lease:?}"
    );
    assert_eq!(entry(&l, &number).await.state, "quarantined");

    // In quarantine: refused, with the time it becomes possible (UTC, RFC 3339).
    match l.store.remove_number(&number, l.now()).await {
        Err(e @ RemoveError::InQuarantine { .. }) => {
            let RemoveError::InQuarantine { number: n, until } = &e else {
                unreachable!()
            };
            assert_eq!((n, *until), (&number, available_at));
            let text = e.to_string();
            assert!(
                text.contains(&format!("is in quarantine until {}", rfc3339(available_at))),
                "{text}"
            );
            println!("pool remove during quarantine: {text}");
        }
        other => panic!("in quarantine: {other:?}"),
    }
    add_leaves_it_as_it_was(&l, &number).await;
    assert_eq!(entry(&l, &number).await.state, "quarantined");

    // A minute before `availableAt`: still refused. At it: removed, once.
    assert_eq!(l.advance(58).await, 0);
    assert!(matches!(
        l.store.remove_number(&number, l.now()).await,
        Err(RemoveError::InQuarantine { .. })
    ));
    assert_eq!(l.advance(2).await, 0);
    l.store
        .remove_number(&number, l.now())
        .await
        .expect("removable after the quarantine");
    assert!(l
        .store
        .list_pool(Some(Country::US), l.now())
        .await
        .expect("pool")
        .is_empty());
    assert!(matches!(
        l.store.remove_number(&number, l.now()).await,
        Err(RemoveError::Unknown(_))
    ));

    // Added back, it is a new number: free at once, no lease.
    let r = l
        .store
        .add_numbers(Country::US, std::slice::from_ref(&number), l.now())
        .await
        .expect("add");
    assert_eq!(r.added, vec![number.clone()]);
    assert_eq!(entry(&l, &number).await.state, "free");
    assert_eq!(
        l.store.lease_for_number(&number).await.expect("lease"),
        None
    );
}
