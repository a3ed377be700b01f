//! Presence override end to end: the dial's call record reaches the
//! presence-override handler through DynamoDB Local's stream, as on AWS.

use lifeline_e2e::{dial, ended, start};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn dnd_during_the_emergency_then_the_status_reported_meanwhile() {
    let l = start(5).await;
    let put = |s: &'static str| json!({ "status": s });
    let r = l
        .request(
            reqwest::Method::PUT,
            "/agents/a-42/presence",
            Some(&put("available")),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        l.presence("a-42").await,
        json!({"agentId":"a-42","status":"available","override":false})
    );

    l.consumer_calls["presence-override"].reset();
    let d = l
        .post("/calls/outbound", &dial("c-1", "a-42", "9 911"))
        .await;
    assert_eq!(d.json["action"], "emergency");
    let took = l
        .wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;
    println!("presence became do_not_disturb {took:?} after the dial was answered");
    assert!(
        took < Duration::from_secs(3),
        "DND within a couple of seconds: {took:?}"
    );
    let side_effect = l.consumer_calls["presence-override"].snapshot();
    println!("presence override on a call's start: {side_effect:?}");
    assert_eq!(
        side_effect.get("PutItem"),
        Some(&1),
        "one conditional write: {side_effect:?}"
    );
    assert_eq!(
        side_effect.get("BatchGetItem"),
        Some(&1),
        "one read: {side_effect:?}"
    );
    assert_eq!(l.presence("a-42").await["override"], true);

    // The platform reports `away` during the override: still DND.
    let r = l
        .request(
            reqwest::Method::PUT,
            "/agents/a-42/presence",
            Some(&put("away")),
        )
        .await;
    assert_eq!(
        r.json,
        json!({"agentId":"a-42","status":"do_not_disturb","override":true})
    );

    assert_eq!(
        l.post("/calls/ended", &ended("c-1", "a-42")).await.status,
        204
    );
    let took = l
        .wait_for_status("a-42", "away", Duration::from_secs(10))
        .await;
    println!("presence restored to away {took:?} after the end");
    assert_eq!(
        l.presence("a-42").await,
        json!({"agentId":"a-42","status":"away","override":false})
    );
}

#[tokio::test]
async fn presence_routes_refuse_bad_input() {
    let l = start(1).await;
    let r = l
        .request(reqwest::Method::GET, "/agents/nobody/presence", None)
        .await;
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (404, "application/problem+json")
    );
    let r = l
        .request(
            reqwest::Method::PUT,
            "/agents/a-42/presence",
            Some(&json!({"status":"lunch"})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["field"], "status");
    assert!(r.json["detail"]
        .as_str()
        .unwrap_or("")
        .contains("do_not_disturb"));
}

/// A desktop whose clock is four hours slow (or that sends local time marked
/// `Z`): the call's time is the server's, so Do Not Disturb still starts.
#[tokio::test]
async fn a_slow_desktop_clock_still_gets_do_not_disturb() {
    let l = start(5).await;
    let mut body = dial("c-1", "a-42", "911");
    body["timestamp"] = json!((chrono::Utc::now() - chrono::Duration::hours(4)).to_rfc3339());
    let d = l.post("/calls/outbound", &body).await;
    assert_eq!(d.json["action"], "emergency");
    assert_eq!(d.json["degraded"], false);
    l.wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;
    assert_eq!(l.presence("a-42").await["override"], true);
}

/// A desktop that crashed mid-call never reports the end: when the
/// active-call limit passes, the lease's firing lifts the override in
/// storage (not only in the `GET` view), so the stored presence says so.
#[tokio::test]
async fn a_call_that_never_ends_has_its_override_lifted_in_storage() {
    let l = start(5).await;
    let r = l
        .request(
            reqwest::Method::PUT,
            "/agents/a-42/presence",
            Some(&json!({"status": "busy"})),
        )
        .await;
    assert_eq!(r.status, 200);
    let d = l
        .post("/calls/outbound", &dial("c-stuck", "a-42", "911"))
        .await;
    assert_eq!(d.json["degraded"], false, "{}", d.json);
    l.wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;
    let stored = |l: &lifeline_e2e::Local| {
        let (store, agent) = (l.store.clone(), "a-42".parse().expect("agent"));
        async move {
            lifeline_app::ports::PresenceStore::agent_presence(&store, &agent)
                .await
                .expect("read")
                .1
                .expect("stored")
        }
    };
    assert_eq!(stored(&l).await.active.len(), 1);
    let fired = l.advance(241).await;
    assert!(fired >= 1, "the lease's firing");
    l.settled().await;
    let after = stored(&l).await;
    assert!(after.active.is_empty(), "lifted in storage: {after:?}");
    assert_eq!(l.presence("a-42").await["status"], "busy");
}

