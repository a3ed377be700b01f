//! A replay goes only where the letter came from: the stage's own function
//! that its queue (or bucket) belongs to. A letter naming anything else is
//! refused, said, never invoked and kept; the others still replay.

use lifeline_aws::dlq::QueueRef;
use serde_json::{json, Value};

use super::fake::*;
use super::samples::*;
use crate::*;

/// An asynchronous invocation's failure record naming `function_arn`.
fn naming(function_arn: &str) -> Value {
    let mut record = async_failure();
    record["requestContext"]["functionArn"] = json!(function_arn);
    record
}

/// How the letter naming `function_arn`, read from `queue`, would replay.
fn plan_in(queue: &QueueRef, function_arn: &str) -> ReplayPlan {
    classify_message(&stage(), queue, &message("m-1", &naming(function_arn), &[])).replay
}

fn refusal(plan: &ReplayPlan) -> &str {
    match plan {
        ReplayPlan::Refused { why } => why,
        other => panic!("not refused: {other:?}"),
    }
}

fn invoked_name(plan: &ReplayPlan) -> &str {
    match plan {
        ReplayPlan::Invoke { function, .. } => function.name(),
        other => panic!("not invoked: {other:?}"),
    }
}

const FOREIGN: &str = "arn:aws:lambda:us-east-1:123456789012:function:exfiltrate";

#[tokio::test]
async fn a_letter_naming_a_foreign_function_is_refused_and_the_others_still_replay() {
    let planted = message(
        "99999999-aaaa-4bbb-8ccc-000000000001",
        &naming(FOREIGN),
        &[],
    );
    let fake = every_shape();
    fake.queues
        .lock()
        .unwrap()
        .get_mut("lifeline-prod-notifier-failures")
        .unwrap()
        .push(planted);
    let letters = letters_of(&fake).await;
    let chosen = select(&letters, &[], true).unwrap();
    let mut out = Vec::new();
    let summary = replay(&fake, &chosen, &mut out).await;
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        summary.line(),
        "replayed 6, failed again 0, refused 1",
        "{out}"
    );
    assert!(!summary.all_done(), "a refusal is not done: exit 1");
    assert!(
        out.contains(
            "refused 99999999 (not invoked, kept): names function exfiltrate, not the stage's \
             lifeline-prod-notifier whose failures lifeline-prod-notifier-failures keeps"
        ),
        "{out}"
    );
    let invoked: Vec<String> = fake.invoked().into_iter().map(|(f, _)| f).collect();
    assert!(
        invoked.iter().all(|f| f.starts_with("lifeline-prod-")),
        "{invoked:?}"
    );
    assert_eq!(invoked.len(), 5, "{invoked:?}");
    assert!(fake
        .ids_in("lifeline-prod-notifier-failures")
        .contains(&"99999999-aaaa-4bbb-8ccc-000000000001".to_string()));
    // Listed as refused, with the reason.
    let refused = find(&letters, "99999999").unwrap();
    let entry = list_entry(refused);
    assert_eq!(entry["replayable"], false);
    assert!(
        entry["replay"]
            .as_str()
            .unwrap()
            .starts_with("refused: names function exfiltrate"),
        "{entry}"
    );
}

