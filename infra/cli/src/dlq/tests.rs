use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use lifeline_aws::dlq::{DlqError, Invocation, PeekedMessage, QueueRef, StoredObject};
use serde_json::{json, Value};

use super::letter::{target_name, unqualified};
use super::redact::{mask_emails, redact_numbers, MASKED};
use super::*;

const NOTIFIER: &str = "arn:aws:lambda:us-east-1:123456789012:function:lifeline-prod-notifier";
const LEASE_FN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:lifeline-prod-callback-lease";
const STREAM_FN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:lifeline-prod-stream-events";
/// Every phone number in the samples: none may show in full.
const NUMBERS: [&str; 4] = ["14255550199", "14255550190", "14255550111", "442079460018"];

fn stage() -> Stage {
    Stage::parse("prod").unwrap()
}

fn queue(name: &str) -> QueueRef {
    QueueRef {
        name: name.to_string(),
        url: format!("https://sqs.us-east-1.amazonaws.com/123456789012/{name}"),
    }
}

fn message(id: &str, body: &Value, attributes: &[(&str, &str)]) -> PeekedMessage {
    PeekedMessage {
        message_id: id.to_string(),
        body: body.to_string(),
        attributes: BTreeMap::from([
            ("SentTimestamp".to_string(), "1795496400000".to_string()),
            ("ApproximateReceiveCount".to_string(), "1".to_string()),
        ]),
        message_attributes: attributes
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn call_started() -> Value {
    json!({
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "lifeline.call.started", "source": "lifeline",
        "account": "123456789012", "time": "2026-11-24T04:59:58Z", "region": "us-east-1",
        "resources": [],
        "detail": {"version": 1, "callId": "c-1", "agentId": "a-42", "at": "2026-11-24T04:59:57Z"}
    })
}

fn stream_record(pk: &str, event_id: &str) -> Value {
    json!({
        "eventID": event_id, "eventName": "MODIFY", "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1795496390,
            "Keys": {"pk": {"S": pk}, "sk": {"S": pk.split('#').next().unwrap()}},
            "NewImage": {"pk": {"S": pk}, "agentEmail": {"S": "kim@example.com"}},
            "SequenceNumber": "4421584500000000017450439091", "SizeBytes": 120,
            "StreamViewType": "NEW_AND_OLD_IMAGES"
        },
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/lifeline-prod/stream/2026-11-01T00:00:00.000"
    })
}

/// Shape 1: An asynchronous invocation's failure record (the notifier, invoked by
/// the bus with a call.started event).
fn async_failure() -> Value {
    json!({
        "version": "1.0", "timestamp": "2026-11-24T05:00:00.000Z",
        "requestContext": {
            "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
            "functionArn": format!("{NOTIFIER}:$LATEST"),
            "condition": "RetriesExhausted", "approximateInvokeCount": 3
        },
        "requestPayload": call_started(),
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorType": "SesUnavailable", "errorMessage": "SES did not answer for sup@example.com"}
    })
}

/// Shape 1b: The stream reader's record of a stream record it could not translate.
fn undecodable_record() -> Value {
    json!({
        "version": "1.0", "timestamp": "2026-11-24T05:01:00.000Z",
        "requestContext": {
            "requestId": "0b1c", "functionArn": STREAM_FN,
            "condition": "UndecodableRecord", "approximateInvokeCount": 1
        },
        "requestPayload": {"Records": [stream_record("NUMBER#+14255550199", "ev-1")]},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorType": "CorruptItem", "errorMessage": "NUMBER#+14255550199: `leaseVersion` is not a number"}
    })
}

/// Shape 2: An EventBridge rule's dead letter.
fn rule_dead_letter() -> PeekedMessage {
    let event = json!({
        "version": "0", "id": "1f5c", "detail-type": "lifeline.lease.changed", "source": "lifeline",
        "account": "123456789012", "time": "2026-11-24T05:02:00Z", "region": "us-east-1", "resources": [],
        "detail": {
            "version": 1, "number": "+14255550190", "country": "US",
            "after": {"leaseId": "l-7", "agentId": "a-42", "leaseVersion": 2}
        }
    });
    message(
        "5b7a0c3e-8f5e-4a39-9c1d-2f0e7d1c0a11",
        &event,
        &[
            (
                "RULE_ARN",
                "arn:aws:events:us-east-1:123456789012:rule/lifeline-prod/lease-changed",
            ),
            ("TARGET_ARN", LEASE_FN),
            ("ERROR_CODE", "Lambda.TooManyRequestsException"),
            ("ERROR_MESSAGE", "Rate Exceeded."),
        ],
    )
}

/// Shape 3: An EventBridge Scheduler dead letter (the lease expiry's target input).
fn schedule_dead_letter() -> PeekedMessage {
    message(
        "a3f1d2c4-1111-4a39-9c1d-2f0e7d1c0a22",
        &json!({"leaseId": "l-1", "number": "+14255550199", "version": 3}),
        &[
            ("ERROR_CODE", "AWS.Scheduler.InternalServerError"),
            (
                "ERROR_MESSAGE",
                "Unexpected error occurred while processing the request.",
            ),
            ("EXECUTION_ID", "ad06fd56-d1a7-4e4f-b1f3-8d6e9f0a0b1c"),
            (
                "SCHEDULE_ARN",
                "arn:aws:scheduler:us-east-1:123456789012:schedule/lifeline-prod/lease-l-1",
            ),
            ("TARGET_ARN", LEASE_FN),
        ],
    )
}

/// Shape 4: The dial's outbox message its consumer gave up on.
fn outbox_body() -> Value {
    json!({"v": 1, "item": {
        "pk": {"S": "CALL#c-9"}, "sk": {"S": "CALL"}, "type": {"S": "call"},
        "callId": {"S": "c-9"}, "agentId": {"S": "a-42"}, "dialed": {"S": "911"},
        "callerId": {"S": "+14255550111"},
        "location": {"M": {"country": {"S": "US"}, "address": {"S": "1 Main St, Springfield"},
                           "lat": {"N": "47.61"}, "lon": {"N": "-122.33"}}},
        "dialedAt": {"S": "2026-11-24T04:58:00Z"}
    }})
}

/// Shape 5: What a stream event source mapping writes to its S3 on-failure
/// destination: the invocation record, the whole event in `payload` (a string).
fn s3_batch_record() -> Value {
    let event = json!({"Records": [
        stream_record("CALL#c-1", "ev-10"),
        stream_record("NUMBER#+14255550199", "ev-11"),
        stream_record("PRESENCE#a-42", "ev-12"),
    ]});
    json!({
        "requestContext": {
            "requestId": "316aa6d0-8154-xmpl-9af7-85d5f4a6bc81",
            "functionArn": STREAM_FN,
            "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 6
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0", "timestamp": "2026-11-24T05:03:00.000Z",
        "DDBStreamBatchInfo": {
            "shardId": "shardId-00000001795496000000-3a1b2c3d",
            "startSequenceNumber": "4421584500000000017450439091",
            "endSequenceNumber": "4421584500000000017450439093",
            "approximateArrivalOfFirstRecord": "2026-11-24T04:59:50Z",
            "approximateArrivalOfLastRecord": "2026-11-24T04:59:52Z",
            "batchSize": 3,
            "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/lifeline-prod/stream/2026-11-01T00:00:00.000"
        },
        "payload": event.to_string()
    })
}

const S3_KEY: &str = "aws/lambda/8f2b1c3a-0d4e-4f5a-9b6c-7d8e9f0a1b2c/shardId-00000001795496000000-3a1b2c3d/2026/11/24/2026-11-24T05.03.00-5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f70819";

// ---- the fake ---------------------------------------------------------------

#[derive(Default)]
struct FakeAws {
    queues: Mutex<BTreeMap<String, Vec<PeekedMessage>>>,
    objects: Mutex<BTreeMap<(String, String), String>>,
    /// What each function answers (by ARN); absent: `{}` without error.
    answers: HashMap<String, Invocation>,
    invoked: Mutex<Vec<(String, Value)>>,
    sent: Mutex<Vec<(String, String)>>,
}

impl FakeAws {
    fn with_queue(self, name: &str, messages: Vec<PeekedMessage>) -> Self {
        self.queues.lock().unwrap().insert(name.into(), messages);
        self
    }
    fn with_object(self, bucket: &str, key: &str, body: &Value) -> Self {
        self.objects
            .lock()
            .unwrap()
            .insert((bucket.into(), key.into()), body.to_string());
        self
    }
    fn answering(mut self, function: &str, function_error: Option<&str>, payload: Value) -> Self {
        self.answers.insert(
            function.into(),
            Invocation {
                function_error: function_error.map(str::to_string),
                payload,
            },
        );
        self
    }
    fn ids_in(&self, queue: &str) -> Vec<String> {
        self.queues.lock().unwrap()[queue]
            .iter()
            .map(|m| m.message_id.clone())
            .collect()
    }
    fn invoked(&self) -> Vec<(String, Value)> {
        self.invoked.lock().unwrap().clone()
    }
}

#[async_trait]
impl DeadLetterPort for FakeAws {
    async fn queues_with_prefix(&self, prefix: &str) -> Result<Vec<QueueRef>, DlqError> {
        Ok(self
            .queues
            .lock()
            .unwrap()
            .keys()
            .filter(|n| n.starts_with(prefix))
            .map(|n| queue(n))
            .collect())
    }
    async fn peek(&self, q: &QueueRef) -> Result<Vec<PeekedMessage>, DlqError> {
        Ok(self.queues.lock().unwrap()[&q.name].clone())
    }
    async fn delete_message(&self, q: &QueueRef, id: &str) -> Result<bool, DlqError> {
        let mut queues = self.queues.lock().unwrap();
        let messages = queues.get_mut(&q.name).unwrap();
        let before = messages.len();
        messages.retain(|m| m.message_id != id);
        Ok(messages.len() < before)
    }
    async fn send(&self, queue_name: &str, body: &str) -> Result<(), DlqError> {
        self.sent
            .lock()
            .unwrap()
            .push((queue_name.into(), body.into()));
        Ok(())
    }
    async fn invoke(&self, function: &str, payload: &Value) -> Result<Invocation, DlqError> {
        self.invoked
            .lock()
            .unwrap()
            .push((function.into(), payload.clone()));
        Ok(self.answers.get(function).cloned().unwrap_or(Invocation {
            function_error: None,
            payload: json!({}),
        }))
    }
    async fn object_keys(&self, bucket: &str) -> Result<Vec<String>, DlqError> {
        if !bucket.starts_with("lifeline-prod-") {
            return Err(DlqError::NotFound {
                operation: "ListObjectsV2",
                target: bucket.into(),
            });
        }
        Ok(self
            .objects
            .lock()
            .unwrap()
            .keys()
            .filter(|(b, _)| b == bucket)
            .map(|(_, k)| k.clone())
            .collect())
    }
    async fn object(&self, bucket: &str, key: &str) -> Result<StoredObject, DlqError> {
        let body = self.objects.lock().unwrap()[&(bucket.to_string(), key.to_string())].clone();
        Ok(StoredObject {
            key: key.into(),
            body,
            last_modified: None,
        })
    }
    async fn delete_object(&self, bucket: &str, key: &str) -> Result<(), DlqError> {
        self.objects
            .lock()
            .unwrap()
            .remove(&(bucket.to_string(), key.to_string()));
        Ok(())
    }
}

fn places(bucket: Option<&str>) -> Places {
    Places {
        stage: stage(),
        failure_bucket: bucket.map(str::to_string),
        only: None,
    }
}

/// A fake with one of each shape.
fn every_shape() -> FakeAws {
    FakeAws::default()
        .with_queue(
            "lifeline-prod-notifier-failures",
            vec![
                message(
                    "11111111-aaaa-4bbb-8ccc-000000000001",
                    &async_failure(),
                    &[],
                ),
                message(
                    "11111111-aaaa-4bbb-8ccc-000000000002",
                    &json!({"hello": "+442079460018"}),
                    &[],
                ),
            ],
        )
        .with_queue(
            "lifeline-prod-stream-events-failures",
            vec![message(
                "22222222-aaaa-4bbb-8ccc-000000000001",
                &undecodable_record(),
                &[],
            )],
        )
        .with_queue("lifeline-prod-lease-changed-dlq", vec![rule_dead_letter()])
        .with_queue(
            "lifeline-prod-lease-expiry-dlq",
            vec![schedule_dead_letter()],
        )
        .with_queue(
            "lifeline-prod-call-outbox-dlq",
            vec![message(
                "33333333-aaaa-4bbb-8ccc-000000000001",
                &outbox_body(),
                &[],
            )],
        )
        // Not failure queues, or not this stage's: never read.
        .with_queue("lifeline-prod-call-outbox", vec![])
        .with_queue("lifeline-staging-notifier-dlq", vec![])
        .with_object("lifeline-prod-stream-failures", S3_KEY, &s3_batch_record())
}

async fn letters_of(fake: &FakeAws) -> Vec<DeadLetter> {
    gather(fake, &places(Some("lifeline-prod-stream-failures")))
        .await
        .unwrap()
        .letters
}

fn by_kind(letters: &[DeadLetter], kind: Kind) -> &DeadLetter {
    letters
        .iter()
        .find(|l| l.kind == kind)
        .unwrap_or_else(|| panic!("a {kind:?}"))
}

fn assert_no_full_number(text: &str) {
    for n in NUMBERS {
        assert!(!text.contains(n), "{n} shows in full in:\n{text}");
    }
}

// ---- classification -----------------------------------------------------------

#[tokio::test]
async fn only_the_stages_failure_queues_and_its_bucket_are_read() {
    let letters = letters_of(&every_shape()).await;
    let sources: Vec<String> = letters.iter().map(|l| l.source.name()).collect();
    assert_eq!(
        sources,
        [
            "lifeline-prod-call-outbox-dlq",
            "lifeline-prod-lease-changed-dlq",
            "lifeline-prod-lease-expiry-dlq",
            "lifeline-prod-notifier-failures",
            "lifeline-prod-notifier-failures",
            "lifeline-prod-stream-events-failures",
            "s3://lifeline-prod-stream-failures",
        ]
    );
    // Without a bucket, the bucket is skipped.
    let fake = every_shape();
    let without = gather(&fake, &places(None)).await.unwrap();
    assert_eq!(without.letters.len(), 6);
    assert!(without.notes.is_empty());
    // A bucket that does not exist is skipped, and said.
    let missing = gather(&fake, &places(Some("elsewhere"))).await.unwrap();
    assert_eq!(missing.letters.len(), 6);
    assert_eq!(
        missing.notes,
        ["failure bucket elsewhere not found: skipped"]
    );
}

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
    assert_eq!(
        l.replay,
        ReplayPlan::Invoke {
            function: NOTIFIER.into(),
            payload: call_started(),
            stream_batch: false
        },
        "$LATEST dropped"
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
        ReplayPlan::Invoke { function, stream_batch: true, .. } if function == STREAM_FN
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
            assert_eq!(function, LEASE_FN);
            assert_eq!(payload["detail-type"], "lifeline.lease.changed");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        l.attributes["RULE_ARN"],
        "arn:aws:events:us-east-1:123456789012:rule/lifeline-prod/lease-changed"
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
    assert_eq!(
        l.replay,
        ReplayPlan::Invoke {
            function: LEASE_FN.into(),
            payload: json!({"leaseId": "l-1", "number": "+14255550199", "version": 3}),
            stream_batch: false
        }
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
            assert_eq!(function, STREAM_FN);
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

// ---- what is shown ----------------------------------------------------------------

#[tokio::test]
async fn no_listing_shows_a_full_phone_number() {
    let letters = letters_of(&every_shape()).await;
    let text = list_text(&letters);
    assert_no_full_number(&text);
    assert!(text.contains("NUMBER#+*******0199"), "{text}");
    assert!(text.contains("***@example.com"), "{text}");
    assert_eq!(
        text.lines().count(),
        letters.len() + 1,
        "a header and one line each"
    );
    let json_text = list_json(&letters);
    assert_no_full_number(&json_text);
    let entries: Vec<Value> = serde_json::from_str(&json_text).unwrap();
    assert_eq!(entries.len(), letters.len());
    let outbox = entries.iter().find(|e| e["kind"] == "call-outbox").unwrap();
    assert_eq!(outbox["id"], "33333333-aaaa-4bbb-8ccc-000000000001");
    assert_eq!(outbox["shortId"], "33333333");
    assert_eq!(outbox["source"], "lifeline-prod-call-outbox-dlq");
    assert_eq!(outbox["sourceType"], "queue");
    assert_eq!(outbox["replayable"], true);
    assert_eq!(outbox["replay"], "send back to lifeline-prod-call-outbox");
    assert_eq!(outbox["subject"], "call c-9");
    assert_eq!(outbox["at"], "2026-11-24T05:00:00Z");
    let unknown = entries.iter().find(|e| e["kind"] == "unknown").unwrap();
    assert_eq!(unknown["replayable"], false);
    assert_eq!(unknown["target"], Value::Null);
}

#[tokio::test]
async fn show_masks_numbers_addresses_and_e_mail_unless_raw() {
    let letters = letters_of(&every_shape()).await;
    for l in &letters {
        assert_no_full_number(&show_text(l, false));
    }
    let outbox = show_text(by_kind(&letters, Kind::CallOutbox), false);
    assert!(!outbox.contains("1 Main St"), "{outbox}");
    assert!(!outbox.contains("47.61"), "{outbox}");
    assert!(outbox.contains(MASKED), "{outbox}");
    assert!(outbox.contains("\"callId\""), "the rest is shown: {outbox}");
    let batch = show_text(by_kind(&letters, Kind::StreamBatch), false);
    assert!(!batch.contains("kim@example.com"), "{batch}");
    assert!(batch.contains("***@example.com"), "{batch}");
    let raw = show_text(by_kind(&letters, Kind::CallOutbox), true);
    assert!(
        raw.contains("1 Main St") && raw.contains("+14255550111"),
        "{raw}"
    );
}

// ---- replay -------------------------------------------------------------------------

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
            LEASE_FN.to_string(),
            json!({"leaseId": "l-1", "number": "+14255550199", "version": 3})
        )]
    );
    assert!(fake.ids_in("lifeline-prod-lease-expiry-dlq").is_empty());
    assert_no_full_number(&out);
}

