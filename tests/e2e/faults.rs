//! The emergency dial against DynamoDB failing on the wire. The webhook
//! handlers reach DynamoDB Local through a fault-injecting proxy with the
//! Lambda's critical-path client (connect 300 ms, attempt 900 ms, 2
//! attempts); the stream consumers stay direct, as on AWS. Each test checks
//! what a person would check afterwards: the answer, the call record, Do Not
//! Disturb, the e-mail to the supervisor, and the pool.

use lifeline_app::ports::{AdminStore, DialStore};
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::NumberType;
use lifeline_e2e::fault_proxy::{Fault, FaultProxy};
use lifeline_e2e::{
    agent, dial, ended, start_behind_proxy, try_emails_to, Local, SentEmail, US_POOL,
};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The dial's default budget (LIFELINE_DIAL_BUDGET_MS).
mod early_end;

const BUDGET: Duration = Duration::from_millis(2500);
/// What the HTTP round trip to the runner may add on a slow machine.
const GRACE: Duration = Duration::from_millis(500);
/// How long stream-driven effects (presence, e-mail) may take.
const STREAM_WAIT: Duration = Duration::from_secs(15);
/// a-42's own number, the `from` of every dial here.
const OWN: &str = "+14255550100";
const SUPERVISOR: &str = "sup@example.com";

/// A rig behind a proxy, a-42 renamed for this test: moto's outbox is shared
/// by every test, and the name (in the subject) tells this test's e-mail apart.
async fn rig(pool: usize) -> (Local, FaultProxy, String) {
    rig_with(pool, &[]).await
}

async fn rig_with(pool: usize, env: &[(&str, &str)]) -> (Local, FaultProxy, String) {
    let (l, proxy) = start_behind_proxy(pool, env).await;
    let name = format!("Agent a-42 {}", &l.table[4..16]);
    let mut a42 = agent("a-42", Country::US, NumberType::CallingPlan, OWN);
    a42.name = name.clone();
    l.store.put_agent(&a42).await.expect("rename a-42");
    (l, proxy, name)
}

struct Answer {
    status: u16,
    json: Value,
    took: Duration,
}

/// A dial, sent signed as the voice platform sends it; how long the answer took.
async fn send(l: &Local, body: &Value) -> Answer {
    let started = Instant::now();
    let r = l.post("/calls/outbound", body).await;
    let a = Answer {
        status: r.status,
        json: r.json,
        took: started.elapsed(),
    };
    println!("answer after {:?}: {}", a.took, a.json);
    a
}

/// a-42 dials 911 (through the outside line) as call `call`.
async fn dial_911(l: &Local, call: &str) -> Answer {
    send(l, &dial(call, "a-42", "9-911")).await
}

/// Status, action, callerId, degraded and reason, as one tuple to compare.
fn summary(a: &Answer) -> (u16, &str, &str, bool, Option<&str>) {
    (
        a.status,
        a.json["action"].as_str().unwrap_or(""),
        a.json["callerId"].as_str().unwrap_or(""),
        a.json["degraded"].as_bool().unwrap_or(false),
        a.json["reason"].as_str(),
    )
}

fn assert_within_budget(a: &Answer) {
    assert!(
        a.took < BUDGET + GRACE,
        "answered after {:?}: {}",
        a.took,
        a.json
    );
}

/// The answer's callerId, checked to be one of the rig's pool numbers.
fn leased(a: &Answer) -> String {
    let (status, action, caller, degraded, reason) = summary(a);
    assert_eq!(
        (status, action, degraded, reason),
        (200, "emergency", false, None),
        "{}",
        a.json
    );
    assert!(US_POOL.contains(&caller), "a pool number: {caller}");
    caller.to_string()
}

/// The call record, read directly (not through the proxy).
async fn record(l: &Local, call: &str) -> Option<EmergencyCall> {
    l.store
        .dial_context(
            &call.parse().expect("call id"),
            &"a-42".parse().expect("agent"),
        )
        .await
        .expect("direct read")
        .call
}

