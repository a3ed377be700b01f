//! Each shape recognised: what it concerns, why it failed, and how it is
//! replayed (or that it is not).

use lifeline_aws::dlq::PeekedMessage;
use serde_json::json;

use super::fake::*;
use super::samples::*;
use crate::letter::target_name;
use crate::*;

#[tokio::test]
async fn an_asynchronous_invocation_failure_replays_its_request_to_the_function() {
    let letters = letters_of(&every_shape()).await;
    let l = by_kind(&letters, Kind::AsyncInvocation);
    assert_eq!(l.id, "11111111-aaaa-4bbb-8ccc-000000000001");
    assert_eq!(l.target.as_deref(), Some("lifeline-prod-notifier"));
    assert_eq!(
        l.reason.as_deref(),
        Some("RetriesExhausted; SesUnavailable: SES did not answer for sup@example.com")
    );
    assert_eq!(l.subject.as_deref(), Some("call c-1, agent a-42"));
    assert_eq!(
        l.at.map(|t| t.to_rfc3339()),
        Some("2026-11-24T05:00:00+00:00".into()),
        "the record's timestamp, not SentTimestamp"
    );
    assert!(
        matches!(&l.replay, ReplayPlan::Invoke { function, payload, stream_batch: false }
            if function.name() == NOTIFIER_NAME && *payload == call_started()),
        "the stage's notifier, by name: {:?}",
        l.replay
    );
}

#[tokio::test]
async fn the_stream_readers_undecodable_record_replays_as_a_stream_batch() {
    let letters = letters_of(&every_shape()).await;
    let l = letters
        .iter()
        .find(|l| l.source.name() == "lifeline-prod-stream-events-failures")
        .unwrap();
    assert_eq!(l.kind, Kind::AsyncInvocation);
    assert_eq!(l.subject.as_deref(), Some("NUMBER#+14255550199"));
    assert!(l
        .reason
        .as_deref()
        .unwrap()
        .starts_with("UndecodableRecord; CorruptItem"));
    assert!(matches!(
        &l.replay,
        ReplayPlan::Invoke { function, stream_batch: true, .. } if function.name() == STREAM_NAME
    ));
}

