//! The incident end to end: the dial's and the end's records reach
//! incident-log through DynamoDB Local's stream and the runner's bus (as on
//! AWS), and `lifeline incident show --json` reads what it wrote.

use lifeline_app::ports::IncidentStore;
use lifeline_cli::cmd::incident::{incident_json, show};
use lifeline_e2e::{dial, ended, start, Local};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The incident as `lifeline incident show <call> --json` prints it, once
/// `done` holds of it (or after 10 s, whatever it is then).
async fn incident_when(l: &Local, call: &str, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let v = match show(&l.store, &call.parse().expect("call id")).await {
            Ok(record) => incident_json(&record),
            Err(_) => Value::Null,
        };
        if done(&v) || started.elapsed() > Duration::from_secs(10) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn kinds(v: &Value) -> Vec<String> {
    v["timeline"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|e| e["kind"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn has(v: &Value, kind: &str) -> bool {
    kinds(v).iter().any(|k| k == kind)
}

#[tokio::test]
async fn a_call_opens_its_incident_and_its_end_closes_it() {
    let l = start(5).await;
    let d = l
        .post("/calls/outbound", &dial("c-1", "a-42", "9 911"))
        .await;
    assert_eq!(d.json["action"], "emergency", "{}", d.json);
    let open = incident_when(&l, "c-1", |v| has(v, "dialed") && has(v, "dnd_on")).await;
    assert_eq!(open["state"], "open", "{open}");
    assert_eq!(open["drill"], false, "{open}");
    assert_eq!(open["agentId"], "a-42");
    assert_eq!(open["acknowledged"], Value::Null);
    let dialed = &open["timeline"][0];
    assert_eq!(dialed["kind"], "dialed", "{open}");
    assert!(
        dialed["callerId"].is_string(),
        "the answer's caller ID: {open}"
    );
    assert!(dialed["locationQuality"].is_string(), "{open}");

    assert_eq!(
        l.post("/calls/ended", &ended("c-1", "a-42")).await.status,
        204
    );
    let closed = incident_when(&l, "c-1", |v| v["state"] == "closed").await;
    assert_eq!(closed["state"], "closed", "{closed}");
    for kind in ["dialed", "dnd_on", "ended", "restored"] {
        assert!(has(&closed, kind), "{kind}: {closed}");
    }
    assert_eq!(kinds(&closed)[0], "dialed", "{closed}");
    let times: Vec<chrono::DateTime<chrono::Utc>> = closed["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["at"].as_str()?.parse().ok())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "sorted by time");

    // Everything delivered again changes nothing.
    l.settled().await;
    let head = l
        .store
        .incident(&"c-1".parse().unwrap())
        .await
        .expect("read");
    assert_eq!(head.head.map(|h| h.state.as_str()), Some("closed"));
}

#[tokio::test]
async fn a_test_call_is_a_drill() {
    let l = start(5).await;
    let d = l
        .post("/calls/outbound", &dial("c-933", "a-42", "9 933"))
        .await;
    assert_eq!(d.json["action"], "emergency", "{}", d.json);
    let v = incident_when(&l, "c-933", |v| has(v, "dialed")).await;
    assert_eq!(v["drill"], true, "{v}");
    assert_eq!(v["timeline"][0]["test"], true, "{v}");
    let listed =
        lifeline_cli::cmd::incident::list(&l.store, lifeline_app::ports::IncidentFilter::Open)
            .await
            .expect("list");
    assert!(
        listed
            .lines()
            .any(|r| r.starts_with("c-933") && r.contains("yes")),
        "{listed}"
    );
}