/// The Connect user the stub knows a-42 as.
const CONNECT_USER: &str = "user-42";

/// A runner with no pool (every emergency dial is degraded: the agent's own
/// number, no lease) and the Connect stub, where a-42 is available.
async fn no_pool_with_connect() -> lifeline_e2e::Local {
    let l = lifeline_e2e::start_with(0, &[("LIFELINE_E2E_CONNECT_STUB", "1")]).await;
    let mut a = lifeline_e2e::agent(
        "a-42",
        lifeline_domain::numbers::Country::US,
        lifeline_domain::route::NumberType::CallingPlan,
        "+14255550100",
    );
    a.platform.connect_user_id = Some(CONNECT_USER.into());
    lifeline_app::ports::AdminStore::put_agent(&l.store, &a)
        .await
        .expect("agent");
    connect(&l).set_status(CONNECT_USER, "st-available");
    l
}

fn connect(l: &lifeline_e2e::Local) -> &lifeline_e2e::connect_stub::ConnectStub {
    l.connect.as_ref().expect("the Connect stub")
}

/// Waits until the stub shows a-42's Connect status `wanted`.
async fn connect_status(l: &lifeline_e2e::Local, wanted: &str) {
    let started = std::time::Instant::now();
    while connect(l).status(CONNECT_USER).as_deref() != Some(wanted) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "Connect status {:?}, waiting for {wanted}",
            connect(l).status(CONNECT_USER)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// a-42's stored presence (not the `GET` view).
async fn stored(l: &lifeline_e2e::Local) -> lifeline_domain::presence::PresenceState {
    let agent = "a-42".parse().expect("agent");
    lifeline_app::ports::PresenceStore::agent_presence(&l.store, &agent)
        .await
        .expect("read")
        .1
        .expect("stored")
}

/// A degraded emergency dial by a-42: Do Not Disturb, on Connect too.
async fn degraded_dial(l: &lifeline_e2e::Local, call: &str) {
    let d = l.post("/calls/outbound", &dial(call, "a-42", "911")).await;
    assert_eq!(
        (d.json["action"].as_str(), d.json["degraded"].as_bool()),
        (Some("emergency"), Some(true)),
        "{}",
        d.json
    );
    l.wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;
    connect_status(l, "st-emergency").await;
}

/// A degraded call (no pool: answered with the agent's own number, so no
/// lease and no lease's firing) whose end never comes: its start schedules
/// the agent's presence check, which fires once the active-call limit
/// passes and lifts the override in storage; `presence.restored` follows,
/// so the agent's Connect status comes back; the agent's next emergency
/// call overrides again.
#[tokio::test]
async fn a_degraded_call_that_never_ends_is_lifted_by_its_presence_check() {
    let l = no_pool_with_connect().await;
    degraded_dial(&l, "c-stuck").await;
    let limit = l.now() + chrono::Duration::hours(4);
    let s = l
        .wait_for_schedules("the presence check", |s| s.len() == 1)
        .await;
    let (name, at) = s.iter().next().expect("one");
    assert_eq!(name, "presence-a-a-42");
    assert!(
        *at > limit && *at <= limit + chrono::Duration::minutes(3),
        "the limit and a margin: {at}"
    );
    assert_eq!(l.advance(239).await, 0, "nothing fires before the limit");
    assert_eq!(stored(&l).await.active.len(), 1);

    assert_eq!(l.advance(4).await, 1, "the presence check fired");
    l.settled().await;
    let after = stored(&l).await;
    assert!(after.active.is_empty(), "lifted in storage: {after:?}");
    connect_status(&l, "st-available").await;
    assert_eq!(
        l.presence("a-42").await,
        json!({"agentId":"a-42","status":"available","override":false})
    );
    assert!(l.schedule_times().await.is_empty(), "done: no next check");

    // The agent's next emergency call overrides again.
    degraded_dial(&l, "c-next").await;
}
