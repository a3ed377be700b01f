//! A dead letter planted in a failure queue, naming another function than
//! the stage's own: `lifeline dlq replay` refuses it and invokes nothing (no
//! e-mail goes out for it), while the genuine letter beside it replays.

use super::*;
use lifeline_e2e::start_with;
use serde_json::json;
use std::time::{Duration, Instant};

/// What the runner's Invoke API would resolve to the notifier (any
/// `lifeline-…-notifier`), were the letter's own name ever used.
const FOREIGN: &str =
    "arn:aws:lambda:us-east-1:000000000000:function:lifeline-elsewhere-notifier:$LATEST";

/// Replays the dead letters `ids` (all, when empty) as `lifeline dlq replay` does.
async fn replay(
    l: &lifeline_e2e::Local,
    ids: &[String],
) -> (lifeline_cli::dlq::ReplaySummary, String) {
    let clients = l.dead_letter_clients().await;
    let places = lifeline_cli::dlq::Places {
        stage: lifeline_cli::dlq::Stage::parse(&l.stage).expect("stage"),
        failure_bucket: None,
        only: None,
    };
    let letters = lifeline_cli::dlq::gather(&clients, &places)
        .await
        .expect("gather")
        .letters;
    let chosen = lifeline_cli::dlq::select(&letters, ids, ids.is_empty()).expect("select");
    let mut out = Vec::new();
    let summary = lifeline_cli::dlq::replay(&clients, &chosen, &mut out).await;
    (summary, String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn a_planted_letter_naming_a_foreign_function_is_refused_and_nothing_is_invoked() {
    let retries = lifeline_edge::events::ASYNC_DELIVERY.max_retries as usize;
    let l = start_with(
        1,
        &[("LIFELINE_E2E_SES_FAIL_FIRST", &(retries + 1).to_string())],
    )
    .await;
    let tag = &l.table[4..16];
    let to = agent_with_recipients(&l, "a-69", &format!("planted+{tag}@example.com")).await;
    let body = json!({"callId": format!("pl-{tag}"), "agentId": "a-69", "dialed": "911", "from": "+14255550160"});
    assert_eq!(l.post("/calls/outbound", &body).await.status, 200);
    let genuine = wait_for_dead_letters(&l, 1, Duration::from_secs(30)).await;
    assert_eq!(l.ses_fault.remaining(), 0, "SES answers again");

    // The same failure record, naming another function: planted beside it.
    let clients = l.dead_letter_clients().await;
    let places = lifeline_cli::dlq::Places {
        stage: lifeline_cli::dlq::Stage::parse(&l.stage).expect("stage"),
        failure_bucket: None,
        only: None,
    };
    let letters = lifeline_cli::dlq::gather(&clients, &places)
        .await
        .expect("gather")
        .letters;
    let mut record = letters[0].payload.clone();
    record["requestContext"]["functionArn"] = json!(FOREIGN);
    let queue = format!("lifeline-{}-notifier-failures", l.stage);
    clients
        .send(&queue, &record.to_string())
        .await
        .expect("plant the letter");
    let listed = wait_for_dead_letters(&l, 2, Duration::from_secs(10)).await;
    let planted = listed
        .iter()
        .find(|d| d["id"] != genuine[0]["id"])
        .expect("the planted letter");
    assert_eq!(planted["replayable"], false, "{planted}");
    assert!(
        planted["replay"]
            .as_str()
            .unwrap_or("")
            .starts_with("refused: names function lifeline-elsewhere-notifier"),
        "{planted}"
    );

    // Replayed by its id: refused, said, kept; the notifier never runs.
    let before = l.consumer_calls["notifier"].snapshot();
    let planted_id = planted["id"].as_str().expect("id").to_string();
    let (summary, out) = replay(&l, std::slice::from_ref(&planted_id)).await;
    println!("{out}");
    assert_eq!((summary.refused, summary.replayed), (1, 0), "{out}");
    assert!(
        out.contains("refused") && out.contains("lifeline-elsewhere-notifier"),
        "{out}"
    );
    l.settled().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        l.consumer_calls["notifier"].snapshot(),
        before,
        "nothing invoked"
    );
    assert!(
        emails_to(&to).await.is_empty(),
        "no e-mail for the planted letter"
    );

    // --all: the genuine one replays (one e-mail), the planted one is refused again.
    let (summary, out) = replay(&l, &[]).await;
    println!("{out}");
    assert_eq!((summary.replayed, summary.refused), (1, 1), "{out}");
    let (sent, _) = wait_for_email(&to, Instant::now()).await;
    assert_eq!(sent.len(), 1);
    let left = l.dead_letters().await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(
        left[0]["id"],
        planted_id.as_str(),
        "the planted one is kept"
    );
}
