//! The `twilio-adapter` Lambda: Twilio's voice webhooks, wired to the runtime.

use lifeline_aws::secrets::{
    SecretBudget, SecretSource, SecretsManagerSecret, TWILIO_TOKEN_ARN_VAR, TWILIO_TOKEN_VAR,
};
use lifeline_edge::config::Mode;
use lifeline_edge::secret::{RefreshPolicy, Refreshing, SecretNames, SecretRefresher};
use std::sync::Arc;
use twilio_adapter::twilio::TwilioAuthToken;
use twilio_adapter::{TwilioAdapter, TwilioConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lifeline_edge::telemetry::init_json();
    let get = |k: &str| std::env::var(k).ok();
    // The auth token: the plain variable locally; on AWS the Secrets Manager
    // secret, read within a bounded time and refreshed. An unreadable token
    // does not stop the cold start: until it is read, an emergency dial is
    // placed as dialed (fail open) and everything else is refused.
    let (twilio, refresher) = match SecretSource::of(TWILIO_TOKEN_VAR, TWILIO_TOKEN_ARN_VAR, get)? {
        SecretSource::Plain(_) => (TwilioConfig::from_lookup(Mode::Lambda, get)?, None),
        SecretSource::SecretsManager(arn) => {
            let token = TwilioAuthToken::unset();
            let config = TwilioConfig::from_lookup_with_token(Mode::Lambda, get, token.clone())?;
            let aws =
                lifeline_aws::sdk::load_aws_config(lifeline_aws::sdk::ClientProfile::Admin).await;
            let loader =
                SecretsManagerSecret::new(&aws, TWILIO_TOKEN_ARN_VAR, arn, SecretBudget::BOUNDED);
            let refresher = Arc::new(SecretRefresher::for_slot(
                Arc::new(token),
                Arc::new(loader),
                RefreshPolicy::default(),
                SecretNames::TWILIO,
            ));
            refresher.load_initial().await;
            (config, Some(refresher))
        }
    };
    // The dial's outbox (LIFELINE_OUTBOX_QUEUE_URL), read once at cold start.
    let critical =
        lifeline_aws::sdk::load_aws_config(lifeline_aws::sdk::ClientProfile::CriticalPath).await;
    let outbox = lifeline_aws::sqs::SqsOutbox::from_lookup(&critical, get);
    lifeline_edge::lambda::run_webhook_without_secret(move |store, clock, config| {
        let adapter = TwilioAdapter::new(store, clock, config, twilio);
        let adapter = match outbox {
            Some(outbox) => adapter.with_outbox(Arc::new(outbox)),
            None => adapter,
        };
        Refreshing::new(adapter, refresher)
    })
    .await
}
