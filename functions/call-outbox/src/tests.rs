//! Handler tests: SQS events in, the record and the retries out.

use super::*;
use aws_lambda_events::event::sqs::SqsMessage;
use chrono::{DateTime, Utc};
use lifeline_app::clock::FixedClock;
use lifeline_app::fakes::{MemoryStore, RecordedMetrics};
use lifeline_domain::call::EmergencyCall;

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_496_400, 0).unwrap()
}

fn call(id: &str) -> EmergencyCall {
    EmergencyCall {
        degraded: true,
        reason: Some(lifeline_domain::degraded::DegradedReason::StoreUnavailable),
        ..lifeline_domain::testing::call(id, "a-42", t0())
    }
}

fn event(bodies: &[(&str, String)]) -> SqsEvent {
    let records = bodies
        .iter()
        .map(|(id, body)| {
            serde_json::from_value::<SqsMessage>(serde_json::json!({
                "messageId": id, "body": body
            }))
            .unwrap()
        })
        .collect();
    serde_json::from_value::<SqsEvent>(serde_json::json!({"Records": []}))
        .map(|mut e| {
            e.records = records;
            e
        })
        .unwrap()
}

fn message(c: &EmergencyCall) -> String {
    lifeline_aws::dynamo::outbox::outbox_message(c, t0() + chrono::Duration::hours(30))
}

#[tokio::test]
async fn messages_become_records_and_only_the_unrecorded_are_retried() {
    let store = Arc::new(MemoryStore::new());
    let metrics = Arc::new(RecordedMetrics::default());
    let handler = CallOutbox::new(
        store.clone(),
        Arc::new(FixedClock::at(t0())),
        Arc::new(lifeline_app::settings::Settings::from_lookup(|_| None).unwrap()),
    )
    .with_metrics(metrics.clone());

    store.set_failing(true);
    let ev = event(&[("m-1", message(&call("c-1"))), ("m-2", "{not json".into())]);
    let r = handler.handle(ev).await;
    let retried: Vec<_> = r
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(retried, vec!["m-1"], "the unreadable one is never retried");
    assert_eq!(metrics.values("CorruptItem"), vec![1.0]);

    store.set_failing(false);
    let r = handler
        .handle(event(&[("m-1", message(&call("c-1")))]))
        .await;
    assert!(r.batch_item_failures.is_empty());
    let id = "c-1".parse().unwrap();
    assert_eq!(
        store.with_state(|s| s.calls.get(&id).cloned()),
        Some(call("c-1"))
    );
}
