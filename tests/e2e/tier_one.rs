//! Tier 1 end to end: the agent's recipients and the tenant's security desk
//! each get their own message (their own acknowledgement link); a drill
//! goes to the drill recipients alone.

use lifeline_app::ports::{AdminStore, EscalationStore};
use lifeline_domain::escalation::EscalationPolicy;
use lifeline_domain::numbers::Country;
use lifeline_domain::recipient::Recipients;
use lifeline_domain::route::NumberType;
use lifeline_e2e::{agent, emails_to, start, Local};
use serde_json::json;
use std::time::{Duration, Instant};

async fn setup(l: &Local) -> (String, String, String) {
    let tag = &l.table[4..16];
    let (own, desk, drills) = (
        format!("sup+{tag}@example.com"),
        format!("desk+{tag}@example.com"),
        format!("drills+{tag}@example.com"),
    );
    let mut a = agent("a-90", Country::US, NumberType::CallingPlan, "+14255550190");
    a.recipients = Recipients::parse(&own).expect("recipients");
    l.store.put_agent(&a).await.expect("agent");
    let policy = EscalationPolicy {
        security_desk: Recipients::parse(&desk).expect("desk"),
        drill: Recipients::parse(&drills).expect("drills"),
        ..Default::default()
    };
    l.store
        .put_escalation_policy(&policy)
        .await
        .expect("policy");
    (own, desk, drills)
}

async fn wait_for(to: &str) -> String {
    let started = Instant::now();
    loop {
        if let Some(e) = emails_to(to).await.into_iter().next() {
            return e.body.replace("&#x2f;", "/");
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no e-mail to {to}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn link_in(body: &str) -> String {
    let at = body.find("/ack/").expect("a link");
    body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-_./".contains(*c))
        .collect()
}

#[tokio::test]
async fn the_security_desk_is_alerted_with_the_agent_and_a_drill_alerts_the_drill_list_alone() {
    let l = start(2).await;
    let (own, desk, drills) = setup(&l).await;
    let tag = &l.table[4..16];
    let dial = |call: String, dialed: &str| {
        json!({"callId": call, "agentId": "a-90", "dialed": dialed, "from": "+14255550190",
            "location": {"country": "US"}})
    };
    let r = l
        .post("/calls/outbound", &dial(format!("t1-{tag}"), "911"))
        .await;
    assert_eq!(r.json["action"], "emergency");
    let (to_own, to_desk) = (wait_for(&own).await, wait_for(&desk).await);
    assert_ne!(link_in(&to_own), link_in(&to_desk), "each their own link");

    // A drill: the drill list alone, TEST first.
    let r = l
        .post("/calls/outbound", &dial(format!("t2-{tag}"), "933"))
        .await;
    assert_eq!(r.json["test"], true);
    let to_drills = wait_for(&drills).await;
    assert!(to_drills.contains("TEST"), "{to_drills}");
    l.settled().await;
    assert_eq!(
        emails_to(&own).await.len(),
        1,
        "the agent's list had the real call only"
    );
    assert_eq!(
        emails_to(&desk).await.len(),
        1,
        "the desk had the real call only"
    );
}
