//! Drives the stream's one reader locally: reads the table's stream from
//! DynamoDB Local through the Streams API, shapes the records as Lambda
//! delivers them and invokes stream-events with them, as its event source
//! mapping would: shards in parent-before-child order, a batch with a failure
//! retried from its first failed record (nothing before it again, nothing
//! after it before it), and given up after the mapping's retry count or
//! record age (`STREAM_DELIVERY`), the records then kept with their payload
//! in stream-events' failure queue (on AWS, the mapping's S3 destination).

use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use lifeline_edge::events::Delivery;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use crate::activity::Activity;
use crate::bus::FailureQueues;
use crate::invoke::Invocable;

/// The stream's one reader and its mapping's limits.
pub struct StreamReader {
    /// stream-events, invoked with `{"Records": [...]}`.
    pub function: Arc<dyn Invocable>,
    pub delivery: Delivery,
    /// Where given-up records go, with their payload.
    pub failures: FailureQueues,
    /// Told of each round that finds nothing to deliver.
    pub activity: Arc<Activity>,
}

fn attribute(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(b) => json!({ "NULL": b }),
        AttributeValue::Ss(v) => json!({ "SS": v }),
        AttributeValue::Ns(v) => json!({ "NS": v }),
        AttributeValue::B(b) => json!({ "B": base64(b.as_ref()) }),
        AttributeValue::Bs(v) => {
            json!({ "BS": v.iter().map(|b| base64(b.as_ref())).collect::<Vec<_>>() })
        }
        AttributeValue::L(l) => json!({ "L": l.iter().map(attribute).collect::<Vec<_>>() }),
        AttributeValue::M(m) => json!({ "M": image(m) }),
        _ => json!({ "NULL": true }),
    }
}

fn image(m: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), attribute(v)))
            .collect::<Map<_, _>>(),
    )
}

fn base64(bytes: &[u8]) -> String {
    aws_smithy_types::base64::encode(bytes)
}

/// A Streams API record in the shape Lambda delivers (`Records[i]`).
pub fn lambda_record(r: &Record, arn: &str) -> Value {
    let mut ddb = Map::new();
    if let Some(d) = r.dynamodb() {
        if let Some(t) = d.approximate_creation_date_time() {
            ddb.insert("ApproximateCreationDateTime".into(), json!(t.secs() as f64));
        }
        if let Some(k) = d.keys() {
            ddb.insert("Keys".into(), image(k));
        }
        if let Some(i) = d.new_image() {
            ddb.insert("NewImage".into(), image(i));
        }
        if let Some(i) = d.old_image() {
            ddb.insert("OldImage".into(), image(i));
        }
        ddb.insert("SequenceNumber".into(), json!(d.sequence_number()));
        ddb.insert("SizeBytes".into(), json!(d.size_bytes().unwrap_or(0)));
        if let Some(v) = d.stream_view_type() {
            ddb.insert("StreamViewType".into(), json!(v.as_str()));
        }
    }
    json!({
        "eventID": r.event_id(),
        "eventName": r.event_name().map(|n| n.as_str()),
        "eventVersion": r.event_version(),
        "eventSource": "aws:dynamodb",
        "awsRegion": r.aws_region().unwrap_or("us-east-1"),
        "dynamodb": Value::Object(ddb),
        "eventSourceARN": arn,
    })
}

/// One shard as the mapping reads it.
#[derive(Default)]
struct Shard {
    parent: Option<String>,
    /// `None`: not started; `Some(None)`: closed and read to its end.
    iterator: Option<Option<String>>,
    /// Records read and not yet delivered (from the first failed one on).
    pending: Vec<Value>,
    attempts: u32,
}

impl Shard {
    fn finished(&self) -> bool {
        matches!(self.iterator, Some(None)) && self.pending.is_empty()
    }
}

