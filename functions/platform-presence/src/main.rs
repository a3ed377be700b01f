//! The `platform-presence` Lambda: presence events → the agent's status on Amazon Connect.

use lifeline_app::clock::SystemClock;
use lifeline_aws::connect::ConnectPresence;
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_edge::config::{Config, Mode};
use platform_presence::{ConnectSettings, PlatformPresenceHandler};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lifeline_edge::telemetry::init_json();
    let config = Config::from_env_without_secret(Mode::Lambda)?;
    let settings = ConnectSettings::from_lookup(|k| std::env::var(k).ok())?;
    let aws = load_aws_config(ClientProfile::Admin).await;
    let store = Arc::new(DynamoStore::from_conf(&aws, &config.table));
    let connect = Arc::new(ConnectPresence::new(
        aws_sdk_connect::Client::new(&aws),
        settings.instance,
        settings.emergency_status,
    ));
    lifeline_edge::lambda::serve_events(PlatformPresenceHandler::new(
        store,
        connect,
        Arc::new(SystemClock),
    ))
    .await
}
