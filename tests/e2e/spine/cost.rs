//! AWS requests per operation, counted by an SDK interceptor, cold and warm.

use super::*;
use lifeline_app::ports::{AdminStore, DialStore};
use lifeline_domain::numbers::Country;
use lifeline_domain::route::NumberType;
use lifeline_e2e::{agent, dial, ended, inbound, seed_pool, start, start_with};
use serde_json::json;
use std::collections::HashSet;

#[tokio::test]
async fn aws_calls_per_operation() {
    let l = start(5).await;

    l.calls.reset();
    let r = l
        .post("/calls/outbound", &dial("c-0", "a-42", "9-1-425-555-0123"))
        .await;
    assert_eq!(r.json, json!({"action":"continue"}));
    let ordinary = l.calls.snapshot();
    println!("ordinary dial: {ordinary:?}");
    assert!(
        ordinary.is_empty(),
        "an ordinary dial makes no AWS call: {ordinary:?}"
    );

    // A cold container: the context and the pool's listing, then the write.
    l.calls.reset();
    let first = l.post("/calls/outbound", &dial("c-1", "a-42", "911")).await;
    let emergency = l.calls.snapshot();
    println!("emergency dial, cold container: {emergency:?}");
    assert_eq!(
        emergency,
        ops(&[("BatchGetItem", 1), ("Query", 1), ("TransactWriteItems", 1)])
    );

    // Warm from here. A retried webhook: the write is refused, and the
    // refusal returns the record, which is the answer.
    l.calls.reset();
    let repeat_answer = l.post("/calls/outbound", &dial("c-1", "a-42", "911")).await;
    let repeat = l.calls.snapshot();
    println!("repeated callId: {repeat:?}");
    assert_eq!(repeat, ops(&[("TransactWriteItems", 1)]));
    assert_eq!(repeat_answer.json, first.json);

    // Another call on the live lease: the refused claim returns the lease,
    // the second write extends it.
    l.calls.reset();
    let second = l.post("/calls/outbound", &dial("c-2", "a-42", "911")).await;
    let extend = l.calls.snapshot();
    println!("extension of a live lease: {extend:?}");
    assert_eq!(extend, ops(&[("TransactWriteItems", 2)]));
    assert_eq!(second.json["callerId"], first.json["callerId"]);

    // An agent this container has not read yet: the context, then the
    // write with a queued candidate (no lookup).
    l.calls.reset();
    let other = l.post("/calls/outbound", &dial("c-3", "a-43", "911")).await;
    let unread = l.calls.snapshot();
    println!("new agent, candidates queued: {unread:?}");
    assert_eq!(
        unread,
        ops(&[("BatchGetItem", 1), ("TransactWriteItems", 1)])
    );
    assert_eq!(other.json["degraded"], false, "{}", other.json);
    assert_ne!(other.json["callerId"], first.json["callerId"]);

    // The warm path itself: an agent with no lease, a new callId, a warm
    // container: one write, nothing read.
    l.store
        .put_agent(&agent(
            "a-44",
            Country::US,
            NumberType::DirectRouting,
            "+14255550102",
        ))
        .await
        .expect("seed");
    l.warm_up().await;
    l.calls.reset();
    let warm = l.post("/calls/outbound", &dial("c-4", "a-44", "911")).await;
    let one = l.calls.snapshot();
    println!("emergency dial, warm container: {one:?}");
    assert_eq!(one, ops(&[("TransactWriteItems", 1)]));
    assert_eq!(warm.json["degraded"], false, "{}", warm.json);
    let recorded = l
        .store
        .dial_context(&"c-4".parse().expect("id"), &"a-44".parse().expect("id"))
        .await
        .expect("read")
        .call;
    assert_eq!(
        recorded
            .and_then(|c| c.leased_number)
            .map(|n| n.as_str().to_string()),
        warm.json["callerId"].as_str().map(String::from),
        "the record holds the answered number"
    );

    let leased = first.json["callerId"].clone();
    l.calls.reset();
    l.post("/calls/inbound", &inbound(leased.as_str().expect("n")))
        .await;
    let callback = l.calls.snapshot();
    println!("inbound callback: {callback:?}");
    // The lease's read, and the mark that the callback came (the incident's).
    assert_eq!(callback, ops(&[("GetItem", 1), ("UpdateItem", 1)]));

    l.calls.reset();
    l.post("/calls/ended", &ended("c-1", "a-42")).await;
    let end = l.calls.snapshot();
    println!("call ended: {end:?}");
    assert_eq!(end, ops(&[("BatchGetItem", 1), ("TransactWriteItems", 1)]));
}

/// Many agents dial at once into a warm container (the runner, over HTTP):
/// each dial is exactly its one write, and every agent gets a number of
/// its own — the container hands each candidate out once, and DynamoDB
/// Local's conditions stand behind that.
#[tokio::test]
async fn concurrent_dials_in_a_warm_container_are_one_write_each() {
    const AGENTS: usize = 20;
    // A budget no slow machine reaches: this counts requests, not time.
    let l = start_with(0, &[("LIFELINE_DIAL_BUDGET_MS", "10000")]).await;
    let pool: Vec<lifeline_domain::types::E164> = (0..AGENTS + 2)
        .map(|i| format!("+1206555{:04}", 1000 + i).parse().expect("number"))
        .collect();
    seed_pool(&l.store, &pool).await;
    for i in 0..AGENTS {
        l.store
            .put_agent(&agent(
                &format!("w-{i}"),
                Country::US,
                NumberType::DirectRouting,
                &format!("+1425555{:04}", 7000 + i),
            ))
            .await
            .expect("seed");
    }
    l.warm_up().await;
    l.calls.reset();
    let bodies: Vec<_> = (0..AGENTS)
        .map(|i| dial(&format!("wc-{i}"), &format!("w-{i}"), "911"))
        .collect();
    let answers =
        futures::future::join_all(bodies.iter().map(|b| l.post("/calls/outbound", b))).await;
    let numbers: HashSet<String> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.json["degraded"], false, "{}", a.json);
            a.json["callerId"].as_str().expect("callerId").to_string()
        })
        .collect();
    assert_eq!(numbers.len(), AGENTS, "a number each");
    assert_eq!(
        l.calls.snapshot(),
        ops(&[("TransactWriteItems", AGENTS)]),
        "one write per dial, nothing read"
    );
}
