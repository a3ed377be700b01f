//! Amazon Connect's next status: the emergency call is itself a contact,
//! and `PutUserStatus` on an agent handling a contact sets the agent's next
//! status, current once the contact and its after-contact work end. The
//! stub models it; these follow a real call's order (agent Available, the
//! emergency contact reaches the agent, Lifeline's override, the contact
//! ends into after-contact work, Lifeline's restore, the work is done).

use super::{puts, stub, wait_until, with_connect, USER};
use lifeline_e2e::{dial, ended, Local};
use std::time::{Duration, Instant};

const CONTACT: &str = "ct-emergency-1";

async fn wait_for_next(l: &Local, status: &str) {
    wait_until(
        "Connect next status",
        || stub(l).next_status(USER),
        status,
        Duration::from_secs(5),
        || format!("{:?}", stub(l).seen()),
    )
    .await;
}

/// The agent on the emergency contact, and Lifeline's override applied:
/// the emergency status waits as the next status; the current one is the
/// agent's still.
async fn on_the_emergency_contact(call: &str) -> Local {
    let l = with_connect().await;
    stub(&l).start_contact(USER, CONTACT);
    assert_eq!(
        l.post("/calls/outbound", &dial(call, "a-42", "911"))
            .await
            .status,
        200
    );
    wait_for_next(&l, "st-emergency").await;
    assert_eq!(stub(&l).status(USER).as_deref(), Some("st-available"));
    assert_eq!(puts(&l), ["/users/inst-1/user-42/status st-emergency"]);
    l
}

/// Waits for a request after the `reads_before` first (the restore's
/// read), then for the system to settle.
async fn restore_attempted(l: &Local, reads_before: usize) {
    let started = Instant::now();
    while stub(l).seen().len() == reads_before {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no restore attempt"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    l.settled().await;
}

#[tokio::test]
async fn during_after_contact_work_the_restore_replaces_the_pending_emergency_status() {
    let l = on_the_emergency_contact("pc-21").await;
    // The call ends: the agent is in its after-contact work when Lifeline's
    // restore arrives.
    stub(&l).end_contact(USER, CONTACT);
    assert_eq!(
        l.post("/calls/ended", &ended("pc-21", "a-42")).await.status,
        204
    );
    wait_for_next(&l, "st-available").await;
    assert_eq!(
        puts(&l),
        [
            "/users/inst-1/user-42/status st-emergency",
            "/users/inst-1/user-42/status st-available"
        ]
    );
    // The work done, the agent lands in Available, never in Emergency call.
    stub(&l).finish_after_contact_work(USER, CONTACT);
    assert_eq!(stub(&l).status(USER).as_deref(), Some("st-available"));
    assert_eq!(stub(&l).next_status(USER), None);
}

#[tokio::test]
async fn still_on_the_contact_the_restore_replaces_the_pending_emergency_status() {
    let l = on_the_emergency_contact("pc-22").await;
    // Lifeline's call ends before Connect's contact does.
    l.post("/calls/ended", &ended("pc-22", "a-42")).await;
    wait_for_next(&l, "st-available").await;
    stub(&l).end_contact(USER, CONTACT);
    stub(&l).finish_after_contact_work(USER, CONTACT);
    assert_eq!(stub(&l).status(USER).as_deref(), Some("st-available"));
    assert_eq!(stub(&l).next_status(USER), None);
}

#[tokio::test]
async fn after_the_after_contact_work_the_emergency_status_is_current_and_restored() {
    let l = on_the_emergency_contact("pc-23").await;
    // The contact and its work end before Lifeline's restore arrives: the
    // emergency status has become current.
    stub(&l).end_contact(USER, CONTACT);
    stub(&l).finish_after_contact_work(USER, CONTACT);
    assert_eq!(stub(&l).status(USER).as_deref(), Some("st-emergency"));
    l.post("/calls/ended", &ended("pc-23", "a-42")).await;
    super::wait_for(&l, "st-available", Duration::from_secs(5)).await;
    assert_eq!(stub(&l).next_status(USER), None);
}

#[tokio::test]
async fn a_next_status_a_supervisor_set_during_the_contact_stays() {
    let l = on_the_emergency_contact("pc-24").await;
    // The supervisor sets Break: during the contact, the next status.
    stub(&l).set_status(USER, "st-break");
    assert_eq!(stub(&l).next_status(USER).as_deref(), Some("st-break"));
    stub(&l).end_contact(USER, CONTACT);
    let reads_before = stub(&l).seen().len();
    l.post("/calls/ended", &ended("pc-24", "a-42")).await;
    l.wait_for_status("a-42", "available", Duration::from_secs(5))
        .await;
    restore_attempted(&l, reads_before).await;
    assert_eq!(puts(&l), ["/users/inst-1/user-42/status st-emergency"]);
    // The restore learnt which status "Break" is (the statuses' pages).
    assert!(
        stub(&l)
            .seen()
            .iter()
            .any(|s| s.method == "GET" && s.path == "/agent-status/inst-1"),
        "{:?}",
        stub(&l).seen()
    );
    stub(&l).finish_after_contact_work(USER, CONTACT);
    assert_eq!(stub(&l).status(USER).as_deref(), Some("st-break"));
}
