//! The lease's life end to end: the stream schedules its expiry on the
//! Scheduler emulator, the runner fires it on its clock, quarantine follows.

use chrono::Duration;
use lifeline_app::ports::AdminStore;
use lifeline_domain::numbers::Country;
use lifeline_e2e::{dial, ended, inbound, start, start_with, US_POOL};
use serde_json::json;

/// A schedule's time: the hold rounded up to the next whole minute
/// (Scheduler fires within the minute), give or take the test's own seconds.
fn near(a: chrono::DateTime<chrono::Utc>, b: chrono::DateTime<chrono::Utc>) -> bool {
    (-5..=65).contains(&(a - b).num_seconds())
}

#[tokio::test]
async fn expiry_is_scheduled_moved_fired_and_followed_by_quarantine() {
    let l = start(1).await;
    let number = US_POOL[0];
    l.scheduler_calls.reset();

    let first = l.post("/calls/outbound", &dial("c-1", "a-42", "911")).await;
    assert_eq!(first.json["callerId"], number);
    let dialed_at = l.now();
    let s = l.wait_for_schedules("created", |s| s.len() == 1).await;
    let (name, at) = s.iter().next().map(|(n, t)| (n.clone(), *t)).expect("one");
    assert!(name.starts_with("lease-"), "{name}");
    assert!(
        near(at, dialed_at + Duration::hours(4)),
        "held while the call is active: {at}"
    );

    // The call ends: the one schedule moves to 60 minutes after the end.
    assert_eq!(
        l.post("/calls/ended", &ended("c-1", "a-42")).await.status,
        204
    );
    let ended_at = l.now();
    let s = l
        .wait_for_schedules("moved to the end + 60", |s| {
            s.values()
                .all(|t| near(*t, ended_at + Duration::minutes(60)))
        })
        .await;
    assert_eq!(
        s.keys().collect::<Vec<_>>(),
        vec![&name],
        "still one schedule, same name"
    );
    let life = l.scheduler_calls.snapshot();
    println!("scheduler requests over one emergency call's life (dial + end): {life:?}");
    assert_eq!(life.values().sum::<usize>(), 2, "{life:?}");

    // 59 minutes on: nothing fires, the callback still reaches the agent.
    assert_eq!(l.advance(59).await, 0);
    assert_eq!(
        l.post("/calls/inbound", &inbound(number)).await.json["action"],
        "connect_agent"
    );

    // A re-dial inside the window keeps the number and moves the same schedule.
    let again = l.post("/calls/outbound", &dial("c-2", "a-42", "911")).await;
    assert_eq!(again.json["callerId"], number);
    let redial_at = l.now();
    l.wait_for_schedules("moved by the re-dial", |s| {
        s.len() == 1 && s.values().all(|t| near(*t, redial_at + Duration::hours(4)))
    })
    .await;
    l.post("/calls/ended", &ended("c-2", "a-42")).await;
    let ended_again = l.now();
    l.wait_for_schedules("moved by the second end", |s| {
        s.values()
            .all(|t| near(*t, ended_again + Duration::minutes(60)))
    })
    .await;

    // Not before the window closes; then the schedule fires and releases.
    assert_eq!(l.advance(59).await, 0);
    assert_eq!(
        l.post("/calls/inbound", &inbound(number)).await.json["action"],
        "connect_agent"
    );
    assert_eq!(l.advance(2).await, 1, "the expiry fired");
    assert_eq!(
        l.post("/calls/inbound", &inbound(number)).await.json,
        json!({"action":"continue"})
    );
    l.wait_for_schedules("deleted after completion", |s| s.is_empty())
        .await;
    let pool = l
        .store
        .list_pool(Some(Country::US), l.now())
        .await
        .expect("pool");
    assert_eq!(pool[0].state, "quarantined", "{pool:?}");

    // Quarantine: no stranger gets it; the agent would; after it, anyone.
    let stranger = l.post("/calls/outbound", &dial("c-3", "a-43", "911")).await;
    assert_eq!(stranger.json["degraded"], true);
    assert_eq!(l.advance(60).await, 0);
    let later = l.post("/calls/outbound", &dial("c-4", "a-43", "911")).await;
    assert_eq!(later.json["callerId"], number);
}

