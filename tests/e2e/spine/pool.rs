//! Pool behaviour on DynamoDB Local: a returning agent, fifty concurrent dials on five numbers, the paged listing.

use lifeline_app::ports::AdminStore;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::NumberType;
use lifeline_e2e::{agent, dial, ended, start, start_with, US_POOL};
use std::collections::HashSet;

#[tokio::test]
async fn returning_agent_gets_their_number_back_and_strangers_wait_out_the_quarantine() {
    let l = start_with(1, &[("LIFELINE_QUARANTINE_MINUTES", "60")]).await;
    let first = l
        .post("/calls/outbound", &dial("c-1", "a-42", "911"))
        .await
        .json["callerId"]
        .clone();
    assert_eq!(first, US_POOL[0]);
    l.post("/calls/ended", &ended("c-1", "a-42")).await;
    l.advance(61).await; // window over, quarantine running
    let stranger = l.post("/calls/outbound", &dial("c-2", "a-43", "911")).await;
    assert_eq!(
        stranger.json["degraded"], true,
        "no number for a stranger during quarantine"
    );
    let back = l.post("/calls/outbound", &dial("c-3", "a-42", "911")).await;
    assert_eq!(
        back.json["callerId"], first,
        "the same agent gets their number back"
    );
    assert_eq!(back.json["degraded"], false);
}

/// 50 concurrent dials from 50 agents on a pool of 5: never a number twice.
#[tokio::test]
async fn fifty_concurrent_dials_on_a_small_pool() {
    let l = start(5).await;
    for i in 0..50 {
        l.store
            .put_agent(&agent(
                &format!("z-{i}"),
                Country::US,
                NumberType::CallingPlan,
                "+14255550100",
            ))
            .await
            .expect("seed");
    }
    let bodies: Vec<_> = (0..50)
        .map(|i| dial(&format!("z-{i}"), &format!("z-{i}"), "911"))
        .collect();
    let replies =
        futures::future::join_all(bodies.iter().map(|b| l.post("/calls/outbound", b))).await;
    let mut numbers = HashSet::new();
    for r in &replies {
        assert_eq!(r.status, 200);
        assert_eq!(r.json["action"], "emergency", "{}", r.json);
        if r.json["degraded"] == false {
            let n = r.json["callerId"].as_str().expect("callerId").to_string();
            assert!(numbers.insert(n.clone()), "{n} leased twice");
        }
    }
    assert!(numbers.len() <= 5);
    println!(
        "50 concurrent dials, pool of 5: {} leased, {} degraded",
        numbers.len(),
        50 - numbers.len()
    );
}

/// The pool's listing pages on DynamoDB Local: each page starts after the
/// last, together they list every available number once.
#[tokio::test]
async fn the_available_listing_pages_through_the_whole_pool() {
    use lifeline_app::ports::DialStore;
    let l = start(0).await;
    let numbers: Vec<lifeline_domain::types::E164> = (0..120)
        .map(|i| format!("+1206555{i:04}").parse().expect("number"))
        .collect();
    let now = chrono::Utc::now();
    l.store
        .add_numbers(Country::US, &numbers, now - chrono::Duration::hours(1))
        .await
        .expect("pool");
    let (mut seen, mut after, mut pages) = (Vec::new(), None, 0);
    loop {
        let page = l
            .store
            .available_numbers(Country::US, now, 48, after.as_ref())
            .await
            .expect("page");
        pages += 1;
        seen.extend(page.numbers);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let distinct: HashSet<_> = seen.iter().collect();
    assert_eq!((seen.len(), distinct.len()), (120, 120));
    assert_eq!(pages, 3, "48 + 48 + 24");
}
