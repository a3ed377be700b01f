//! h. An end that comes before its call is recorded: the table took no
//! record (the dial's writes failed, the call is in the outbox), the
//! platform ends the call and is told `202`; when the outbox records the
//! call, it is recorded as ended, so Do Not Disturb starts and ends in order.

use super::{dial_911, record, rig_with, summary, OWN, STREAM_WAIT};
use lifeline_app::ports::KeptEnds;
use lifeline_e2e::fault_proxy::Fault;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn an_end_before_the_outbox_records_the_call_is_kept_and_applied() {
    let (l, proxy, _) = rig_with(2, &[("LIFELINE_E2E_OUTBOX", "1")]).await;
    let put = l
        .request(
            reqwest::Method::PUT,
            "/agents/a-42/presence",
            Some(&json!({"status": "available"})),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.json);
    // No call record can be written (the lease transaction, the record alone).
    proxy.inject(
        "TransactWriteItems",
        Fault::internal_server_error(),
        usize::MAX,
    );
    proxy.inject("PutItem", Fault::internal_server_error(), usize::MAX);
    let a = dial_911(&l, "fh-1").await;
    assert_eq!(
        summary(&a),
        (200, "emergency", OWN, true, Some("store_unavailable"))
    );
    assert!(record(&l, "fh-1").await.is_none(), "not recorded yet");

    // A short call: the end comes while the call is still in the outbox.
    let end = l
        .post(
            "/calls/ended",
            &json!({"callId": "fh-1", "agentId": "a-42"}),
        )
        .await;
    assert_eq!(end.status, 202, "{}", end.json);
    let id = "fh-1".parse().expect("id");
    let agent = "a-42".parse().expect("agent");
    assert!(l.store.kept_end(&id, &agent).await.expect("read").is_some());

    // The table takes writes again: the outbox records the call, ended.
    proxy.clear();
    let deadline = Instant::now() + STREAM_WAIT;
    let r = loop {
        if let Some(r) = record(&l, "fh-1").await.filter(|r| r.ended_at.is_some()) {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "the call was never recorded as ended: {:?}",
            record(&l, "fh-1").await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(r.caller_id.as_str(), OWN);
    // The kept end goes once applied (deleted just after the record's write).
    while l.store.kept_end(&id, &agent).await.expect("read").is_some() {
        assert!(Instant::now() < deadline, "applied, and the kept end gone");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Do Not Disturb came and went, in order: the agent is available again.
    l.settled().await;
    l.wait_for_status("a-42", "available", STREAM_WAIT).await;
    let presence = l.presence("a-42").await;
    assert_eq!(presence["override"], false, "{presence}");
    // A repeated end is the same end: done already.
    let again = l
        .post(
            "/calls/ended",
            &json!({"callId": "fh-1", "agentId": "a-42"}),
        )
        .await;
    assert_eq!(again.status, 204);
}
