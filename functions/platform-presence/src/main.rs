//! The `platform-presence` Lambda: presence events → the agent's status on
//! Amazon Connect or Twilio TaskRouter (`LIFELINE_PLATFORM_PRESENCE`).

use lifeline_app::clock::SystemClock;
use lifeline_aws::connect::ConnectPresence;
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_edge::config::{Config, Mode};
use platform_presence::twilio::TaskRouterPresence;
use platform_presence::{PlatformPresenceHandler, PlatformSettings};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lifeline_edge::telemetry::init_json();
    let config = Config::from_env_without_secret(Mode::Lambda)?;
    // Every setting read and checked here, at cold start.
    let settings = PlatformSettings::from_lookup(|k| std::env::var(k).ok())?;
    let aws = load_aws_config(ClientProfile::Admin).await;
    let store = Arc::new(DynamoStore::from_conf(&aws, &config.table));
    let clock = Arc::new(SystemClock);
    match settings {
        PlatformSettings::Connect(s) => {
            let connect = ConnectPresence::new(
                aws_sdk_connect::Client::new(&aws),
                s.instance,
                s.emergency_status,
            );
            lifeline_edge::lambda::serve_events(PlatformPresenceHandler::new(
                store,
                Arc::new(connect),
                clock,
            ))
            .await
        }
        PlatformSettings::Twilio(s) => {
            // The auth token: the variable, or the Secrets Manager secret
            // (one bounded read; unreadable, the start fails and Lambda retries).
            let token = s.auth_token(&aws).await?;
            let taskrouter = TaskRouterPresence::new(&s, &token)
                .map_err(|e| format!("TaskRouter client (root certificates): {e}"))?;
            lifeline_edge::lambda::serve_events(PlatformPresenceHandler::new(
                store,
                Arc::new(taskrouter),
                clock,
            ))
            .await
        }
    }
}
