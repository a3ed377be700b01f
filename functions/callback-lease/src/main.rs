//! The `callback-lease` Lambda: lease events and schedule firings, wired to the runtime.

use callback_lease::CallbackLease;
use lifeline_app::clock::SystemClock;
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::scheduler::{EventBridgeScheduler, SchedulerConfig};
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_edge::config::{Config, Mode};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lifeline_edge::telemetry::init_json();
    let config = Config::from_env_without_secret(Mode::Lambda)?;
    let schedules = SchedulerConfig::from_env(Mode::Lambda)?;
    let aws = load_aws_config(ClientProfile::Admin).await;
    let store = Arc::new(DynamoStore::from_conf(&aws, &config.table));
    let scheduler = Arc::new(EventBridgeScheduler::new(
        aws_sdk_scheduler::Client::new(&aws),
        schedules,
    ));
    let presence = config.settings.presence;
    lifeline_edge::lambda::serve_events(CallbackLease::new(
        store,
        scheduler,
        Arc::new(SystemClock),
        presence,
    ))
    .await
}