/// What the record says: the presented number, the leased one, the reason.
fn said(r: &EmergencyCall) -> (String, Option<String>, Option<String>) {
    (
        r.caller_id.to_string(),
        r.leased_number.as_ref().map(ToString::to_string),
        r.reason.map(|reason| reason.as_str().to_string()),
    )
}

/// The pool numbers held by a lease, with whom they are leased to.
async fn held(l: &Local) -> Vec<(String, Option<String>)> {
    l.store
        .list_pool(Some(Country::US), chrono::Utc::now())
        .await
        .expect("pool")
        .into_iter()
        .filter(|n| n.state == "leased")
        .map(|n| (n.number, n.leased_to))
        .collect()
}

/// This test's e-mails to the supervisor (by the agent's name in the
/// subject); an error when moto does not answer.
async fn emails(name: &str) -> Result<Vec<SentEmail>, reqwest::Error> {
    let subject = format!("Emergency call to 911 by {name}");
    Ok(try_emails_to(SUPERVISOR)
        .await?
        .into_iter()
        .filter(|e| e.subject == subject)
        .collect())
}

async fn wait_for_email(name: &str) -> SentEmail {
    let started = Instant::now();
    loop {
        // A busy moto may drop a request: ask again.
        if let Some(e) = emails(name).await.ok().and_then(|mut e| e.pop()) {
            println!("e-mail after {:?}", started.elapsed());
            return e;
        }
        assert!(
            started.elapsed() < STREAM_WAIT,
            "no e-mail to {SUPERVISOR} for {name}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The number in the e-mail's "Callback number" cell.
fn callback_number(body: &str) -> Option<String> {
    let cell = &body[body.find(">Callback number<")?..];
    let value = &cell[cell.find("font-weight:700;\">")? + "font-weight:700;\">".len()..];
    Some(value[..value.find('<')?].trim().to_string())
}

/// The e-mail a-42's call caused, with its callback number.
async fn emailed_callback(name: &str) -> String {
    let e = wait_for_email(name).await;
    callback_number(&e.body).unwrap_or_else(|| panic!("no callback number in:\n{}", e.body))
}

/// Do Not Disturb on a-42 (the presence override follows the record).
async fn wait_for_dnd(l: &Local) {
    let took = l
        .wait_for_status("a-42", "do_not_disturb", STREAM_WAIT)
        .await;
    println!("do not disturb after {took:?}");
}

/// a. Every context read answers 500 (the SDK retries it once): the dial
/// answers with the own number and still records the call, so Do Not
/// Disturb and the e-mail follow.
#[tokio::test]
async fn refused_reads_still_record_the_call_with_the_own_number() {
    let (l, proxy, name) = rig(2).await;
    proxy.inject("BatchGetItem", Fault::internal_server_error(), usize::MAX);
    let a = dial_911(&l, "fa-1").await;
    proxy.clear();
    assert_eq!(
        summary(&a),
        (200, "emergency", OWN, true, Some("store_unavailable"))
    );
    assert_within_budget(&a);
    assert_eq!(proxy.seen("BatchGetItem"), 2, "two attempts, both refused");
    let r = record(&l, "fa-1").await.expect("the call is recorded");
    assert_eq!(
        said(&r),
        (OWN.into(), None, Some("store_unavailable".into()))
    );
    wait_for_dnd(&l).await;
    assert_eq!(emailed_callback(&name).await, OWN);
    assert_eq!(held(&l).await, vec![], "no pool number held");
    let end = l.post("/calls/ended", &ended("fa-1", "a-42")).await;
    assert_eq!(end.status, 204, "the recorded call can be ended");
}

/// b. Reads slower than the whole budget: the dial stops waiting in time to
/// record the call (`timeout`) and answers within its budget.
#[tokio::test]
async fn reads_slower_than_the_budget_still_record_the_call_in_time() {
    let (l, proxy, name) = rig(2).await;
    proxy.inject(
        "BatchGetItem",
        Fault::Latency(Duration::from_secs(4)),
        usize::MAX,
    );
    let a = dial_911(&l, "fb-1").await;
    proxy.clear();
    assert_eq!(summary(&a), (200, "emergency", OWN, true, Some("timeout")));
    assert_within_budget(&a);
    let r = record(&l, "fb-1").await.expect("the call is recorded");
    assert_eq!(said(&r), (OWN.into(), None, Some("timeout".into())));
    wait_for_dnd(&l).await;
    assert_eq!(emailed_callback(&name).await, OWN);
    assert_eq!(held(&l).await, vec![], "no pool number held");
}

/// c. The lease transaction commits but its answer never comes: the dial's
/// follow-up finds the committed record, so the answer is the leased number,
/// the one the record, the e-mail and the pool hold.
#[tokio::test]
async fn a_committed_lease_whose_answer_is_lost_is_the_answer() {
    let (l, proxy, name) = rig(2).await;
    proxy.inject("TransactWriteItems", Fault::ForwardThenDrop, 1);
    let a = dial_911(&l, "fc-1").await;
    proxy.clear();
    assert_within_budget(&a);
    let number = leased(&a);
    assert!(
        proxy.seen("TransactWriteItems") >= 2,
        "the lost write and what settled it"
    );
    let r = record(&l, "fc-1").await.expect("the call is recorded");
    assert_eq!(said(&r), (number.clone(), Some(number.clone()), None));
    wait_for_dnd(&l).await;
    assert_eq!(emailed_callback(&name).await, number);
    assert_eq!(held(&l).await, vec![(number.clone(), Some("a-42".into()))]);
    // Another agent gets the other number, not the held one.
    let other = send(&l, &dial("fc-2", "a-43", "911")).await;
    assert_ne!(leased(&other), number);
}

/// d. The lease transaction's first attempt commits but answers late (after
/// the SDK's attempt timeout); the SDK's retry meets
/// TransactionInProgressException. The answer, the record and the e-mail
/// still agree on one number.
#[tokio::test]
async fn a_late_commit_and_a_retry_in_progress_agree_on_one_number() {
    let (l, proxy, name) = rig(2).await;
    // Earlier rules win: the first request is delayed, the next one refused.
    proxy.inject(
        "TransactWriteItems",
        Fault::ForwardThenDelay(Duration::from_millis(1500)),
        1,
    );
    proxy.inject("TransactWriteItems", Fault::transaction_in_progress(), 1);
    let a = dial_911(&l, "fd-1").await;
    proxy.clear();
    assert_within_budget(&a);
    println!(
        "TransactWriteItems requests: {}",
        proxy.seen("TransactWriteItems")
    );
    let number = leased(&a);
    let r = record(&l, "fd-1").await.expect("the call is recorded");
    assert_eq!(said(&r), (number.clone(), Some(number.clone()), None));
    wait_for_dnd(&l).await;
    assert_eq!(emailed_callback(&name).await, number);
    assert_eq!(held(&l).await, vec![(number, Some("a-42".into()))]);
}

/// e. Throttling on every transaction, outlasting the SDK's retries: no
/// number is leased; the call goes out with the own number, and its record
/// (a plain conditional put, not a transaction) still goes through.
#[tokio::test]
async fn throttled_transactions_still_record_the_call_with_the_own_number() {
    let (l, proxy, name) = rig(2).await;
    proxy.inject("TransactWriteItems", Fault::throttling(), usize::MAX);
    let a = dial_911(&l, "fe-1").await;
    let writes = proxy.seen("TransactWriteItems");
    proxy.clear();
    println!("TransactWriteItems requests: {writes}");
    assert_eq!(
        summary(&a),
        (200, "emergency", OWN, true, Some("store_unavailable"))
    );
    assert_within_budget(&a);
    assert_eq!(held(&l).await, vec![], "no pool number held");
    let r = record(&l, "fe-1").await.expect("the call is recorded");
    assert_eq!(
        said(&r),
        (OWN.into(), None, Some("store_unavailable".into()))
    );
    wait_for_dnd(&l).await;
    assert_eq!(emailed_callback(&name).await, OWN);
}

/// f. DynamoDB refusing every connection from the dial: the answer still
/// comes, within the budget, with the own number; the call goes to the outbox
/// (SQS), and call-outbox, which reaches the table, records it: Do Not
/// Disturb and the e-mail follow, with the number presented.
#[tokio::test]
async fn refused_connections_answer_in_time_and_the_outbox_records_the_call() {
    let (l, proxy, name) = rig_with(2, &[("LIFELINE_E2E_OUTBOX", "1")]).await;
    proxy.refuse(true);
    let a = dial_911(&l, "ff-1").await;
    assert_eq!(
        summary(&a),
        (200, "emergency", OWN, true, Some("store_unavailable"))
    );
    assert_within_budget(&a);
    assert!(proxy.refused_connections() > 0);
    // The table answers again (the presence API the test reads goes through
    // the proxy); the outbox's consumer records the call.
    proxy.refuse(false);
    let deadline = Instant::now() + STREAM_WAIT;
    let r = loop {
        if let Some(r) = record(&l, "ff-1").await {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "the outbox never recorded the call"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        said(&r),
        (OWN.into(), None, Some("store_unavailable".into()))
    );
    wait_for_dnd(&l).await;
    assert_eq!(emailed_callback(&name).await, OWN);
    assert_eq!(held(&l).await, vec![], "no pool number held");
}

/// g. A dial whose signature does not verify: a 911 still goes out with the
/// number it gave, nothing read or written; an ordinary number is refused.
#[tokio::test]
async fn an_unauthenticated_911_goes_out_with_its_own_number_and_writes_nothing() {
    let (l, proxy, name) = rig(2).await;
    let body = dial("fg-1", "a-42", "911").to_string();
    let wrong = lifeline_edge::webhook::WebhookSecret::new("not-the-secret")
        .expect("secret")
        .sign(
            chrono::Utc::now().timestamp(),
            lifeline_edge::webhook::Signed::post("/calls/outbound", body.as_bytes()),
        );
    let r = l.post_raw("/calls/outbound", &body, Some(&wrong)).await;
    println!("unauthenticated 911: {} {}", r.status, r.json);
    assert_eq!(
        (
            r.status,
            r.json["action"].as_str(),
            r.json["callerId"].as_str(),
            r.json["degraded"].as_bool(),
            r.json["reason"].as_str()
        ),
        (
            200,
            Some("emergency"),
            Some(OWN),
            Some(true),
            Some("unauthenticated")
        )
    );
    assert_eq!(proxy.seen("*"), 0, "nothing read or written");
    assert!(record(&l, "fg-1").await.is_none(), "no call record");

    let ordinary = dial("fg-2", "a-42", "14255550123").to_string();
    let r = l.post_raw("/calls/outbound", &ordinary, Some(&wrong)).await;
    assert_eq!(r.status, 401, "{}", r.json);
    assert_eq!(proxy.seen("*"), 0);

    // No e-mail: a genuine dial afterwards is the first and only one e-mailed
    // (the stream delivers in order, and fg-1 left nothing on it).
    let genuine = dial_911(&l, "fg-3").await;
    let number = leased(&genuine);
    assert_eq!(emailed_callback(&name).await, number);
    let all = emails(&name).await.expect("moto answers");
    assert_eq!(all.len(), 1, "only the genuine dial's");
}

/// h. The webhook retried after case c's lost answer: the retry gets the
/// same answer, from the record, and changes nothing (a warm container's
/// write is refused and returns the record).
#[tokio::test]
async fn a_retried_webhook_after_a_lost_answer_gets_the_same_answer() {
    let (l, proxy, name) = rig(2).await;
    let body = dial("fh-1", "a-42", "9-911");
    proxy.inject("TransactWriteItems", Fault::ForwardThenDrop, 1);
    let first = send(&l, &body).await;
    proxy.clear();
    let writes = proxy.seen("TransactWriteItems");
    let retry = send(&l, &body).await;
    assert_within_budget(&first);
    assert_within_budget(&retry);
    let number = leased(&first);
    assert_eq!(retry.json, first.json, "the same answer");
    assert!(
        proxy.seen("TransactWriteItems") <= writes + 1,
        "the retry makes at most the one refused write"
    );
    let r = record(&l, "fh-1").await.expect("the call is recorded");
    assert_eq!(said(&r), (number.clone(), Some(number.clone()), None));
    assert_eq!(emailed_callback(&name).await, number);
    assert_eq!(held(&l).await, vec![(number, Some("a-42".into()))]);
}
