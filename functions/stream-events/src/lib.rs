//! `stream-events`: the one reader of the table's stream. Each committed
//! change of a call record, a pool number's lease or an agent's presence
//! becomes Lifeline's domain events on its event bus, in the stream's order;
//! the side-effect functions (and any rule a customer adds) subscribe there.
//!
//! A batch stops at its first record whose events the bus did not take:
//! that record is reported (partial batch response) and Lambda retries from
//! it, so nothing after it is published twice meanwhile. A record that does
//! not decode never will: it is kept at once, with its payload, in the
//! failure queue (`lifeline dlq`), and the shard moves on without it.

use std::sync::Arc;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use lifeline_app::clock::Clock;
use lifeline_app::metrics::{EmfStdout, Metrics};
use lifeline_app::ports::{BusEntry, EventPublisher, FailureKeeper};
use lifeline_aws::dynamo::stream::item_change;
use lifeline_domain::events::events_of;
use lifeline_edge::events::{detail, STREAM_FILTERS};
use serde_json::{json, Value};

/// `LIFELINE_STREAM_FAILURE_QUEUE_URL`: where undecodable records are kept.
pub const FAILURE_QUEUE_VAR: &str = "LIFELINE_STREAM_FAILURE_QUEUE_URL";

/// What the function reads at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEventsConfig {
    pub bus: String,
    pub failure_queue_url: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0} must be set")]
pub struct MissingVariable(pub &'static str);

impl StreamEventsConfig {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, MissingVariable> {
        let required = |name: &'static str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or(MissingVariable(name))
        };
        Ok(StreamEventsConfig {
            bus: required(lifeline_aws::eventbridge::EVENT_BUS_VAR)?,
            failure_queue_url: required(FAILURE_QUEUE_VAR)?,
        })
    }
}

pub struct StreamEvents<P, K> {
    bus: Arc<P>,
    failures: Arc<K>,
    clock: Arc<dyn Clock>,
    metrics: Arc<dyn Metrics>,
}

/// The failure record's `condition` for a record that does not decode.
pub const UNDECODABLE: &str = "UndecodableRecord";

impl<P: EventPublisher, K: FailureKeeper> StreamEvents<P, K> {
    pub fn new(bus: Arc<P>, failures: Arc<K>, clock: Arc<dyn Clock>) -> Self {
        StreamEvents {
            bus,
            failures,
            clock,
            metrics: Arc::new(EmfStdout),
        }
    }

    /// Emits to `metrics` instead of the EMF log lines (tests).
    pub fn with_metrics(mut self, metrics: Arc<dyn Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// The Lambda entry: a stream batch from the mapping, or one replayed
    /// by `lifeline dlq replay` (`"replay": true`: an undecodable record is
    /// then reported failed, not kept a second time).
    pub async fn invoke(
        &self,
        payload: Value,
        function_arn: &str,
    ) -> Result<Value, lambda_runtime::Diagnostic> {
        let replay = payload.get("replay") == Some(&Value::Bool(true));
        let event: Event =
            serde_json::from_value(payload).map_err(|e| lambda_runtime::Diagnostic {
                error_type: "InvalidEvent".into(),
                error_message: format!("not a DynamoDB stream batch: {e}"),
            })?;
        let response = self.handle(event, function_arn, replay).await;
        serde_json::to_value(response).map_err(|e| lambda_runtime::Diagnostic {
            error_type: "SerializationError".into(),
            error_message: e.to_string(),
        })
    }

    /// Publishes the batch's events; the record to retry from, if any.
    pub async fn handle(
        &self,
        event: Event,
        function_arn: &str,
        replay: bool,
    ) -> DynamoDbEventResponse {
        let records = &event.records;
        match self.publish_batch(records, function_arn, replay).await {
            Ok(()) => DynamoDbEventResponse::default(),
            Err(index) => {
                let mut response = DynamoDbEventResponse::default();
                if let Some(record) = records.get(index) {
                    response
                        .batch_item_failures
                        .push(lifeline_edge::stream::retry(record));
                }
                response
            }
        }
    }

    /// `Err(i)`: record `i` and the ones after it are to be retried.
    async fn publish_batch(
        &self,
        records: &[EventRecord],
        function_arn: &str,
        replay: bool,
    ) -> Result<(), usize> {
        // Events not yet published, each with its record's index.
        let mut pending: Vec<(usize, BusEntry)> = Vec::new();
        for (index, record) in records.iter().enumerate() {
            if !lifeline_edge::events::stream_record_matches(&STREAM_FILTERS, record) {
                continue;
            }
            match item_change(&record.change.old_image, &record.change.new_image) {
                Ok(None) => {}
                Ok(Some(change)) => {
                    for e in events_of(&change) {
                        tracing::info!(event_id = %record.event_id, detail_type = e.detail_type(),
                            subject = %e.subject(), "domain event");
                        pending.push((
                            index,
                            BusEntry {
                                detail_type: e.detail_type().to_string(),
                                detail: detail(&e).to_string(),
                            },
                        ));
                    }
                }
                Err(e) => {
                    // What came before goes first: the bus keeps the stream's order.
                    self.flush(&mut pending).await?;
                    if replay {
                        tracing::warn!(event_id = %record.event_id, error = %e, "replayed record still does not decode");
                        return Err(index);
                    }
                    let message =
                        failure_record(record, function_arn, &e.to_string(), self.clock.now());
                    if let Err(keep) = self.failures.keep(message).await {
                        tracing::error!(event_id = %record.event_id, error = %keep,
                            "undecodable stream record not kept; the mapping will retry it");
                        return Err(index);
                    }
                    tracing::error!(event_id = %record.event_id, error = %e,
                        "stream record does not decode; kept in the failure queue");
                    self.metrics
                        .emit("UndecodableStreamRecords", 1.0, "Count", &[]);
                }
            }
        }
        self.flush(&mut pending).await
    }

    async fn flush(&self, pending: &mut Vec<(usize, BusEntry)>) -> Result<(), usize> {
        if pending.is_empty() {
            return Ok(());
        }
        let entries: Vec<BusEntry> = pending.iter().map(|(_, e)| e.clone()).collect();
        match self.bus.publish(&entries).await {
            Ok(()) => {
                self.metrics
                    .emit("EventsPublished", entries.len() as f64, "Count", &[]);
                pending.clear();
                Ok(())
            }
            Err(e) => {
                let record = pending.get(e.first_failed).map_or(0, |(i, _)| *i);
                tracing::warn!(error = %e, "events not published; the mapping retries from their record");
                self.metrics.emit("EventsNotPublished", 1.0, "Count", &[]);
                Err(record)
            }
        }
    }
}

/// A kept record in the shape of Lambda's asynchronous-invocation failure
/// record, so that one reader (`lifeline dlq`) handles every failure queue:
/// `requestPayload` is what to invoke this function with to try again.
pub fn failure_record(
    record: &EventRecord,
    function_arn: &str,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let record = serde_json::to_value(record).unwrap_or(Value::Null);
    json!({
        "version": "1.0",
        "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "requestContext": {
            "requestId": record.get("eventID").cloned().unwrap_or(Value::Null),
            "functionArn": function_arn,
            "condition": UNDECODABLE,
            "approximateInvokeCount": 1,
        },
        "requestPayload": {"Records": [record], "replay": true},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Handled"},
        "responsePayload": {"errorType": UNDECODABLE, "errorMessage": reason},
    })
    .to_string()
}

#[cfg(test)]
mod tests;
