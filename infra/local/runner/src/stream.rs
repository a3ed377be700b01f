//! Drives the stream consumers locally: reads the table's stream from DynamoDB
//! Local through the Streams API, shapes the records as Lambda delivers them,
//! applies the event source mapping's filter and hands them to the same
//! handler code. A batch with failures is retried from the same position, as
//! Lambda retries a shard.

use aws_lambda_events::event::dynamodb::Event;
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use lifeline_edge::lambda::StreamHandler;
use lifeline_edge::stream::matches_any;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::time::Duration;

/// A stream consumer and the filter patterns of its event source mapping.
pub struct Consumer {
    pub name: &'static str,
    pub filters: &'static [&'static str],
    pub handler: std::sync::Arc<dyn StreamHandler>,
    /// When the mapping gives up on a failing record (the template's limits).
    pub delivery: lifeline_edge::stream::Delivery,
    /// Where given-up records go, with their payload.
    pub dead_letters: DeadLetters,
}

/// A stream record a consumer gave up on after its mapping's retries: kept
/// with its payload (where AWS's stream destination keeps only pointers), to
/// be listed and replayed.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub consumer: &'static str,
    pub at: chrono::DateTime<chrono::Utc>,
    pub reason: String,
    /// The record as the function received it.
    pub record: Value,
}

/// The runner's dead-letter store, shared by its consumers.
#[derive(Debug, Clone, Default)]
pub struct DeadLetters(std::sync::Arc<std::sync::Mutex<Vec<DeadLetter>>>);

impl DeadLetters {
    pub fn push(&self, letter: DeadLetter) {
        self.lock().push(letter);
    }

    pub fn list(&self) -> Vec<DeadLetter> {
        self.lock().clone()
    }

    /// Takes every letter of `consumer` out (to replay them).
    pub fn take(&self, consumer: &str) -> Vec<DeadLetter> {
        let mut all = self.lock();
        let (mine, rest): (Vec<_>, Vec<_>) = all.drain(..).partition(|l| l.consumer == consumer);
        *all = rest;
        mine
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<DeadLetter>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
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

/// Polls the table's stream for each consumer independently (as each event
/// source mapping keeps its own position: one failing consumer holds up no
/// other) until the task is aborted.
pub async fn pump_all(
    streams: aws_sdk_dynamodbstreams::Client,
    table: String,
    consumers: Vec<Consumer>,
    every: Duration,
) {
    let mut tasks = tokio::task::JoinSet::new();
    for c in consumers {
        tasks.spawn(pump(streams.clone(), table.clone(), c, every));
    }
    // Dropping the set (when this task is aborted) aborts every pump.
    while tasks.join_next().await.is_some() {}
}

/// Polls the table's stream for one consumer until the task is aborted.
pub async fn pump(
    streams: aws_sdk_dynamodbstreams::Client,
    table: String,
    consumer: Consumer,
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
    tracing::info!(consumer = consumer.name, "reading the table's stream");
    // Per shard: the iterator to read next (None once the shard is closed).
    let mut shards: HashMap<String, Option<String>> = HashMap::new();
    // Failed deliveries of each shard's current batch.
    let mut attempts: HashMap<String, u32> = HashMap::new();
    let mut round: u64 = 0;
    loop {
        if round.is_multiple_of(10) {
            refresh_shards(&streams, &arn, &mut shards).await;
        }
        round += 1;
        for (shard, iterator) in shards.iter_mut() {
            let Some(it) = iterator.clone() else { continue };
            let resp = match streams
                .get_records()
                .shard_iterator(&it)
                .limit(100)
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(shard, error = %lifeline_aws::dynamo::sdk_error::DisplayErrorContext(&e), "stream read failed; retrying");
                    continue;
                }
            };
            let records: Vec<Value> = resp
                .records()
                .iter()
                .map(|r| lambda_record(r, &arn))
                .collect();
            match deliver(&consumer, &records).await {
                Ok(()) => {
                    attempts.remove(shard);
                    *iterator = resp.next_shard_iterator().map(String::from);
                }
                Err(failed) => {
                    let n = attempts.entry(shard.clone()).or_default();
                    *n += 1;
                    // As the mapping does: after its retries (or past the
                    // record age) the failed records leave the shard, here
                    // with their payload, and the shard moves on.
                    let too_old = failed
                        .iter()
                        .any(|r| age_secs(r) > consumer.delivery.max_record_age_secs);
                    if *n > consumer.delivery.max_retries || too_old {
                        let reason = if too_old {
                            "record older than the mapping's maximum record age".to_string()
                        } else {
                            format!("failed after {} retries", consumer.delivery.max_retries)
                        };
                        tracing::error!(consumer = consumer.name, records = failed.len(), %reason,
                            "stream records given up on; kept in the local dead-letter store");
                        for record in failed {
                            consumer.dead_letters.push(DeadLetter {
                                consumer: consumer.name,
                                at: chrono::Utc::now(),
                                reason: reason.clone(),
                                record,
                            });
                        }
                        attempts.remove(shard);
                        *iterator = resp.next_shard_iterator().map(String::from);
                    }
                }
            }
        }
        tokio::time::sleep(every).await;
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

/// Hands a batch to the consumer (filtered as its mapping filters); the
/// records it reported as failed (the batch is read again) as the error.
pub async fn deliver(c: &Consumer, records: &[Value]) -> Result<(), Vec<Value>> {
    deliver_to(c.name, c.filters, &*c.handler, records).await
}

/// The same for any handler (a replay).
pub async fn deliver_to(
    name: &str,
    filters: &[&str],
    handler: &dyn StreamHandler,
    records: &[Value],
) -> Result<(), Vec<Value>> {
    if records.is_empty() {
        return Ok(());
    }
    let event: Event = match serde_json::from_value(json!({ "Records": records })) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "stream records do not decode as a Lambda event; skipped");
            return Ok(());
        }
    };
    let mut mine = event;
    mine.records.retain(|r| matches_any(filters, r));
    if mine.records.is_empty() {
        return Ok(());
    }
    let resp = handler.handle(mine).await;
    if resp.batch_item_failures.is_empty() {
        return Ok(());
    }
    tracing::warn!(
        consumer = name,
        failed = resp.batch_item_failures.len(),
        "batch item failures; retrying the batch"
    );
    // The records reported failed, by their sequence number (the item identifier).
    let failed: Vec<Value> = records
        .iter()
        .filter(|r| {
            let seq = r
                .pointer("/dynamodb/SequenceNumber")
                .and_then(Value::as_str);
            resp.batch_item_failures
                .iter()
                .any(|f| f.item_identifier.as_deref() == seq)
        })
        .cloned()
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    Err(failed)
}

async fn refresh_shards(
    streams: &aws_sdk_dynamodbstreams::Client,
    arn: &str,
    shards: &mut HashMap<String, Option<String>>,
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
        if shards.contains_key(id) {
            continue;
        }
        match streams
            .get_shard_iterator()
            .stream_arn(arn)
            .shard_id(id)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
        {
            Ok(r) => {
                shards.insert(id.to_string(), r.shard_iterator().map(String::from));
            }
            Err(e) => {
                tracing::warn!(shard = id, error = %lifeline_aws::dynamo::sdk_error::DisplayErrorContext(&e), "no shard iterator");
            }
        }
    }
}
