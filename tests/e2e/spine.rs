//! The spine, end to end on DynamoDB Local through the local runner's HTTP routes.

use lifeline_app::ports::{AdminStore, DialStore};
use lifeline_domain::numbers::Country;
use lifeline_domain::route::NumberType;
use lifeline_e2e::{agent, dial, ended, inbound, seed_pool, start, start_with, Broken, US_POOL};
use lifeline_edge::webhook::Signed;
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

fn ops(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

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

    // Agent a-43's desktop reuses the id: a-43's own number, not a-42's callback number.
    let mut theirs = dial("c-1", "a-43", "911");
    theirs["from"] = json!("+14255550101");
    l.calls.reset();
    let other = l.post("/calls/outbound", &theirs).await;
    assert_eq!(other.json["action"], "emergency");
    assert_eq!(other.json["callerId"], "+14255550101");
    assert_eq!(other.json["degraded"], true);
    assert_eq!(other.json["reason"], "call_id_conflict");
    assert_eq!(
        l.calls.snapshot().get("TransactWriteItems"),
        None,
        "a conflict writes nothing"
    );

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
    assert_eq!(callback, ops(&[("GetItem", 1)]));

    l.calls.reset();
    l.post("/calls/ended", &ended("c-1", "a-42")).await;
    let end = l.calls.snapshot();
    println!("call ended: {end:?}");
    assert_eq!(end, ops(&[("BatchGetItem", 1), ("TransactWriteItems", 1)]));
}