#[tokio::test]
async fn scheduler_down_leaves_expiry_correct() {
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://127.0.0.1:{}",
        dead.local_addr().expect("addr").port()
    );
    drop(dead);
    let l = start_with(1, &[("LIFELINE_E2E_SCHEDULER_ENDPOINT", url.as_str())]).await;
    let number = US_POOL[0];
    l.post("/calls/outbound", &dial("c-1", "a-42", "911")).await;
    l.post("/calls/ended", &ended("c-1", "a-42")).await;
    // The stream consumer keeps failing to schedule (and retries): no schedule.
    l.settled().await;
    assert!(l.schedule_times().await.is_empty());
    assert!(l.scheduler_calls.total() >= 1, "it tried");
    assert_eq!(l.advance(59).await, 0);
    assert_eq!(
        l.post("/calls/inbound", &inbound(number)).await.json["action"],
        "connect_agent"
    );
    l.advance(2).await;
    assert_eq!(
        l.post("/calls/inbound", &inbound(number)).await.json,
        json!({"action":"continue"}),
        "past its window the lease is over without any firing"
    );
    // Presence reads the same stream and is not held up by the failing consumer.
    l.wait_for_status("a-42", "available", std::time::Duration::from_secs(5))
        .await;
    assert_eq!(l.presence("a-42").await["override"], false);
}

#[tokio::test]
async fn pool_remove_refuses_a_leased_number() {
    let l = start(2).await;
    let leased = l
        .post("/calls/outbound", &dial("c-1", "a-42", "911"))
        .await
        .json["callerId"]
        .clone();
    let leased: lifeline_domain::types::E164 = leased.as_str().expect("n").parse().expect("e164");
    let err = l
        .store
        .remove_number(&leased, l.now())
        .await
        .expect_err("leased");
    assert!(err.to_string().contains("leased to a-42"), "{err}");
    let free = US_POOL[..2]
        .iter()
        .find(|n| **n != leased.as_str())
        .expect("free")
        .parse()
        .expect("e164");
    l.store
        .remove_number(&free, l.now())
        .await
        .expect("a free number goes");
    assert!(l.store.remove_number(&free, l.now()).await.is_err(), "gone");
}

/// A 3-hour emergency call keeps its number: other agents' dials on a pool of
/// one get their own number, and a callback still reaches the caller.
#[tokio::test]
async fn a_three_hour_call_keeps_its_number_against_other_agents() {
    let l = start(1).await;
    let number = US_POOL[0];
    let first = l.post("/calls/outbound", &dial("c-1", "a-42", "911")).await;
    assert_eq!(first.json["callerId"], number);
    l.advance(180).await;
    // (The dial body's `from` is the number a degraded answer presents.)
    let other = l.post("/calls/outbound", &dial("c-2", "a-43", "911")).await;
    assert_eq!(
        (
            other.json["callerId"].as_str(),
            other.json["reason"].as_str()
        ),
        (Some("+14255550100"), Some("pool_exhausted")),
        "{}",
        other.json
    );
    let r = l.post("/calls/inbound", &inbound(number)).await;
    assert_eq!(
        (r.json["action"].as_str(), r.json["agentId"].as_str()),
        (Some("connect_agent"), Some("a-42"))
    );
}

/// A call that outlived its hold, whose number went to another agent, ends
/// with 204 and leaves the new holder's lease as it was.
#[tokio::test]
async fn an_end_after_the_number_was_re_leased_answers_204_and_changes_no_lease() {
    let l = start(1).await;
    let number = US_POOL[0];
    let first = l.post("/calls/outbound", &dial("c-1", "a-42", "911")).await;
    assert_eq!(first.json["callerId"], number);
    // Past the active-call limit and the quarantine.
    l.advance(6 * 60).await;
    let second = l.post("/calls/outbound", &dial("c-2", "a-43", "911")).await;
    assert_eq!(second.json["callerId"], number, "{}", second.json);
    let before = l.post("/calls/inbound", &inbound(number)).await.json;
    assert_eq!(before["agentId"], "a-43");
    assert_eq!(
        l.post("/calls/ended", &ended("c-1", "a-42")).await.status,
        204
    );
    let after = l.post("/calls/inbound", &inbound(number)).await.json;
    assert_eq!(after, before, "the new holder's lease is untouched");
}
