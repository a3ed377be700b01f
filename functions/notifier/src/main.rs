//! The `notifier` Lambda: the call-start handler, wired to the runtime.

use lifeline_app::clock::SystemClock;
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_aws::ses::SesSender;
use lifeline_edge::config::{notify_from, Config, Mode};
use notifier::Notifier;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lifeline_edge::telemetry::init_json();
    let config = Config::from_env_without_secret(Mode::Lambda)?;
    let from = notify_from(Mode::Lambda, |k| std::env::var(k).ok())?;
    let aws = load_aws_config(ClientProfile::Admin).await;
    let store = Arc::new(DynamoStore::from_conf(&aws, &config.table));
    let sender = Arc::new(SesSender::new(aws_sdk_sesv2::Client::new(&aws)));
    lifeline_edge::lambda::serve_events(Notifier::new(
        store,
        sender,
        Arc::new(SystemClock),
        from,
        &config.settings,
    ))
    .await
}
