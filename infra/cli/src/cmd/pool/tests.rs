//! `pool add` and `pool remove` over the memory store: what each says, and
//! the exit code a refusal or a store failure gives.

use super::*;
use lifeline_domain::testing::at;

fn t(min: i64) -> chrono::DateTime<chrono::Utc> {
    at("2026-11-24T05:00:00Z") + chrono::Duration::minutes(min)
}

/// `+14255550190` in the US pool, leased by a call at t(0) ended at
/// t(10): held until t(70), in quarantine until t(130).
fn store_with_ended_lease() -> lifeline_app::fakes::MemoryStore {
    use lifeline_domain::lease::{LeasePolicy, NewLease};
    let store = lifeline_app::fakes::MemoryStore::new();
    let p = LeasePolicy::default();
    let lease = p.start(
        NewLease {
            id: "l-1".parse().unwrap(),
            number: "+14255550190".parse().unwrap(),
            country: Country::US,
            agent: "a-42".parse().unwrap(),
            call: "c-1".parse().unwrap(),
            fallback: vec![],
        },
        t(0),
    );
    let ended = p.on_end(&lease, &"c-1".parse().unwrap(), t(10)).unwrap();
    store.with_state(|s| {
        s.numbers.insert(
            ended.number.clone(),
            lifeline_app::fakes::NumberState {
                country: Country::US,
                available_at: p.available_at(&ended),
                lease: Some(ended.clone()),
            },
        )
    });
    store
}

fn numbers(n: &[&str]) -> Vec<E164> {
    n.iter().map(|n| n.parse().unwrap()).collect()
}

#[tokio::test]
async fn pool_remove_prints_the_quarantine_and_exits_non_zero() {
    let store = store_with_ended_lease();
    let mut out = Vec::new();
    let r = pool_remove(&store, &numbers(&["+14255550190"]), t(80), &mut out).await;
    let text = String::from_utf8(out).unwrap();
    assert!(
        matches!(&r, Err(Failure::Usage(m)) if m == "1 of 1 not removed"),
        "exit 2"
    );
    assert_eq!(
        text,
        "refused: +14255550190 is in quarantine until 2026-11-24T07:10:00Z: a late emergency \
         callback may still come for its previous holder; it can be removed from then\n"
    );

    // The others still go; the refused one stays.
    AdminStore::add_numbers(&store, Country::US, &numbers(&["+14255550191"]), t(0))
        .await
        .unwrap();
    let mut out = Vec::new();
    let r = pool_remove(
        &store,
        &numbers(&["+14255550190", "+14255550191"]),
        t(80),
        &mut out,
    )
    .await;
    assert!(matches!(&r, Err(Failure::Usage(m)) if m == "1 of 2 not removed"));
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("+14255550191 removed\n"), "{text}");

    // From availableAt on, it goes.
    let mut out = Vec::new();
    assert!(
        pool_remove(&store, &numbers(&["+14255550190"]), t(130), &mut out)
            .await
            .is_ok()
    );
    assert_eq!(String::from_utf8(out).unwrap(), "+14255550190 removed\n");
}

#[tokio::test]
async fn pool_remove_stops_on_a_store_failure() {
    let store = store_with_ended_lease();
    store.set_failing(true);
    let r = pool_remove(&store, &numbers(&["+14255550190"]), t(200), &mut Vec::new()).await;
    assert!(matches!(r, Err(Failure::Store(_))), "exit 1");
}

#[tokio::test]
async fn pool_add_reports_the_numbers_already_present() {
    let store = store_with_ended_lease();
    let mut out = Vec::new();
    pool_add(
        &store,
        Country::US,
        &numbers(&["+14255550191", "+14255550190", "+14255550192"]),
        t(20),
        &mut out,
    )
    .await
    .map_err(|_| "added")
    .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "added 2 to the US pool, already present 1\n\
         already present, left as they were (lease and quarantine unchanged; \
         `lifeline pool list` shows them): +14255550190\n"
    );
    let pool = store.list_pool(None, t(20)).await.unwrap();
    assert_eq!(pool[0].state, "leased", "{pool:?}");
    assert_eq!(pool[0].available_at, "2026-11-24T07:10:00Z");
}