#[tokio::test]
async fn bad_input_answers_clearly_and_writes_nothing() {
    let l = start(5).await;
    l.calls.reset();
    // Not authenticated: an ordinary dial is refused; an emergency dial fails
    // open (its own number, `unauthenticated`), and neither reads or writes.
    let t = chrono::Utc::now().timestamp();
    let wrong_secret =
        lifeline_edge::webhook::WebhookSecret::new("not-the-secret").expect("secret");
    for dialed in ["5551234", "911"] {
        let body = dial("c-1", "a-42", dialed).to_string();
        let signed = Signed::post("/calls/outbound", body.as_bytes());
        let wrong = wrong_secret.sign(t, signed);
        let stale = l.secret.sign(t - 400, signed);
        for signature in [None, Some(wrong.as_str()), Some(stale.as_str())] {
            let r = l.post_raw("/calls/outbound", &body, signature).await;
            if dialed == "911" {
                assert_eq!(
                    (
                        r.status,
                        r.json["action"].as_str(),
                        r.json["reason"].as_str(),
                        r.json["callerId"].as_str()
                    ),
                    (
                        200,
                        Some("emergency"),
                        Some("unauthenticated"),
                        Some("+14255550100")
                    ),
                    "{signature:?}"
                );
            } else {
                assert_eq!(
                    (r.status, r.content_type.as_str()),
                    (401, "application/problem+json"),
                    "{signature:?}"
                );
            }
        }
    }

    let r = l
        .post(
            "/calls/outbound",
            &json!({"callId":"c-1","agentId":"a-42","dialed":"911","from":"not-a-number"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(r.json["field"], "from");
    let r = l.post("/calls/ended", &json!({"agentId":"a-42"})).await;
    assert_eq!((r.status, r.json["field"].as_str()), (400, Some("callId")));
    let r = l
        .post("/calls/inbound", &json!({"callId":"c","to":12}))
        .await;
    assert_eq!((r.status, r.json["field"].as_str()), (400, Some("to")));
    let sig = l
        .secret
        .sign(t, Signed::post("/calls/outbound", b"{not json"));
    assert_eq!(
        l.post_raw("/calls/outbound", "{not json", Some(&sig))
            .await
            .status,
        400
    );
    assert!(
        l.calls.snapshot().is_empty(),
        "nothing read or written: {:?}",
        l.calls.snapshot()
    );

    assert_eq!(
        l.post("/calls/ended", &ended("c-unknown", "a-42"))
            .await
            .status,
        404
    );
}

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

/// Bodies over the limit are refused before anything is read.
#[tokio::test]
async fn oversized_bodies_answer_413() {
    let l = start(1).await;
    l.calls.reset();
    let big = format!(
        r#"{{"callId":"c","agentId":"a-42","dialed":"911","from":"+14255550100","pad":"{}"}}"#,
        "x".repeat(20_000)
    );
    let sig = l.secret.sign(
        chrono::Utc::now().timestamp(),
        Signed::post("/calls/outbound", big.as_bytes()),
    );
    let r = l.post_raw("/calls/outbound", &big, Some(&sig)).await;
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (413, "application/problem+json")
    );
    let huge = "y".repeat(100_000);
    let r = l.post_raw("/calls/outbound", &huge, None).await;
    assert_eq!(r.status, 413, "the runner refuses it before the handler");
    assert!(l.calls.snapshot().is_empty());
}

/// A profile edited by hand into something that does not decode: the dial
/// reads it as missing and still gets its callback number and its record.
#[tokio::test]
async fn an_unreadable_profile_does_not_cost_the_callback_number() {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let l = start(5).await;
    l.store
        .client()
        .put_item()
        .table_name(l.store.table())
        .item("pk", A::S("AGENT#a-42".into()))
        .item("sk", A::S("PROFILE".into()))
        .item("type", A::S("agent".into()))
        .item("agentId", A::S("a-42".into()))
        .item("name", A::S("Ana".into()))
        .item("sourceNumber", A::S("edited by hand".into()))
        .send()
        .await
        .expect("put a corrupt profile");
    let d = l.post("/calls/outbound", &dial("c-1", "a-42", "911")).await;
    assert_eq!(d.json["action"], "emergency");
    assert_eq!(d.json["degraded"], false, "{}", d.json);
    let leased = d.json["callerId"].as_str().expect("callerId");
    assert!(US_POOL.contains(&leased), "{leased}");
    // The call is recorded: its end is known.
    assert_eq!(
        l.post("/calls/ended", &ended("c-1", "a-42")).await.status,
        204
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

/// A signature is bound to its route: a captured signed dial, replayed byte
/// for byte with its header to another route, is refused and changes
/// nothing — the live call is not ended, Do Not Disturb stays, no presence
/// moves; one agent's presence signature does not work on another's path.
#[tokio::test]
async fn a_signature_replayed_to_another_route_is_refused_and_writes_nothing() {
    let l = start(2).await;
    let body = dial("rp-1", "a-42", "911").to_string();
    let t = chrono::Utc::now().timestamp();
    let captured = l
        .secret
        .sign(t, Signed::post("/calls/outbound", body.as_bytes()));
    let r = l.post_raw("/calls/outbound", &body, Some(&captured)).await;
    assert_eq!(
        (r.status, r.json["degraded"].as_bool()),
        (200, Some(false)),
        "{}",
        r.json
    );
    l.wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;
    l.calls.reset();
    use reqwest::Method;
    for (method, path) in [
        (Method::POST, "/calls/ended"),
        (Method::POST, "/calls/inbound"),
        (Method::PUT, "/agents/a-42/presence"),
        (Method::PUT, "/agents/a-43/presence"),
    ] {
        let r = l
            .send_raw(method.clone(), path, &body, Some(&captured))
            .await;
        assert_eq!(
            (r.status, r.content_type.as_str()),
            (401, "application/problem+json"),
            "{method} {path}: {}",
            r.json
        );
    }
    // One agent's presence PUT does not work on another agent's path.
    let away = r#"{"status":"away"}"#;
    let mine = l.secret.sign(
        t,
        Signed::new("PUT", "/agents/a-42/presence", away.as_bytes()),
    );
    let r = l
        .send_raw(Method::PUT, "/agents/a-43/presence", away, Some(&mine))
        .await;
    assert_eq!(r.status, 401);
    let writes: usize = l
        .calls
        .snapshot()
        .iter()
        .filter(|(op, _)| !matches!(op.as_str(), "GetItem" | "BatchGetItem" | "Query"))
        .map(|(_, n)| *n)
        .sum();
    assert_eq!(writes, 0, "nothing written: {:?}", l.calls.snapshot());
    assert!(
        l.calls.snapshot().is_empty(),
        "nothing even read: {:?}",
        l.calls.snapshot()
    );
    // The call is still live: Do Not Disturb stays, and the real end works.
    assert_eq!(l.presence("a-42").await["status"], "do_not_disturb");
    assert_ne!(l.presence("a-43").await["status"], "away");
    assert_eq!(
        l.post("/calls/ended", &ended("rp-1", "a-42")).await.status,
        204
    );
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
