//! Replay: what goes through is deleted, what fails again is kept and the
//! reason said, an unknown shape is never replayed.

use serde_json::json;

use super::fake::*;
use super::samples::*;
use crate::*;

async fn replay_ids(fake: &FakeAws, ids: &[&str], all: bool) -> (ReplaySummary, String) {
    let letters = letters_of(fake).await;
    let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    let chosen = select(&letters, &ids, all).unwrap();
    let mut out = Vec::new();
    let summary = replay(fake, &chosen, &mut out).await;
    (summary, String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn a_replay_that_goes_through_deletes_the_message() {
    let fake = every_shape();
    let (summary, out) = replay_ids(&fake, &["a3f1d2c4"], false).await;
    assert_eq!(summary.line(), "replayed 1, failed again 0", "{out}");
    assert!(summary.all_done());
    assert_eq!(
        fake.invoked(),
        vec![(
            LEASE_NAME.to_string(),
            json!({"leaseId": "l-1", "number": "+14255550199", "version": 3})
        )]
    );
    assert!(fake.ids_in("lifeline-prod-lease-expiry-dlq").is_empty());
    assert_no_full_number(&out);
}

#[tokio::test]
async fn a_function_error_keeps_the_message_and_says_why() {
    let fake = every_shape().answering(
        NOTIFIER_NAME,
        Some("Unhandled"),
        json!({"errorType": "SesUnavailable", "errorMessage": "still down"}),
    );
    let (summary, out) = replay_ids(&fake, &["11111111-aaaa-4bbb-8ccc-000000000001"], false).await;
    assert_eq!(summary.line(), "replayed 0, failed again 1");
    assert!(!summary.all_done());
    assert!(
        out.contains(
            "failed again 11111111: function error (Unhandled): SesUnavailable: still down"
        ),
        "{out}"
    );
    assert_eq!(fake.ids_in("lifeline-prod-notifier-failures").len(), 2);
}

#[tokio::test]
async fn a_stream_batch_with_failed_items_is_kept() {
    let fake = every_shape().answering(
        STREAM_NAME,
        None,
        json!({"batchItemFailures": [{"itemIdentifier": "4421584500000000017450439092"}]}),
    );
    let (summary, out) = replay_ids(&fake, &[S3_KEY], false).await;
    assert_eq!(summary.failed, 1, "{out}");
    assert!(
        out.contains("1 record(s) of the batch failed again"),
        "{out}"
    );
    assert_eq!(fake.objects.lock().unwrap().len(), 1, "the object is kept");

    // Once they go through, the object is deleted.
    let fake = every_shape().answering(STREAM_NAME, None, json!({"batchItemFailures": []}));
    let (summary, _) = replay_ids(&fake, &[S3_KEY], false).await;
    assert_eq!(summary.replayed, 1);
    assert!(fake.objects.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_unknown_shape_is_never_replayed() {
    let fake = every_shape();
    let (summary, out) = replay_ids(&fake, &["11111111-aaaa-4bbb-8ccc-000000000002"], false).await;
    assert_eq!(summary.not_replayable, 1);
    assert!(!summary.all_done());
    assert!(fake.invoked().is_empty());
    assert!(
        out.contains("not replayed 11111111: unknown shape"),
        "{out}"
    );
    assert_no_full_number(&out);
    assert_eq!(fake.ids_in("lifeline-prod-notifier-failures").len(), 2);
}

#[tokio::test]
async fn replay_all_takes_every_replayable_one_and_leaves_the_unknown() {
    let fake = every_shape();
    let (summary, out) = replay_ids(&fake, &[], true).await;
    assert_eq!(summary.line(), "replayed 6, failed again 0", "{out}");
    assert!(
        summary.all_done(),
        "an unknown one left behind is no failure of --all"
    );
    assert_eq!(
        fake.ids_in("lifeline-prod-notifier-failures"),
        ["11111111-aaaa-4bbb-8ccc-000000000002"]
    );
    assert_eq!(fake.invoked().len(), 5);
}

#[tokio::test]
async fn the_outbox_plan_sends_the_body_back_then_deletes() {
    let fake = every_shape();
    let (summary, _) = replay_ids(&fake, &["33333333"], false).await;
    assert_eq!(summary.replayed, 1);
    assert_eq!(
        fake.sent.lock().unwrap().clone(),
        vec![(
            "lifeline-prod-call-outbox".to_string(),
            outbox_body().to_string()
        )]
    );
    assert!(fake.ids_in("lifeline-prod-call-outbox-dlq").is_empty());
    assert!(fake.invoked().is_empty());
}
