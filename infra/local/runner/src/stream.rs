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
            if deliver(&consumer, &records).await {
                *iterator = resp.next_shard_iterator().map(String::from);
            }
        }
        tokio::time::sleep(every).await;
    }
}

/// Hands a batch to the consumer (filtered as its mapping filters); `false`
/// when it reported failures and the batch must be read again.
async fn deliver(c: &Consumer, records: &[Value]) -> bool {
    if records.is_empty() {
        return true;
    }
    let event: Event = match serde_json::from_value(json!({ "Records": records })) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "stream records do not decode as a Lambda event; skipped");
            return true;
        }
    };
    let mut mine = event;
    mine.records.retain(|r| matches_any(c.filters, r));
    if mine.records.is_empty() {
        return true;
    }
    let resp = c.handler.handle(mine).await;
    if resp.batch_item_failures.is_empty() {
        return true;
    }
    tracing::warn!(
        consumer = c.name,
        failed = resp.batch_item_failures.len(),
        "batch item failures; retrying the batch"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    false
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
