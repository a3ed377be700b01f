//! The table's stream as the side-effect functions see it: which records they
//! take (the same filter patterns as the event source mappings in
//! `template.yaml`, applied by the local runner too) and what a call record's
//! change means.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use serde_json::Value;

pub use lifeline_domain::call::CallChange;

/// Filter patterns of the presence-override event source mapping: a call's
/// start (INSERT) and its end (MODIFY that sets `endedAt`). `template.yaml`
/// holds the same strings (a test checks it).
pub const PRESENCE_FILTERS: [&str; 2] = [
    r#"{"eventName":["INSERT"],"dynamodb":{"NewImage":{"type":{"S":["call"]}}}}"#,
    r#"{"eventName":["MODIFY"],"dynamodb":{"NewImage":{"type":{"S":["call"]},"endedAt":{"S":[{"exists":true}]}}}}"#,
];

/// Filter patterns of the notifier's event source mapping: a call's start.
pub const NOTIFY_FILTERS: [&str; 1] =
    [r#"{"eventName":["INSERT"],"dynamodb":{"NewImage":{"type":{"S":["call"]}}}}"#];

/// Filter patterns of the callback-lease event source mapping: a number item
/// that carries a lease (created, extended, ended or released).
pub const LEASE_FILTERS: [&str; 1] = [
    r#"{"eventName":["INSERT","MODIFY"],"dynamodb":{"NewImage":{"type":{"S":["number"]},"leaseId":{"S":[{"exists":true}]}}}}"#,
];

/// How a stream mapping gives up on a failing record: its
/// `MaximumRetryAttempts` and `MaximumRecordAgeInSeconds` in `template.yaml`
/// (a test checks), which the local runner applies too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub max_retries: u32,
    pub max_record_age_secs: u64,
}

/// presence-override's mapping.
pub const PRESENCE_DELIVERY: Delivery = Delivery {
    max_retries: 5,
    max_record_age_secs: 3600,
};
/// The notifier's mapping.
pub const NOTIFY_DELIVERY: Delivery = Delivery {
    max_retries: 10,
    max_record_age_secs: 3600,
};
/// callback-lease's mapping.
pub const LEASE_DELIVERY: Delivery = Delivery {
    max_retries: 5,
    max_record_age_secs: 3600,
};

/// Whether `record` matches any of `patterns` (Lambda event-filtering syntax:
/// nested objects, lists of allowed strings, `{"exists": bool}`).
pub fn matches_any(patterns: &[&str], record: &EventRecord) -> bool {
    let Ok(json) = serde_json::to_value(record) else {
        return false;
    };
    patterns
        .iter()
        .filter_map(|p| serde_json::from_str::<Value>(p).ok())
        .any(|p| matches(&p, Some(&json)))
}

fn matches(pattern: &Value, value: Option<&Value>) -> bool {
    match pattern {
        Value::Object(fields) => fields
            .iter()
            .all(|(k, p)| matches(p, value.and_then(|v| v.get(k)))),
        Value::Array(allowed) => allowed.iter().any(|a| match (a, value) {
            (Value::Object(o), v) if o.contains_key("exists") => {
                o.get("exists").and_then(Value::as_bool) == Some(v.is_some_and(|v| !v.is_null()))
            }
            (a, Some(v)) => a == v,
            (_, None) => false,
        }),
        other => value == Some(other),
    }
}

/// A record to retry, as Lambda's partial batch response names it (by its
/// sequence number).
pub fn retry(record: &EventRecord) -> DynamoDbBatchItemFailure {
    let mut failure = DynamoDbBatchItemFailure::default();
    failure.item_identifier = record.change.sequence_number.clone();
    failure
}

/// Hands each call change among the records matching `filters` to `apply`.
/// A record whose change fails, or that does not decode (after the bounded
/// retries it lands in the dead-letter queue, not silently dropped), is
/// reported for retry.
pub async fn for_each_call_change<F, Fut>(
    event: &Event,
    filters: &[&str],
    apply: F,
) -> DynamoDbEventResponse
where
    F: Fn(CallChange) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let mut response = DynamoDbEventResponse::default();
    // The event source mapping filters already; this keeps a mis-configured
    // mapping harmless.
    for record in event.records.iter().filter(|r| matches_any(filters, r)) {
        let failed = match call_change(record) {
            Ok(None) => false,
            Ok(Some(change)) => match apply(change).await {
                Ok(()) => false,
                Err(e) => {
                    tracing::warn!(event_id = %record.event_id, error = %e, "stream record not processed; will retry");
                    true
                }
            },
            Err(e) => {
                tracing::error!(error = %e, "malformed call record on the stream");
                true
            }
        };
        if failed {
            response.batch_item_failures.push(retry(record));
        }
    }
    response
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stream record {id}: {detail}")]
pub struct BadRecord {
    pub id: String,
    pub detail: String,
}

