//! Platform presence on the local system, against a stub of the Amazon
//! Connect API (`tests/support/connect_stub.rs`, after the API reference)
//! and one of Twilio TaskRouter's (`tests/support/taskrouter_stub.rs`, after
//! the Worker resource, https://www.twilio.com/docs/taskrouter/api/worker):
//! an emergency dial puts the agent's status to the emergency status (the
//! worker's activity on TaskRouter), and the call's end puts back the one
//! before, through the table's stream, stream-events, the bus's platform
//! rule and platform-presence.

use lifeline_app::ports::AdminStore;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::NumberType;
use lifeline_e2e::connect_stub::ConnectStub;
use lifeline_e2e::taskrouter_stub::{self, TaskRouterStub};
use lifeline_e2e::{agent, dial, ended, start_with, Local};
use std::time::{Duration, Instant};

mod contact;

const USER: &str = "user-42";

async fn with_connect() -> Local {
    let l = start_with(1, &[("LIFELINE_E2E_CONNECT_STUB", "1")]).await;
    let mut a = agent("a-42", Country::US, NumberType::CallingPlan, "+14255550100");
    a.platform.connect_user_id = Some(USER.into());
    l.store.put_agent(&a).await.expect("agent");
    stub(&l).set_status(USER, "st-available");
    l
}

fn stub(l: &Local) -> &ConnectStub {
    l.connect.as_ref().expect("the Connect stub")
}

