//! A platform `callId` used for more than one call, end to end through the
//! runner: each call gets its own record, Do Not Disturb and e-mail, and
//! the ends find their own calls.

use crate::notify::{emails_to, wait_for_email};
use lifeline_app::ports::{AdminStore, EndStore};
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::numbers::Country;
use lifeline_domain::recipient::Recipients;
use lifeline_domain::route::NumberType;
use lifeline_e2e::{agent, start, Local};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// An agent whose calls e-mail one address of this test's own.
async fn agent_mailing(l: &Local, id: &str, own: &str) -> String {
    let tag = &l.table[4..16];
    let mut a = agent(id, Country::US, NumberType::CallingPlan, own);
    a.recipients = Recipients::parse(&format!("{id}+{tag}@example.com")).expect("recipients");
    l.store.put_agent(&a).await.expect("agent");
    let path = format!("/agents/{id}/presence");
    let put = l
        .request(
            reqwest::Method::PUT,
            &path,
            Some(&json!({"status": "available"})),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.json);
    a.recipients.as_slice()[0].as_str().to_string()
}

fn dial(call: &str, agent: &str, from: &str) -> Value {
    json!({"callId": call, "agentId": agent, "dialed": "911", "from": from,
        "location": {"country": "US"}})
}

async fn record(l: &Local, id: &str, agent: &str) -> Option<EmergencyCall> {
    let id = id.parse().expect("call id");
    let agent = agent.parse().expect("agent id");
    l.store.end_context(&id, &agent).await.expect("read").0
}

async fn wait_for_emails(to: &str, count: usize) {
    let started = Instant::now();
    // Alerts only: a call's end brings its follow-up too.
    let alerts = |all: Vec<lifeline_e2e::SentEmail>| {
        all.into_iter()
            .filter(|e| !e.subject.contains(" ended"))
            .count()
    };
    while alerts(emails_to(to).await) < count {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "fewer than {count} e-mails to {to}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A desktop restarts and reuses `c-1` after its first call ended: a new
/// call — a callback number live again, Do Not Disturb again, a second
/// e-mail — and the first call's record is kept as it was.
#[tokio::test]
async fn a_call_id_reused_after_its_call_ended_is_a_new_call() {
    let l = start(3).await;
    let to = agent_mailing(&l, "a-70", "+14255550170").await;
    let first = l
        .post("/calls/outbound", &dial("c-1", "a-70", "+14255550170"))
        .await;
    assert_eq!(first.json["degraded"], false, "{}", first.json);
    wait_for_email(&to, Instant::now()).await;
    l.wait_for_status("a-70", "do_not_disturb", Duration::from_secs(10))
        .await;
    let end = l
        .post("/calls/ended", &json!({"callId": "c-1", "agentId": "a-70"}))
        .await;
    assert_eq!(end.status, 204);
    l.wait_for_status("a-70", "available", Duration::from_secs(10))
        .await;

    // 90 minutes later (the first callback window is over), the same id.
    l.advance(90).await;
    let again = l
        .post("/calls/outbound", &dial("c-1", "a-70", "+14255550170"))
        .await;
    assert_eq!(again.json["callId"], "c-1");
    assert_eq!(again.json["degraded"], false, "{}", again.json);
    assert_ne!(
        again.json["callbackExpiresAt"], first.json["callbackExpiresAt"],
        "a callback window of its own, not the old answer"
    );
    let second = record(&l, "c-1~2", "a-70")
        .await
        .expect("the new call's record");
    assert_eq!(second.caller_id.as_str(), again.json["callerId"]);
    assert!(second.ended_at.is_none());
    let kept = record(&l, "c-1", "a-70")
        .await
        .expect("the first call's record");
    assert!(kept.ended_at.is_some(), "the first call stays ended");
    l.wait_for_status("a-70", "do_not_disturb", Duration::from_secs(10))
        .await;
    wait_for_emails(&to, 2).await;

    // Its end ends the new call, and Do Not Disturb with it.
    let end = l
        .post("/calls/ended", &json!({"callId": "c-1", "agentId": "a-70"}))
        .await;
    assert_eq!(end.status, 204);
    l.wait_for_status("a-70", "available", Duration::from_secs(10))
        .await;
    let ended = record(&l, "c-1~2", "a-70").await.expect("record");
    assert!(ended.ended_at.is_some());
}

/// Two agents' desktops collide on `c-1`: the second is a real emergency
/// too — its own number, `call_id_conflict`, and its own record, Do Not
/// Disturb and e-mail; each end ends its own agent's call.
#[tokio::test]
async fn a_call_id_collision_records_the_second_call_apart() {
    let l = start(3).await;
    let to_first = agent_mailing(&l, "a-71", "+14255550171").await;
    let to_second = agent_mailing(&l, "a-72", "+14255550172").await;
    let first = l
        .post("/calls/outbound", &dial("c-1", "a-71", "+14255550171"))
        .await;
    assert_eq!(first.json["degraded"], false);
    let second = l
        .post("/calls/outbound", &dial("c-1", "a-72", "+14255550172"))
        .await;
    assert_eq!(second.json["reason"], "call_id_conflict");
    assert_eq!(second.json["callerId"], "+14255550172", "its own number");
    let apart = record(&l, "c-1~2", "a-72").await.expect("recorded apart");
    assert_eq!(apart.agent_id.as_str(), "a-72");
    for agent in ["a-71", "a-72"] {
        l.wait_for_status(agent, "do_not_disturb", Duration::from_secs(10))
            .await;
    }
    wait_for_emails(&to_first, 1).await;
    wait_for_emails(&to_second, 1).await;

    // a-72's end: a-72's call, not a-71's.
    let end = l
        .post("/calls/ended", &json!({"callId": "c-1", "agentId": "a-72"}))
        .await;
    assert_eq!(end.status, 204);
    l.wait_for_status("a-72", "available", Duration::from_secs(10))
        .await;
    assert_eq!(l.presence("a-71").await["status"], "do_not_disturb");
    assert!(record(&l, "c-1", "a-71")
        .await
        .expect("record")
        .ended_at
        .is_none());
    // The callback to a-71's number still reaches a-71.
    let cb = l
        .post(
            "/calls/inbound",
            &lifeline_e2e::inbound(first.json["callerId"].as_str().expect("n")),
        )
        .await;
    assert_eq!(cb.json["agentId"], "a-71");
}
