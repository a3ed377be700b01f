//! The `twilio-adapter` Lambda: Twilio's voice webhooks, wired to the runtime.

use lifeline_aws::secrets::{secret, TWILIO_TOKEN_ARN_VAR, TWILIO_TOKEN_VAR};
use lifeline_edge::config::Mode;
use twilio_adapter::{TwilioAdapter, TwilioConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lifeline_edge::telemetry::init_json();
    // The auth token, once per cold start: the plain variable locally,
    // Secrets Manager on AWS; the rest of the wiring is every webhook's.
    let aws = lifeline_aws::sdk::load_aws_config(lifeline_aws::sdk::ClientProfile::Admin).await;
    let token = secret(&aws, TWILIO_TOKEN_VAR, TWILIO_TOKEN_ARN_VAR, |k| {
        std::env::var(k).ok()
    })
    .await?;
    let twilio = TwilioConfig::from_lookup(Mode::Lambda, |k| {
        if k == TWILIO_TOKEN_VAR {
            Some(token.clone())
        } else {
            std::env::var(k).ok()
        }
    })?;
    // The dial's outbox (LIFELINE_OUTBOX_QUEUE_URL), read once at cold start.
    let critical =
        lifeline_aws::sdk::load_aws_config(lifeline_aws::sdk::ClientProfile::CriticalPath).await;
    let outbox = lifeline_aws::sqs::SqsOutbox::from_lookup(&critical, |k| std::env::var(k).ok());
    lifeline_edge::lambda::run_webhook_without_secret(move |store, clock, config| {
        let adapter = TwilioAdapter::new(store, clock, config, twilio);
        match outbox {
            Some(outbox) => adapter.with_outbox(std::sync::Arc::new(outbox)),
            None => adapter,
        }
    })
    .await
}