#[tokio::test]
async fn a_function_error_keeps_the_message_and_says_why() {
    let fake = every_shape().answering(
        NOTIFIER,
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
        STREAM_FN,
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
    let fake = every_shape().answering(STREAM_FN, None, json!({"batchItemFailures": []}));
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

#[tokio::test]
async fn one_queue_can_be_chosen_and_an_unknown_one_is_refused() {
    let fake = every_shape();
    let mut p = places(Some("lifeline-prod-stream-failures"));
    p.only = Some("lifeline-prod-lease-expiry-dlq".into());
    let letters = gather(&fake, &p).await.unwrap().letters;
    assert_eq!(letters.len(), 1);
    p.only = Some("s3://lifeline-prod-stream-failures".into());
    assert_eq!(gather(&fake, &p).await.unwrap().letters.len(), 1);
    p.only = Some("lifeline-prod-call-outbox".into());
    assert!(matches!(
        gather(&fake, &p).await,
        Err(GatherError::NoSuchPlace(..))
    ));
}

#[tokio::test]
async fn ids_resolve_by_whole_short_or_unique_beginning() {
    let letters = letters_of(&every_shape()).await;
    assert_eq!(find(&letters, "33333333").unwrap().kind, Kind::CallOutbox);
    assert_eq!(
        find(&letters, "5b7a0c").unwrap().kind,
        Kind::EventBridgeRule
    );
    assert_eq!(
        find(&letters, "11111111"),
        Err(FindError::Ambiguous("11111111".into(), 2))
    );
    assert_eq!(
        find(&letters, "nope"),
        Err(FindError::NotFound("nope".into()))
    );
    assert!(select(&letters, &["nope".into()], false).is_err());
}

// ---- small pure parts -----------------------------------------------------------------

#[test]
fn e164_looking_numbers_are_redacted_wherever_they_are() {
    assert_eq!(redact_numbers("to +14255550199."), "to +*******0199.");
    assert_eq!(redact_numbers("NUMBER#+14255550199"), "NUMBER#+*******0199");
    assert_eq!(redact_numbers("To=%2B14255550199&x"), "To=+*******0199&x");
    assert_eq!(
        redact_numbers("+0123456789"),
        "+******6789",
        "leading 0 too"
    );
    assert_eq!(
        redact_numbers("+1234567"),
        "+1234567",
        "7 digits: not E.164"
    );
    assert_eq!(
        redact_numbers("+1234567890123456"),
        "+1234567890123456",
        "16 digits: not E.164"
    );
    assert_eq!(redact_numbers("a + b, 50% off"), "a + b, 50% off");
    assert_eq!(redact_numbers("é+14255550199é"), "é+*******0199é");
}

#[test]
fn e_mail_addresses_keep_only_their_domain() {
    assert_eq!(
        mask_emails("for sup@example.com; ops.team+x@corp.example.org."),
        "for ***@example.com; ***@corp.example.org."
    );
    assert_eq!(mask_emails("a @ b, x@localhost"), "a @ b, x@localhost");
}

#[test]
fn targets_are_named_by_their_function() {
    assert_eq!(unqualified(&format!("{NOTIFIER}:$LATEST")), NOTIFIER);
    assert_eq!(
        unqualified(&format!("{NOTIFIER}:live")),
        format!("{NOTIFIER}:live")
    );
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