/// Polls `current` every 20 ms until it is `wanted`: how long that took.
/// Past `within`, fails naming `what` and the stub's requests.
async fn wait_until(
    what: &str,
    current: impl Fn() -> Option<String>,
    wanted: &str,
    within: Duration,
    requests: impl Fn() -> String,
) -> Duration {
    let started = Instant::now();
    loop {
        if current().as_deref() == Some(wanted) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "{what} {:?} after {within:?}, waiting for {wanted}; requests: {}",
            current(),
            requests()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_for(l: &Local, status: &str, within: Duration) -> Duration {
    wait_until(
        "Connect status",
        || stub(l).status(USER),
        status,
        within,
        || format!("{:?}", stub(l).seen()),
    )
    .await
}

fn puts(l: &Local) -> Vec<String> {
    stub(l)
        .seen()
        .iter()
        .filter(|s| s.method == "PUT")
        .map(|s| {
            format!(
                "{} {}",
                s.path,
                s.body["AgentStatusId"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[tokio::test]
async fn the_connect_status_follows_the_emergency_call_and_comes_back() {
    let l = with_connect().await;
    assert_eq!(
        l.post("/calls/outbound", &dial("pc-1", "a-42", "911"))
            .await
            .status,
        200
    );
    let took = wait_for(&l, "st-emergency", Duration::from_secs(5)).await;
    println!("dial answered → Connect status Emergency call after {took:?}");
    assert!(took < Duration::from_secs(1), "{took:?}");
    // The operations and parameters of the API reference.
    let seen = stub(&l).seen();
    let read = seen
        .iter()
        .find(|s| s.method == "POST")
        .expect("GetCurrentUserData");
    assert_eq!(read.path, "/metrics/userdata/inst-1");
    assert_eq!(read.body["Filters"]["Agents"], serde_json::json!([USER]));
    assert_eq!(puts(&l), ["/users/inst-1/user-42/status st-emergency"]);

    assert_eq!(
        l.post("/calls/ended", &ended("pc-1", "a-42")).await.status,
        204
    );
    wait_for(&l, "st-available", Duration::from_secs(5)).await;
    assert_eq!(
        puts(&l),
        [
            "/users/inst-1/user-42/status st-emergency",
            "/users/inst-1/user-42/status st-available"
        ]
    );
}

#[tokio::test]
async fn a_supervisors_change_during_the_call_is_not_overwritten() {
    let l = with_connect().await;
    l.post("/calls/outbound", &dial("pc-2", "a-42", "911"))
        .await;
    wait_for(&l, "st-emergency", Duration::from_secs(5)).await;
    stub(&l).set_status(USER, "st-break");
    let reads_before = stub(&l).seen().len();
    l.post("/calls/ended", &ended("pc-2", "a-42")).await;
    l.wait_for_status("a-42", "available", Duration::from_secs(5))
        .await;
    // The restore read the status and left the supervisor's.
    let started = Instant::now();
    while stub(&l).seen().len() == reads_before {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no restore attempt"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    l.settled().await;
    assert_eq!(stub(&l).status(USER).as_deref(), Some("st-break"));
    assert_eq!(puts(&l), ["/users/inst-1/user-42/status st-emergency"]);
}

#[tokio::test]
async fn a_failing_connect_gets_the_status_once_it_answers() {
    let l = with_connect().await;
    // Enough 500s to exhaust the SDK's own retries on the first invocation.
    stub(&l).fail_next(4);
    l.post("/calls/outbound", &dial("pc-3", "a-42", "911"))
        .await;
    let took = wait_for(&l, "st-emergency", Duration::from_secs(10)).await;
    println!("Connect failing 4 requests: the emergency status after {took:?}");
    // The failures were answered (reads retried by the SDK, then by Lambda),
    // and the status was set exactly once.
    let reads = stub(&l)
        .seen()
        .iter()
        .filter(|s| s.method == "POST")
        .count();
    assert!(reads >= 5, "{reads} reads for 4 failures");
    assert_eq!(puts(&l), ["/users/inst-1/user-42/status st-emergency"]);
    l.post("/calls/ended", &ended("pc-3", "a-42")).await;
    wait_for(&l, "st-available", Duration::from_secs(5)).await;
}

// ---------------------------------------------------------------- Twilio TaskRouter

const WORKER: &str = "WK00000000000000000000000000000042";

async fn with_taskrouter() -> Local {
    let l = start_with(1, &[("LIFELINE_E2E_TASKROUTER_STUB", "1")]).await;
    let mut a = agent("a-42", Country::US, NumberType::CallingPlan, "+14255550100");
    a.platform.twilio_worker_sid = Some(WORKER.into());
    l.store.put_agent(&a).await.expect("agent");
    taskrouter(&l).set_activity(WORKER, taskrouter_stub::AVAILABLE);
    l
}

fn taskrouter(l: &Local) -> &TaskRouterStub {
    l.taskrouter.as_ref().expect("the TaskRouter stub")
}

async fn wait_for_activity(l: &Local, activity: &str, within: Duration) -> Duration {
    wait_until(
        "TaskRouter activity",
        || taskrouter(l).activity(WORKER),
        activity,
        within,
        || format!("{:?}", taskrouter(l).seen()),
    )
    .await
}

fn worker_path() -> String {
    format!(
        "/v1/Workspaces/{}/Workers/{WORKER}",
        taskrouter_stub::WORKSPACE_SID
    )
}

/// The updates (`POST`): path and form, each checked for Basic auth and the
/// form content type.
fn updates(l: &Local) -> Vec<String> {
    taskrouter(l)
        .seen()
        .iter()
        .filter(|s| s.method == "POST")
        .map(|s| {
            assert_eq!(
                s.authorization.as_deref(),
                Some(taskrouter_stub::basic_auth().as_str())
            );
            assert_eq!(
                s.content_type.as_deref(),
                Some("application/x-www-form-urlencoded")
            );
            let form: Vec<String> = s.form.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{} {}", s.path, form.join("&"))
        })
        .collect()
}

/// The update to the emergency activity: it rejects a pending task offer.
fn emergency_update() -> String {
    format!(
        "{} ActivitySid={}&RejectPendingReservations=true",
        worker_path(),
        taskrouter_stub::EMERGENCY
    )
}

fn fetches(l: &Local) -> usize {
    taskrouter(l)
        .seen()
        .iter()
        .filter(|s| s.method == "GET")
        .count()
}

#[tokio::test]
async fn the_taskrouter_activity_follows_the_emergency_call_and_comes_back() {
    let l = with_taskrouter().await;
    assert_eq!(
        l.post("/calls/outbound", &dial("pc-11", "a-42", "911"))
            .await
            .status,
        200
    );
    let took = wait_for_activity(&l, taskrouter_stub::EMERGENCY, Duration::from_secs(5)).await;
    println!("dial answered → TaskRouter activity Emergency call after {took:?}");
    assert!(took < Duration::from_secs(1), "{took:?}");
    // Fetch, then update, the Worker resource, with Basic auth AccountSid:AuthToken.
    let seen = taskrouter(&l).seen();
    let fetch = seen
        .iter()
        .find(|s| s.method == "GET")
        .expect("fetch worker");
    assert_eq!(fetch.path, worker_path());
    assert!(fetch.form.is_empty());
    assert_eq!(
        fetch.authorization.as_deref(),
        Some(taskrouter_stub::basic_auth().as_str())
    );
    assert_eq!(updates(&l), [emergency_update()]);

    assert_eq!(
        l.post("/calls/ended", &ended("pc-11", "a-42")).await.status,
        204
    );
    wait_for_activity(&l, taskrouter_stub::AVAILABLE, Duration::from_secs(5)).await;
    assert_eq!(
        updates(&l),
        [
            emergency_update(),
            format!(
                "{} ActivitySid={}",
                worker_path(),
                taskrouter_stub::AVAILABLE
            ),
        ]
    );
}

#[tokio::test]
async fn a_supervisors_taskrouter_change_during_the_call_is_not_overwritten() {
    let l = with_taskrouter().await;
    l.post("/calls/outbound", &dial("pc-12", "a-42", "911"))
        .await;
    wait_for_activity(&l, taskrouter_stub::EMERGENCY, Duration::from_secs(5)).await;
    taskrouter(&l).set_activity(WORKER, taskrouter_stub::BREAK);
    let fetches_before = fetches(&l);
    l.post("/calls/ended", &ended("pc-12", "a-42")).await;
    l.wait_for_status("a-42", "available", Duration::from_secs(5))
        .await;
    // The restore fetched the worker and left the supervisor's activity.
    let started = Instant::now();
    while fetches(&l) == fetches_before {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no restore attempt"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    l.settled().await;
    assert_eq!(
        taskrouter(&l).activity(WORKER).as_deref(),
        Some(taskrouter_stub::BREAK)
    );
    assert_eq!(updates(&l), [emergency_update()]);
}

#[tokio::test]
async fn a_failing_taskrouter_gets_the_activity_once_it_answers() {
    let l = with_taskrouter().await;
    // Enough 500s to exhaust the client's own attempts on the first invocation.
    taskrouter(&l).fail_next(4);
    l.post("/calls/outbound", &dial("pc-13", "a-42", "911"))
        .await;
    let took = wait_for_activity(&l, taskrouter_stub::EMERGENCY, Duration::from_secs(10)).await;
    println!("TaskRouter failing 4 requests: the emergency activity after {took:?}");
    // The failures were answered (fetches retried by the client, then by
    // Lambda), and the activity was updated exactly once.
    assert!(fetches(&l) >= 5, "{} fetches for 4 failures", fetches(&l));
    assert_eq!(updates(&l), [emergency_update()]);
    l.post("/calls/ended", &ended("pc-13", "a-42")).await;
    wait_for_activity(&l, taskrouter_stub::AVAILABLE, Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_pending_task_offer_does_not_hold_the_emergency_activity_back() {
    let l = with_taskrouter().await;
    // TaskRouter offered the worker a task just before the emergency dial:
    // an update without RejectPendingReservations=true is refused (20001).
    let offer = taskrouter(&l).offer_task(WORKER);
    l.post("/calls/outbound", &dial("pc-14", "a-42", "911"))
        .await;
    wait_for_activity(&l, taskrouter_stub::EMERGENCY, Duration::from_secs(5)).await;
    assert_eq!(
        taskrouter(&l).reservations(WORKER),
        [taskrouter_stub::Reservation {
            sid: offer,
            status: "rejected".into()
        }]
    );
    assert_eq!(updates(&l), [emergency_update()]);
    // The restore sends no flag (no offer is pending for an unavailable worker).
    l.post("/calls/ended", &ended("pc-14", "a-42")).await;
    wait_for_activity(&l, taskrouter_stub::AVAILABLE, Duration::from_secs(5)).await;
    assert_eq!(
        updates(&l).last().map(String::as_str),
        Some(
            format!(
                "{} ActivitySid={}",
                worker_path(),
                taskrouter_stub::AVAILABLE
            )
            .as_str()
        )
    );
}