#[tokio::test]
async fn an_eventbridge_rule_dead_letter_replays_the_event_to_its_target() {
    let letters = letters_of(&every_shape()).await;
    let l = by_kind(&letters, Kind::EventBridgeRule);
    assert_eq!(l.target.as_deref(), Some("lifeline-prod-callback-lease"));
    assert_eq!(
        l.reason.as_deref(),
        Some("Lambda.TooManyRequestsException: Rate Exceeded.")
    );
    assert_eq!(l.subject.as_deref(), Some("lease l-7, agent a-42"));
    assert_eq!(
        l.at.map(|t| t.to_rfc3339()),
        Some("2026-11-24T05:00:00+00:00".into()),
        "SentTimestamp"
    );
    match &l.replay {
        ReplayPlan::Invoke {
            function, payload, ..
        } => {
            assert_eq!(function.name(), LEASE_NAME);
            assert_eq!(payload["detail-type"], "lifeline.lease.changed");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        l.attributes["RULE_ARN"],
        "arn:aws:events:us-east-1:123456789012:rule/lifeline-prod/callback-lease"
    );
}

#[tokio::test]
async fn a_scheduler_dead_letter_replays_the_schedules_input_to_its_target() {
    let letters = letters_of(&every_shape()).await;
    let l = by_kind(&letters, Kind::Schedule);
    assert_eq!(l.target.as_deref(), Some("lifeline-prod-callback-lease"));
    assert_eq!(l.subject.as_deref(), Some("lease l-1"));
    assert_eq!(
        l.reason.as_deref(),
        Some("AWS.Scheduler.InternalServerError: Unexpected error occurred while processing the request.")
    );
    assert!(
        matches!(&l.replay, ReplayPlan::Invoke { function, payload, stream_batch: false }
            if function.name() == LEASE_NAME
                && *payload == json!({"leaseId": "l-1", "number": "+14255550199", "version": 3})),
        "{:?}",
        l.replay
    );
}

#[tokio::test]
async fn the_outbox_dead_letter_goes_back_to_the_outbox() {
    let letters = letters_of(&every_shape()).await;
    let l = by_kind(&letters, Kind::CallOutbox);
    assert_eq!(l.subject.as_deref(), Some("call c-9"));
    assert_eq!(l.target.as_deref(), Some("lifeline-prod-call-outbox"));
    assert_eq!(
        l.replay,
        ReplayPlan::SendBack {
            queue: "lifeline-prod-call-outbox".into(),
            body: outbox_body().to_string()
        }
    );
}

#[tokio::test]
async fn an_s3_stream_batch_replays_its_records_to_the_function() {
    let letters = letters_of(&every_shape()).await;
    let l = by_kind(&letters, Kind::StreamBatch);
    assert_eq!(l.id, S3_KEY);
    assert_eq!(l.short_id(), "e6f70819", "the key's last 8");
    assert_eq!(l.target.as_deref(), Some("lifeline-prod-stream-events"));
    assert_eq!(
        l.subject.as_deref(),
        Some("CALL#c-1, NUMBER#+14255550199, PRESENCE#a-42")
    );
    assert_eq!(
        l.reason.as_deref(),
        Some("RetryAttemptsExhausted; function error Unhandled")
    );
    match &l.replay {
        ReplayPlan::Invoke {
            function,
            payload,
            stream_batch,
        } => {
            assert_eq!(function.name(), STREAM_NAME);
            assert!(stream_batch);
            assert_eq!(payload["Records"].as_array().map(Vec::len), Some(3));
            assert_eq!(
                payload.as_object().map(|o| o.len()),
                Some(1),
                "{{\"Records\": […]}} only"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(l.payload["payload"].is_object(), "shown decoded");
}

#[test]
fn a_stream_batch_record_in_sqs_holds_only_the_position_and_is_not_replayed() {
    let mut record = s3_batch_record();
    record.as_object_mut().unwrap().remove("payload");
    let l = classify_message(
        &stage(),
        &queue("lifeline-prod-notifier-dlq"),
        &message("44444444-aaaa-4bbb-8ccc-000000000001", &record, &[]),
    );
    assert_eq!(l.kind, Kind::StreamPosition);
    assert!(!l.replay.is_replayable());
    assert_eq!(l.target.as_deref(), Some("lifeline-prod-stream-events"));
}

#[tokio::test]
async fn an_unknown_shape_is_listed_as_unknown_and_never_replayable() {
    let letters = letters_of(&every_shape()).await;
    let l = by_kind(&letters, Kind::Unknown);
    assert!(!l.replay.is_replayable());
    let not_json = classify_message(
        &stage(),
        &queue("lifeline-prod-x-dlq"),
        &PeekedMessage {
            message_id: "m".into(),
            body: "not json".into(),
            ..Default::default()
        },
    );
    assert_eq!(not_json.kind, Kind::Unknown);
    assert_eq!(not_json.payload, json!("not json"));
    // An outbox-looking body elsewhere than the outbox's DLQ is not sent anywhere.
    let elsewhere = classify_message(
        &stage(),
        &queue("lifeline-prod-notifier-dlq"),
        &message("m2", &outbox_body(), &[]),
    );
    assert_eq!(elsewhere.kind, Kind::Unknown);
}

#[test]
fn a_target_that_is_not_a_function_is_not_replayed() {
    let mut m = schedule_dead_letter();
    m.message_attributes.insert(
        "TARGET_ARN".into(),
        "arn:aws:sqs:us-east-1:123456789012:somewhere".into(),
    );
    let l = classify_message(&stage(), &queue("lifeline-prod-lease-expiry-dlq"), &m);
    assert_eq!(l.kind, Kind::Schedule);
    assert_eq!(l.target.as_deref(), Some("somewhere"));
    assert!(!l.replay.is_replayable());
}

#[test]
fn targets_are_named_by_their_function() {
    assert_eq!(
        target_name(&format!("{NOTIFIER}:live")),
        "lifeline-prod-notifier"
    );
    assert_eq!(
        target_name("arn:aws:events:us-east-1:123456789012:event-bus/lifeline-prod"),
        "lifeline-prod"
    );
    assert!(Stage::parse("Prod").is_err());
    assert!(Stage::parse("local").is_ok());
}
