//! The spine scenario: an emergency dial, its lease and the priority callback; concurrent dials; a call id bound to one agent and one dial.

use lifeline_app::ports::{AdminStore, EndStore};
use lifeline_domain::numbers::Country;
use lifeline_domain::route::NumberType;
use lifeline_e2e::{agent, dial, ended, inbound, start, US_POOL};
use serde_json::json;
use std::collections::HashSet;

#[tokio::test]
async fn emergency_dial_lease_and_priority_callback() {
    let l = start(5).await;
    assert_eq!(l.get("/_local/health").await.status, 200);

    // Agent dials 9 911: emergency, caller ID leased from the pool.
    let first = l
        .post("/calls/outbound", &dial("c-1", "a-42", "9 911"))
        .await;
    assert_eq!(first.status, 200, "{}", first.json);
    let v = &first.json;
    assert_eq!(v["action"], "emergency");
    assert_eq!(v["emergencyNumber"], "911");
    assert_eq!(v["degraded"], false);
    assert_eq!(v["record"], false);
    assert_eq!(v["history"], false);
    assert_eq!(v["route"], "direct_offer");
    let leased = v["callerId"].as_str().expect("callerId").to_string();
    assert!(US_POOL.contains(&leased.as_str()), "{leased}");

    // The same callId again: the same answer.
    let again = l
        .post("/calls/outbound", &dial("c-1", "a-42", "9 911"))
        .await;
    assert_eq!(again.json, first.json);

    // A second agent gets a different number (and the direct-routing route).
    let second = l.post("/calls/outbound", &dial("c-2", "a-43", "911")).await;
    assert_eq!(second.json["action"], "emergency");
    assert_eq!(second.json["route"], "direct_routing");
    assert_ne!(second.json["callerId"], first.json["callerId"]);

    // The emergency service calls the leased number back: straight to the agent.
    let cb = l.post("/calls/inbound", &inbound(&leased)).await;
    assert_eq!(cb.status, 200);
    assert_eq!(cb.json["action"], "connect_agent");
    assert_eq!(cb.json["agentId"], "a-42");
    assert_eq!(cb.json["priority"], "emergency");
    assert_eq!(
        cb.json["bypass"],
        json!(["routing_rules", "capacity", "presence"])
    );

    // The call ends; the window runs 60 minutes from now.
    let end = l.post("/calls/ended", &ended("c-1", "a-42")).await;
    assert_eq!(end.status, 204, "{}", end.json);
    assert_eq!(
        l.post("/calls/ended", &ended("c-1", "a-42")).await.status,
        204,
        "idempotent"
    );

    l.advance(59).await;
    assert_eq!(
        l.post("/calls/inbound", &inbound(&leased)).await.json["action"],
        "connect_agent"
    );
    l.advance(2).await;
    assert_eq!(
        l.post("/calls/inbound", &inbound(&leased)).await.json,
        json!({"action":"continue"})
    );

    // A number nobody holds follows normal routing.
    assert_eq!(
        l.post("/calls/inbound", &inbound("+14255559999"))
            .await
            .json,
        json!({"action":"continue"})
    );
}

#[tokio::test]
async fn ten_concurrent_dials_on_a_pool_of_five() {
    let l = start(5).await;
    for i in 0..10 {
        l.store
            .put_agent(&agent(
                &format!("b-{i}"),
                Country::US,
                NumberType::CallingPlan,
                "+14255550100",
            ))
            .await
            .expect("seed");
    }
    let bodies: Vec<_> = (0..10)
        .map(|i| dial(&format!("k-{i}"), &format!("b-{i}"), "911"))
        .collect();
    let replies =
        futures::future::join_all(bodies.iter().map(|b| l.post("/calls/outbound", b))).await;
    let mut numbers = HashSet::new();
    let mut degraded = 0;
    for r in &replies {
        assert_eq!(r.status, 200);
        assert_eq!(r.json["action"], "emergency");
        if r.json["degraded"] == true {
            degraded += 1;
            assert_eq!(
                r.json["callerId"], "+14255550100",
                "own number when the pool is empty"
            );
        } else {
            let n = r.json["callerId"].as_str().expect("callerId").to_string();
            assert!(numbers.insert(n.clone()), "{n} leased twice");
        }
    }
    assert_eq!(
        numbers.len(),
        5,
        "{replies:?}",
        replies = replies.iter().map(|r| &r.json).collect::<Vec<_>>()
    );
    assert_eq!(degraded, 5);
    // And each of the five routes its callback to its own agent.
    for r in replies.iter().filter(|r| r.json["degraded"] == false) {
        let cb = l
            .post(
                "/calls/inbound",
                &inbound(r.json["callerId"].as_str().expect("n")),
            )
            .await;
        assert_eq!(cb.json["action"], "connect_agent");
    }
}

/// AWS requests per operation, counted by an SDK interceptor.
#[tokio::test]
async fn a_call_id_belongs_to_one_agent_and_one_dial() {
    let l = start(5).await;
    let first = l
        .post("/calls/outbound", &dial("c-1", "a-42", "9 911"))
        .await;
    let leased = first.json["callerId"]
        .as_str()
        .expect("callerId")
        .to_string();
    assert_eq!(first.json["degraded"], false);

    // Agent a-43's desktop reuses the id: a-43's own number, not a-42's
    // callback number, and a record of its own (no lease: no transaction).
    let mut theirs = dial("c-1", "a-43", "911");
    theirs["from"] = json!("+14255550101");
    l.calls.reset();
    let other = l.post("/calls/outbound", &theirs).await;
    assert_eq!(other.json["action"], "emergency");
    assert_eq!(other.json["callId"], "c-1");
    assert_eq!(other.json["callerId"], "+14255550101");
    assert_eq!(other.json["degraded"], true);
    assert_eq!(other.json["reason"], "call_id_conflict");
    let writes = l.calls.snapshot();
    assert_eq!(writes.get("TransactWriteItems"), None, "{writes:?}");
    assert_eq!(writes.get("PutItem"), Some(&1), "{writes:?}");
    let apart = l
        .store
        .end_context(&"c-1~2".parse().expect("id"), &"a-43".parse().expect("id"))
        .await
        .expect("read")
        .0
        .expect("recorded apart");
    assert_eq!(apart.caller_id.as_str(), "+14255550101");

    // The same agent under the same id, another number: a conflict too.
    let test_call = l.post("/calls/outbound", &dial("c-1", "a-42", "933")).await;
    assert_eq!(test_call.json["reason"], "call_id_conflict");
    assert_eq!(test_call.json["callerId"], "+14255550100");

    // The record and the callback still belong to a-42's call.
    let again = l.post("/calls/outbound", &dial("c-1", "a-42", "911")).await;
    assert_eq!(
        again.json, first.json,
        "the same agent's retry: the stored answer"
    );
    let cb = l.post("/calls/inbound", &inbound(&leased)).await;
    assert_eq!(cb.json["agentId"], "a-42");
}
