//! The `notifier` Lambda: the call-start handler, wired to the runtime.

use lifeline_app::clock::SystemClock;
use lifeline_app::ports::{ChatSender, SmsSender};
use lifeline_app::service::notify::{Escalating, StepKeeping};
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::scheduler::{EventBridgeScheduler, SchedulerConfig};
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_aws::ses::SesSender;
use lifeline_aws::sns::SnsSms;
use lifeline_chat::WebhookChat;
use lifeline_edge::config::{notify_from, Config, Mode};
use lifeline_edge::webhook::{SignedAckLinks, WebhookSecret};
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
    let mut notifier = Notifier::new(
        store.clone(),
        sender,
        Arc::new(SystemClock),
        from,
        &config.settings,
    );
    if let Some(links) = ack_links(&aws, config.settings.ack_base_url.clone()).await {
        notifier = notifier.with_ack_links(Arc::new(links), store.clone());
    }
    let sms: Arc<dyn SmsSender> = Arc::new(SnsSms::from_conf(&aws));
    notifier = notifier
        .with_channels(Some(sms), chat(&config.settings))
        .with_timeline(store.clone(), &config.settings);
    // Each incident's steps: the follow-up at a call's end, sent once.
    notifier = notifier.with_steps(StepKeeping {
        steps: store.clone(),
        acks: store.clone(),
    });
    // Escalation, when the template names this function as its target.
    if let Some(schedules) =
        SchedulerConfig::for_escalations(Mode::Lambda, |k| std::env::var(k).ok())?
    {
        let scheduler = EventBridgeScheduler::new(aws_sdk_scheduler::Client::new(&aws), schedules);
        notifier = notifier.with_escalation(Escalating {
            steps: store.clone(),
            schedules: Arc::new(scheduler),
            acks: store,
        });
    }
    lifeline_edge::lambda::serve_events(notifier).await
}

/// The chat sender, for the allowed hosts (none allowed: no chat sender,
/// and chat recipients are refused, counted).
fn chat(settings: &lifeline_app::settings::Settings) -> Option<Arc<dyn ChatSender>> {
    if settings.chat_allowed_hosts.as_slice().is_empty() {
        return None;
    }
    match WebhookChat::new(settings.chat_allowed_hosts.clone()) {
        Ok(chat) => Some(Arc::new(chat)),
        Err(e) => {
            tracing::error!(error = %e, "no chat client: chat recipients are refused");
            None
        }
    }
}

/// The acknowledgement links, signed with the webhook secret read once at
/// cold start. Without a base URL, or without the secret (logged), alerts
/// go without links: never without the alert.
async fn ack_links(aws: &aws_config::SdkConfig, base: Option<String>) -> Option<SignedAckLinks> {
    let base = base?;
    match lifeline_aws::secrets::webhook_secret(aws, |k| std::env::var(k).ok()).await {
        Ok(value) => match WebhookSecret::new(&value) {
            Ok(secret) => Some(SignedAckLinks { secret, base }),
            Err(e) => {
                tracing::error!(error = %e, "the webhook secret cannot sign acknowledgement links; alerts go without");
                None
            }
        },
        Err(e) => {
            tracing::error!(error = %e, "webhook secret not read: alerts go without acknowledgement links");
            None
        }
    }
}
