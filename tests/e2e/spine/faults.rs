//! DynamoDB unreachable, hanging, throttled or refusing reads: the emergency dial still answers.

use lifeline_e2e::{dial, ended, inbound, start, Broken, US_POOL};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn dynamodb_unreachable_still_places_the_emergency_call() {
    // A closed port on this machine: connections are refused.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = dead.local_addr().expect("addr").port();
    drop(dead);
    let broken = Broken::at_port(port).await;
    let (status, v, took) = broken
        .post("/calls/outbound", &dial("c-1", "a-42", "9-911"))
        .await;
    println!("emergency dial with DynamoDB refusing connections answered in {took:?}: {v}");
    assert_eq!(status, 200);
    assert_eq!(v["action"], "emergency");
    assert_eq!(v["degraded"], true);
    assert_eq!(v["callerId"], "+14255550100");
    assert_eq!(v["emergencyNumber"], "911");
    assert!(
        took < Duration::from_millis(3000),
        "within the 2.5 s budget: {took:?}"
    );

    let (status, v, _) = broken
        .post("/calls/inbound", &inbound("+14255550190"))
        .await;
    assert_eq!(
        (status, v),
        (200, json!({"action":"continue"})),
        "normal routing"
    );
    let (status, _, _) = broken.post("/calls/ended", &ended("c-1", "a-42")).await;
    assert_eq!(status, 503, "the platform retries a call end");
}

/// DynamoDB accepts the connection and never answers: the dial still answers
/// within its budget.
#[tokio::test]
async fn dynamodb_hanging_still_answers_within_the_budget() {
    let hang = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = hang.local_addr().expect("addr").port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((s, _)) = hang.accept().await {
            open.push(s); // accepted, never read or answered
        }
    });
    let broken = Broken::at_port(port).await;
    let (status, v, took) = broken
        .post("/calls/outbound", &dial("c-1", "a-42", "911"))
        .await;
    println!(
        "emergency dial with DynamoDB hanging answered in {took:?}: degraded={}",
        v["degraded"]
    );
    assert_eq!(status, 200);
    assert_eq!(v["action"], "emergency");
    assert_eq!(v["degraded"], true);
    assert!(took < Duration::from_millis(3000), "{took:?}");
    held.abort();
}

/// Throttling that outlasts the SDK's retries, injected per operation.
#[tokio::test]
async fn throttled_dynamodb_still_answers() {
    let l = start(5).await;
    // Writes refused: the dial reads its context, cannot write, answers degraded.
    let writes = Broken::failing(&l.table, &["TransactWriteItems", "PutItem"]).await;
    let (status, v, took) = writes
        .post("/calls/outbound", &dial("t-1", "a-42", "911"))
        .await;
    println!(
        "emergency dial with writes throttled: {took:?}, reason {}",
        v["reason"]
    );
    assert_eq!(
        (status, v["action"].as_str(), v["degraded"].as_bool()),
        (200, Some("emergency"), Some(true))
    );
    assert_eq!(v["callerId"], "+14255550100");
    assert!(took < Duration::from_millis(3000), "{took:?}");
    // Reads refused: the same, and a callback falls back to normal routing.
    let reads = Broken::failing(&l.table, &["BatchGetItem", "Query", "GetItem"]).await;
    let (_, v, _) = reads
        .post("/calls/outbound", &dial("t-2", "a-42", "911"))
        .await;
    assert_eq!(
        (v["action"].as_str(), v["reason"].as_str()),
        (Some("emergency"), Some("store_unavailable"))
    );
    let (status, v, _) = reads.post("/calls/inbound", &inbound(US_POOL[0])).await;
    assert_eq!((status, v), (200, json!({"action":"continue"})));
    // Only the number lookup refused: still recorded, without a lease.
    let lookups = Broken::failing(&l.table, &["Query"]).await;
    let (_, v, _) = lookups
        .post("/calls/outbound", &dial("t-3", "a-43", "911"))
        .await;
    assert_eq!(
        (v["degraded"].as_bool(), v["reason"].as_str()),
        (Some(true), Some("store_unavailable"))
    );
    let recorded = l.post("/calls/ended", &ended("t-3", "a-43")).await;
    assert_eq!(
        recorded.status, 204,
        "the call was recorded and can be ended"
    );
}

/// Reads refused, writes taken: the dial still answers degraded at once and
/// leaves its record (so Do Not Disturb and the e-mail follow).
#[tokio::test]
async fn a_refused_read_still_leaves_the_call_record() {
    let l = start(5).await;
    let reads = Broken::failing(&l.table, &["BatchGetItem", "Query", "GetItem"]).await;
    let (status, v, took) = reads
        .post("/calls/outbound", &dial("r-1", "a-42", "911"))
        .await;
    println!("emergency dial with reads refused: {took:?}, {v}");
    assert_eq!(status, 200);
    assert_eq!(
        (
            v["degraded"].as_bool(),
            v["reason"].as_str(),
            v["callerId"].as_str()
        ),
        (Some(true), Some("store_unavailable"), Some("+14255550100"))
    );
    l.wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;
    let recorded = l.post("/calls/ended", &ended("r-1", "a-42")).await;
    assert_eq!(
        recorded.status, 204,
        "the call was recorded and can be ended"
    );
}
