//! The `stream-events` Lambda: the table's stream → Lifeline's event bus.

use lifeline_app::clock::SystemClock;
use lifeline_aws::eventbridge::EventBridgeBus;
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_aws::sqs::SqsFailureQueue;
use std::sync::Arc;
use stream_events::{StreamEvents, StreamEventsConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lifeline_edge::telemetry::init_json();
    let config = StreamEventsConfig::from_lookup(|k| std::env::var(k).ok())?;
    let aws = load_aws_config(ClientProfile::Admin).await;
    let handler = Arc::new(StreamEvents::new(
        Arc::new(EventBridgeBus::new(
            aws_sdk_eventbridge::Client::new(&aws),
            config.bus,
        )),
        Arc::new(SqsFailureQueue::new(
            aws_sdk_sqs::Client::new(&aws),
            config.failure_queue_url,
        )),
        Arc::new(SystemClock),
    ));
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let handler = handler.clone();
            async move {
                handler
                    .invoke(event.payload, &event.context.invoked_function_arn)
                    .await
            }
        },
    ))
    .await
}