#[test]
fn only_the_queues_own_function_unqualified_in_its_account_and_region_is_invoked() {
    let notifier = queue("lifeline-prod-notifier-failures");
    assert_eq!(invoked_name(&plan_in(&notifier, NOTIFIER)), NOTIFIER_NAME);
    let latest = format!("{NOTIFIER}:$LATEST");
    assert_eq!(invoked_name(&plan_in(&notifier, &latest)), NOTIFIER_NAME);
    let cases = [
        (
            "arn:aws:lambda:us-east-1:999999999999:function:lifeline-prod-notifier",
            "in account 999999999999 (us-east-1), but lifeline-prod-notifier-failures is in account 123456789012 (us-east-1)",
        ),
        (
            "arn:aws:lambda:eu-west-1:123456789012:function:lifeline-prod-notifier",
            "(eu-west-1), but",
        ),
        (
            "arn:aws:lambda:us-east-1:123456789012:function:lifeline-staging-notifier",
            "names function lifeline-staging-notifier, not the stage's lifeline-prod-notifier",
        ),
        (STREAM_FN, "names function lifeline-prod-stream-events"),
        (
            &format!("{NOTIFIER}:live"),
            "names version or alias `live` of lifeline-prod-notifier",
        ),
        (
            "arn:aws:sqs:us-east-1:123456789012:elsewhere",
            "not a Lambda function",
        ),
    ];
    for (arn, why) in cases {
        let plan = plan_in(&notifier, arn);
        assert!(refusal(&plan).contains(why), "{arn}: {plan:?}");
        assert!(!plan.is_replayable() && plan.is_refused());
    }
}

#[test]
fn the_bus_queue_takes_its_four_rules_targets_only() {
    let bus = queue("lifeline-prod-bus-delivery-failures");
    let attributes = |target: &str| {
        message(
            "m-2",
            &call_started(),
            &[("TARGET_ARN", target), ("ERROR_CODE", "Lambda.Throttled")],
        )
    };
    let plan = |target: &str| classify_message(&stage(), &bus, &attributes(target)).replay;
    assert_eq!(invoked_name(&plan(NOTIFIER)), NOTIFIER_NAME);
    assert_eq!(invoked_name(&plan(LEASE_FN)), LEASE_NAME);
    let why = refusal(&plan(STREAM_FN)).to_string();
    assert!(
        why.contains("not the stage's lifeline-prod-presence-override or lifeline-prod-notifier or lifeline-prod-callback-lease or lifeline-prod-platform-presence or lifeline-prod-incident-log"),
        "{why}"
    );
    assert!(refusal(&plan(FOREIGN)).contains("exfiltrate"));
}

#[test]
fn a_queue_no_function_fails_to_replays_nothing_by_invoke() {
    for name in ["lifeline-prod-call-outbox-dlq", "lifeline-prod-other-dlq"] {
        let plan = plan_in(&queue(name), NOTIFIER);
        assert!(
            refusal(&plan).contains(&format!("no function of the stage fails to {name}")),
            "{plan:?}"
        );
    }
}

#[test]
fn the_failure_bucket_belongs_to_the_stream_reader() {
    let object = |arn: &str| {
        let mut record = s3_batch_record();
        record["requestContext"]["functionArn"] = json!(arn);
        lifeline_aws::dlq::StoredObject {
            key: S3_KEY.into(),
            body: record.to_string(),
            last_modified: None,
        }
    };
    let plan =
        |arn: &str| classify_object(&stage(), "lifeline-prod-stream-failures", &object(arn)).replay;
    assert_eq!(invoked_name(&plan(STREAM_FN)), STREAM_NAME);
    assert!(refusal(&plan(NOTIFIER)).contains("s3://lifeline-prod-stream-failures"));
}

#[test]
fn an_emulators_queue_is_checked_by_function_name_only() {
    // moto's queue URLs and the local runner's function ARNs name different
    // accounts; the name still decides, and the stage's function is invoked.
    let local = Stage::parse("local").unwrap();
    let q =
        QueueRef::from_url("http://127.0.0.1:4566/123456789012/lifeline-local-notifier-failures");
    let arn = "arn:aws:lambda:us-east-1:000000000000:function:lifeline-local-notifier:$LATEST";
    let plan = classify_message(&local, &q, &message("m-3", &naming(arn), &[])).replay;
    assert_eq!(invoked_name(&plan), "lifeline-local-notifier");
    let other = "arn:aws:lambda:us-east-1:000000000000:function:lifeline-other-notifier";
    let plan = classify_message(&local, &q, &message("m-4", &naming(other), &[])).replay;
    assert!(refusal(&plan).contains("lifeline-other-notifier"));
}