/// The call change in a record; `Ok(None)` for records that are not about a
/// call's start or end (other items, TTL deletions). The image decodes
/// through the table's own item codec.
pub fn call_change(record: &EventRecord) -> Result<Option<CallChange>, BadRecord> {
    lifeline_aws::dynamo::stream::call_change(&record.event_name, &record.change.new_image).map_err(
        |e| BadRecord {
            id: record.event_id.clone(),
            detail: e.to_string(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::dynamodb::Event;
    use serde_json::json;

    fn record(name: &str, new_image: Value) -> EventRecord {
        let e: Event = serde_json::from_value(json!({"Records": [{
            "eventID": "1", "eventName": name, "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {"ApproximateCreationDateTime": 1795496400.0, "Keys": {"pk": {"S": "x"}, "sk": {"S": "y"}},
                         "NewImage": new_image, "SequenceNumber": "100", "SizeBytes": 10,
                         "StreamViewType": "NEW_AND_OLD_IMAGES"},
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:1:table/lifeline/stream/x"}]}))
        .unwrap();
        e.records.into_iter().next().unwrap()
    }

    fn call_image(ended: bool) -> Value {
        let mut v = json!({"pk": {"S": "CALL#c-1"}, "sk": {"S": "CALL"}, "type": {"S": "call"},
            "callId": {"S": "c-1"}, "agentId": {"S": "a-42"}, "dialedAt": {"S": "2026-11-24T05:00:00Z"}});
        if ended {
            v["endedAt"] = json!({"S": "2026-11-24T05:10:00Z"});
        }
        v
    }

    #[test]
    fn filters_take_starts_and_ends_only() {
        assert!(matches_any(
            &PRESENCE_FILTERS,
            &record("INSERT", call_image(false))
        ));
        assert!(matches_any(
            &PRESENCE_FILTERS,
            &record("MODIFY", call_image(true))
        ));
        assert!(!matches_any(
            &PRESENCE_FILTERS,
            &record("MODIFY", call_image(false))
        ));
        assert!(!matches_any(
            &PRESENCE_FILTERS,
            &record("REMOVE", json!({}))
        ));
        let number =
            json!({"pk": {"S": "NUMBER#+1"}, "sk": {"S": "NUMBER"}, "type": {"S": "number"}});
        assert!(!matches_any(&PRESENCE_FILTERS, &record("INSERT", number)));
    }

    #[test]
    fn changes() {
        let s = call_change(&record("INSERT", call_image(false)))
            .unwrap()
            .unwrap();
        assert!(matches!(s, CallChange::Started { .. }));
        let e = call_change(&record("MODIFY", call_image(true)))
            .unwrap()
            .unwrap();
        assert!(matches!(e, CallChange::Ended { .. }));
        assert_eq!(e.agent().as_str(), "a-42");
        let number = json!({"pk": {"S": "NUMBER#+1"}, "type": {"S": "number"}});
        assert_eq!(call_change(&record("INSERT", number)).unwrap(), None);
        let mut broken = call_image(false);
        broken["dialedAt"] = json!({"S": "yesterday"});
        assert!(call_change(&record("INSERT", broken)).is_err());
    }

    /// Each mapping's retry limits, as the runner applies them: the block of
    /// the mapping that holds the consumer's filter says the same.
    #[test]
    fn template_uses_the_same_retry_limits() {
        let template = include_str!("../../../../template.yaml");
        for (function, d) in [
            ("PresenceOverrideFunction", PRESENCE_DELIVERY),
            ("NotifierFunction", NOTIFY_DELIVERY),
            ("CallbackLeaseFunction", LEASE_DELIVERY),
        ] {
            let start = template
                .find(&format!("\n  {function}:\n"))
                .expect("the function");
            // Its stream mapping: from its DynamoDB event to the filter after it.
            let rest = &template[start..];
            let event = rest.find("Type: DynamoDB").expect("a DynamoDB event");
            let end = rest[event..].find("FilterCriteria:").expect("a filter") + event;
            let block = &rest[event..end];
            assert!(
                block.contains(&format!("MaximumRetryAttempts: {}\n", d.max_retries)),
                "{function}: {block}"
            );
            assert!(
                block.contains(&format!(
                    "MaximumRecordAgeInSeconds: {}\n",
                    d.max_record_age_secs
                )),
                "{function}: {block}"
            );
        }
    }

    #[test]
    fn template_uses_the_same_filters() {
        let template = include_str!("../../../../template.yaml");
        for p in PRESENCE_FILTERS
            .iter()
            .chain(LEASE_FILTERS.iter())
            .chain(NOTIFY_FILTERS.iter())
        {
            assert!(
                template.contains(&format!("Pattern: '{p}'")),
                "template.yaml lacks filter {p}"
            );
        }
    }
}
