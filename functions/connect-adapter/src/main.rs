//! The `connect-adapter` Lambda: contact flows (synchronous) and contact
//! events (EventBridge), wired to the runtime.

use connect_adapter::ConnectAdapter;
use lifeline_app::clock::SystemClock;
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_aws::sqs::SqsOutbox;
use lifeline_edge::config::{Config, Mode};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lifeline_edge::telemetry::init_json();
    // IAM authorises Connect's invocations: no webhook secret to load.
    let config = Arc::new(Config::from_env_without_secret(Mode::Lambda)?);
    let aws = load_aws_config(ClientProfile::CriticalPath).await;
    let store = Arc::new(DynamoStore::from_conf(&aws, &config.table));
    let adapter = ConnectAdapter::new(store, Arc::new(SystemClock), config);
    // The dial's outbox (LIFELINE_OUTBOX_QUEUE_URL), read once at cold start.
    let adapter = Arc::new(
        match SqsOutbox::from_lookup(&aws, |k| std::env::var(k).ok()) {
            Some(outbox) => adapter.with_outbox(Arc::new(outbox)),
            None => adapter,
        },
    );
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let adapter = adapter.clone();
            async move { adapter.invoke(event.payload).await }
        },
    ))
    .await
}
