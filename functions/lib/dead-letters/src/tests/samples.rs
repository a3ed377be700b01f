//! One sample of each shape a dead letter comes in, as the services write
//! them, and the phone numbers none of them may show in full.

use std::collections::BTreeMap;

use lifeline_aws::dlq::{PeekedMessage, QueueRef};
use serde_json::{json, Value};

use crate::Stage;

pub(super) const NOTIFIER: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:lifeline-prod-notifier";

pub(super) const LEASE_FN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:lifeline-prod-callback-lease";

pub(super) const STREAM_FN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:lifeline-prod-stream-events";

/// The stage's functions, as a replay invokes them: named from the stage.
pub(super) const NOTIFIER_NAME: &str = "lifeline-prod-notifier";
pub(super) const LEASE_NAME: &str = "lifeline-prod-callback-lease";
pub(super) const STREAM_NAME: &str = "lifeline-prod-stream-events";

/// Every phone number in the samples: none may show in full.
pub(super) const NUMBERS: [&str; 4] = ["14255550199", "14255550190", "14255550111", "442079460018"];

pub(super) fn stage() -> Stage {
    Stage::parse("prod").unwrap()
}

pub(super) fn queue(name: &str) -> QueueRef {
    QueueRef {
        name: name.to_string(),
        url: format!("https://sqs.us-east-1.amazonaws.com/123456789012/{name}"),
    }
}

pub(super) fn message(id: &str, body: &Value, attributes: &[(&str, &str)]) -> PeekedMessage {
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

pub(super) fn call_started() -> Value {
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
pub(super) fn async_failure() -> Value {
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
pub(super) fn undecodable_record() -> Value {
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
pub(super) fn rule_dead_letter() -> PeekedMessage {
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
                "arn:aws:events:us-east-1:123456789012:rule/lifeline-prod/callback-lease",
            ),
            ("TARGET_ARN", LEASE_FN),
            ("ERROR_CODE", "Lambda.TooManyRequestsException"),
            ("ERROR_MESSAGE", "Rate Exceeded."),
        ],
    )
}

/// Shape 3: An EventBridge Scheduler dead letter (the lease expiry's target input).
pub(super) fn schedule_dead_letter() -> PeekedMessage {
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
pub(super) fn outbox_body() -> Value {
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
pub(super) fn s3_batch_record() -> Value {
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

pub(super) const S3_KEY: &str = "aws/lambda/8f2b1c3a-0d4e-4f5a-9b6c-7d8e9f0a1b2c/shardId-00000001795496000000-3a1b2c3d/2026/11/24/2026-11-24T05.03.00-5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f70819";

pub(super) fn assert_no_full_number(text: &str) {
    for n in NUMBERS {
        assert!(!text.contains(n), "{n} shows in full in:\n{text}");
    }
}