/// The shards that may be read now: a child waits until its parent (when
/// the stream still lists it) is read to its end, as Lambda reads them.
fn readable(shards: &BTreeMap<String, Shard>) -> Vec<String> {
    shards
        .iter()
        .filter(|(_, s)| {
            s.parent
                .as_ref()
                .and_then(|p| shards.get(p))
                .is_none_or(Shard::finished)
        })
        .map(|(id, _)| id.clone())
        .collect()
}

/// Polls the table's stream until the task is aborted.
pub async fn pump(
    streams: aws_sdk_dynamodbstreams::Client,
    table: String,
    reader: StreamReader,
    every: Duration,
) {
    let arn = loop {
        match streams.list_streams().table_name(&table).send().await {
            Ok(r) => {
                if let Some(arn) = r.streams().first().and_then(|s| s.stream_arn()) {
                    break arn.to_string();
                }
                tracing::debug!(table, "waiting for the table's stream");
            }
            Err(e) => {
                tracing::debug!(error = %lifeline_aws::dynamo::sdk_error::DisplayErrorContext(&e), "waiting for the stream");
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    tracing::info!("reading the table's stream (stream-events)");
    let mut shards: BTreeMap<String, Shard> = BTreeMap::new();
    let mut round: u64 = 0;
    loop {
        if round.is_multiple_of(10) {
            refresh_shards(&streams, &arn, &mut shards).await;
        }
        round += 1;
        let mut delivered = false;
        for id in readable(&shards) {
            let Some(shard) = shards.get_mut(&id) else {
                continue;
            };
            if shard.pending.is_empty() && !read_next(&streams, &arn, &id, shard).await {
                continue;
            }
            deliver_pending(&reader, shard).await;
            delivered = true;
        }
        if !delivered {
            reader.activity.quiet_round();
        }
        tokio::time::sleep(every).await;
    }
}

/// Reads the shard's next records into `pending`; whether there are any.
async fn read_next(
    streams: &aws_sdk_dynamodbstreams::Client,
    arn: &str,
    id: &str,
    shard: &mut Shard,
) -> bool {
    let iterator = match &shard.iterator {
        Some(None) => return false,
        Some(Some(it)) => it.clone(),
        None => match streams
            .get_shard_iterator()
            .stream_arn(arn)
            .shard_id(id)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
        {
            Ok(r) => match r.shard_iterator() {
                Some(it) => it.to_string(),
                None => {
                    shard.iterator = Some(None);
                    return false;
                }
            },
            Err(e) => {
                tracing::warn!(shard = id, error = %lifeline_aws::dynamo::sdk_error::DisplayErrorContext(&e), "no shard iterator");
                return false;
            }
        },
    };
    match streams
        .get_records()
        .shard_iterator(&iterator)
        .limit(100)
        .send()
        .await
    {
        Ok(r) => {
            shard.pending = r.records().iter().map(|x| lambda_record(x, arn)).collect();
            shard.iterator = Some(r.next_shard_iterator().map(String::from));
            !shard.pending.is_empty()
        }
        Err(e) => {
            tracing::warn!(shard = id, error = %lifeline_aws::dynamo::sdk_error::DisplayErrorContext(&e), "stream read failed; retrying");
            shard.iterator = Some(Some(iterator));
            false
        }
    }
}

async fn deliver_pending(reader: &StreamReader, shard: &mut Shard) {
    match deliver(&*reader.function, &shard.pending).await {
        Ok(()) => {
            shard.pending.clear();
            shard.attempts = 0;
        }
        Err(rest) => {
            shard.attempts += 1;
            let too_old = rest
                .iter()
                .any(|r| age_secs(r) > reader.delivery.max_age_secs);
            if shard.attempts > reader.delivery.max_retries || too_old {
                let condition = if too_old {
                    "RecordAgeExceeded"
                } else {
                    "RetriesExhausted"
                };
                give_up(reader, &rest, condition, shard.attempts).await;
                shard.pending.clear();
                shard.attempts = 0;
            } else {
                shard.pending = rest;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

async fn give_up(reader: &StreamReader, records: &[Value], condition: &str, attempts: u32) {
    let record = json!({
        "version": "1.0",
        "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "requestContext": {
            "requestId": uuid::Uuid::new_v4().to_string(),
            "functionArn": reader.failures.function_arn("stream-events"),
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "requestPayload": {"Records": records},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorType": condition, "errorMessage": "the mapping gave up on these records"},
    });
    match reader.failures.keep("stream-events", &record).await {
        Ok(()) => tracing::error!(
            records = records.len(),
            condition,
            "stream records given up on; kept with their payload"
        ),
        Err(e) => tracing::error!(records = records.len(), condition, error = %e,
            "stream records given up on and NOT kept"),
    }
}

/// Seconds since the record was written (its approximate creation time).
fn age_secs(record: &Value) -> u64 {
    record
        .pointer("/dynamodb/ApproximateCreationDateTime")
        .and_then(Value::as_f64)
        .map(|t| (chrono::Utc::now().timestamp() as f64 - t).max(0.0) as u64)
        .unwrap_or(0)
}

/// Invokes the reader with a batch; `Err` holds the records to retry: from
/// the first one it reported failed (or all of them on a function error).
pub async fn deliver(function: &dyn Invocable, records: &[Value]) -> Result<(), Vec<Value>> {
    if records.is_empty() {
        return Ok(());
    }
    let event = serde_json::to_vec(&json!({ "Records": records })).unwrap_or_default();
    let response = match function.invoke(&event).await {
        Ok(r) => r,
        Err(d) => {
            tracing::warn!(error_type = %d.error_type, "stream-events failed; the batch is retried");
            return Err(records.to_vec());
        }
    };
    let failed: Vec<&str> = response
        .get("batchItemFailures")
        .and_then(Value::as_array)
        .map(|f| {
            f.iter()
                .filter_map(|x| x.get("itemIdentifier").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let first = records.iter().position(|r| {
        r.pointer("/dynamodb/SequenceNumber")
            .and_then(Value::as_str)
            .is_some_and(|s| failed.contains(&s))
    });
    match first {
        None => Ok(()),
        Some(i) => Err(records[i..].to_vec()),
    }
}

async fn refresh_shards(
    streams: &aws_sdk_dynamodbstreams::Client,
    arn: &str,
    shards: &mut BTreeMap<String, Shard>,
) {
    let desc = match streams.describe_stream().stream_arn(arn).send().await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %lifeline_aws::dynamo::sdk_error::DisplayErrorContext(&e), "describe stream failed");
            return;
        }
    };
    let Some(description) = desc.stream_description() else {
        return;
    };
    for shard in description.shards() {
        let Some(id) = shard.shard_id() else { continue };
        shards.entry(id.to_string()).or_insert_with(|| Shard {
            parent: shard.parent_shard_id().map(String::from),
            ..Shard::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(parent: Option<&str>, iterator: Option<Option<&str>>, pending: usize) -> Shard {
        Shard {
            parent: parent.map(String::from),
            iterator: iterator.map(|i| i.map(String::from)),
            pending: vec![Value::Null; pending],
            attempts: 0,
        }
    }

    #[test]
    fn a_child_shard_waits_for_its_parent_to_be_read_to_its_end() {
        let mut shards = BTreeMap::from([
            // "a-child" sorts before its parent: order must come from the lineage.
            ("a-child".to_string(), shard(Some("z-parent"), None, 0)),
            ("z-parent".to_string(), shard(None, Some(Some("it")), 0)),
            ("orphan".to_string(), shard(Some("expired"), None, 0)),
        ]);
        assert_eq!(readable(&shards), ["orphan", "z-parent"]);
        // Closed, but records still to deliver: the child still waits.
        shards.insert("z-parent".into(), shard(None, Some(None), 3));
        assert_eq!(readable(&shards), ["orphan", "z-parent"]);
        shards.insert("z-parent".into(), shard(None, Some(None), 0));
        assert_eq!(readable(&shards), ["a-child", "orphan", "z-parent"]);
    }
}
