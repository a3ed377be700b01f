//! The `call-outbox` Lambda: the SQS handler, wired to the runtime.

use aws_lambda_events::event::sqs::SqsEvent;
use call_outbox::CallOutbox;
use lifeline_app::clock::SystemClock;
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_edge::config::{Config, Mode};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lifeline_edge::telemetry::init_json();
    let config = Config::from_env_without_secret(Mode::Lambda)?;
    let aws = load_aws_config(ClientProfile::Admin).await;
    let store = Arc::new(DynamoStore::from_conf(&aws, &config.table));
    let handler = Arc::new(CallOutbox::new(
        store,
        Arc::new(SystemClock),
        config.settings.clone(),
    ));
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<SqsEvent>| {
            let handler = handler.clone();
            async move { Ok::<_, std::convert::Infallible>(handler.handle(event.payload).await) }
        },
    ))
    .await
}
