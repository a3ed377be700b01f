//! The Lambda wiring every webhook function shares: JSON logs, configuration
//! and clients built once at cold start, then the runtime loop.

use std::sync::Arc;

use crate::config::{Config, Mode};
use crate::http::WebhookHandler;
use lifeline_app::clock::{Clock, SystemClock};
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::sdk::{load_aws_config, ClientProfile};

/// Builds the handler once (a bad configuration stops the cold start, naming
/// the variable) and serves API Gateway HTTP API events with it.
#[cfg(feature = "secrets")]
pub async fn run_webhook<H, F>(build: F) -> Result<(), lambda_http::Error>
where
    H: WebhookHandler + 'static,
    F: FnOnce(Arc<DynamoStore>, Arc<dyn Clock>, Arc<Config>) -> H,
{
    crate::telemetry::init_json();
    let aws = load_aws_config(ClientProfile::CriticalPath).await;
    // Once per cold start: the plain variable locally, Secrets Manager on AWS.
    let secret = lifeline_aws::secrets::webhook_secret(&aws, |k| std::env::var(k).ok()).await?;
    let config = Arc::new(Config::from_lookup(Mode::Lambda, |k| {
        if k == lifeline_aws::secrets::SECRET_VAR {
            Some(secret.clone())
        } else {
            std::env::var(k).ok()
        }
    })?);
    let store = Arc::new(DynamoStore::from_conf(&aws, &config.table));
    serve_webhook(build(store, Arc::new(SystemClock), config)).await
}

/// The same for a webhook that authenticates its caller its own way (the
/// Twilio adapter checks Twilio's signature): no Lifeline webhook secret.
pub async fn run_webhook_without_secret<H, F>(build: F) -> Result<(), lambda_http::Error>
where
    H: WebhookHandler + 'static,
    F: FnOnce(Arc<DynamoStore>, Arc<dyn Clock>, Arc<Config>) -> H,
{
    crate::telemetry::init_json();
    let aws = load_aws_config(ClientProfile::CriticalPath).await;
    let config = Arc::new(Config::from_env_without_secret(Mode::Lambda)?);
    let store = Arc::new(DynamoStore::from_conf(&aws, &config.table));
    serve_webhook(build(store, Arc::new(SystemClock), config)).await
}

async fn serve_webhook<H: WebhookHandler + 'static>(handler: H) -> Result<(), lambda_http::Error> {
    let handler = Arc::new(handler);
    lambda_http::run(lambda_http::service_fn(move |req: lambda_http::Request| {
        let handler = handler.clone();
        async move { Ok::<_, std::convert::Infallible>(handler.handle(req).await) }
    }))
    .await
}

/// The same for a DynamoDB-stream consumer: partial batch responses.
pub async fn run_stream<H, F>(build: F) -> Result<(), lambda_runtime::Error>
where
    H: StreamHandler + 'static,
    F: FnOnce(Arc<DynamoStore>, Arc<dyn Clock>, Arc<Config>) -> H,
{
    crate::telemetry::init_json();
    // Stream consumers verify no signatures: no webhook secret needed.
    let config = Arc::new(Config::from_env_without_secret(Mode::Lambda)?);
    let aws = load_aws_config(ClientProfile::Admin).await;
    let store = Arc::new(DynamoStore::from_conf(&aws, &config.table));
    let handler = Arc::new(build(store, Arc::new(SystemClock), config));
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<aws_lambda_events::event::dynamodb::Event>| {
            let handler = handler.clone();
            async move { Ok::<_, std::convert::Infallible>(handler.handle(event.payload).await) }
        },
    ))
    .await
}

/// A consumer of the table's stream: records in, the ones to retry out.
#[async_trait::async_trait]
pub trait StreamHandler: Send + Sync {
    async fn handle(
        &self,
        event: aws_lambda_events::event::dynamodb::Event,
    ) -> aws_lambda_events::event::streams::DynamoDbEventResponse;
}
