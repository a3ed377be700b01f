//! The Lambda wiring every webhook function shares: JSON logs, configuration
//! and clients built once at cold start, then the runtime loop.

use std::sync::Arc;
#[cfg(feature = "secrets")]
use std::time::{Duration, Instant};

use crate::config::{Config, ConfigError, Mode};
use crate::http::WebhookHandler;
#[cfg(feature = "secrets")]
use crate::secret::{RefreshPolicy, Refreshing, SecretRefresher};
use lifeline_app::clock::{Clock, SystemClock};
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::sdk::{load_aws_config, ClientProfile};

/// Builds the handler once (a bad configuration stops the cold start, naming
/// the variable) and serves API Gateway HTTP API events with it. The webhook
/// secret is loaded within a bounded time and refreshed as requests arrive:
/// an unreachable Secrets Manager does not fail the cold start (see
/// [`webhook_with_secret`]).
#[cfg(feature = "secrets")]
pub async fn run_webhook<H, F>(build: F) -> Result<(), lambda_http::Error>
where
    H: WebhookHandler + 'static,
    F: FnOnce(Arc<DynamoStore>, Arc<dyn Clock>, Arc<Config>) -> H,
{
    let started = Instant::now();
    crate::telemetry::init_json();
    let aws_started = Instant::now();
    let aws = load_aws_config(ClientProfile::CriticalPath).await;
    let aws_config = aws_started.elapsed();
    let (handler, phases) = timed_webhook_with_secret(
        &aws,
        |k| std::env::var(k).ok(),
        RefreshPolicy::default(),
        build,
    )
    .await?;
    // One line per cold start: where its init time went (the benchmark reads it).
    tracing::info!(
        aws_config_ms = ms(aws_config),
        config_ms = ms(phases.config),
        secret_ms = ms(phases.secret),
        clients_ms = ms(phases.clients),
        init_ms = ms(started.elapsed()),
        secret = phases.source,
        secret_set = phases.secret_set,
        "cold start: init done"
    );
    serve_webhook(handler).await
}

/// Milliseconds, as a log field.
#[cfg(feature = "secrets")]
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// How long the parts of a webhook's init took, and where its secret came from.
#[cfg(feature = "secrets")]
struct InitPhases {
    /// The secret's source and the configuration, read and validated.
    config: Duration,
    /// The Secrets Manager client and the bounded first read (none for a plain secret).
    secret: Duration,
    /// The store's client and the handler.
    clients: Duration,
    /// `plain` or `secrets-manager`.
    source: &'static str,
    /// Whether a key was in hand when init ended.
    secret_set: bool,
}

/// Why a webhook function cannot start: deterministic configuration errors
/// only (an unreachable secret is not one of them).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[cfg(feature = "secrets")]
    #[error(transparent)]
    Secret(#[from] lifeline_aws::secrets::SecretError),
}

/// The webhook wiring without the runtime (the Lambda's cold start, and
/// tests): configuration from `get`, the store, the handler `build` makes,
/// and the webhook secret. A plain `LIFELINE_WEBHOOK_SECRET` is used as it
/// is; `LIFELINE_WEBHOOK_SECRET_ARN` is read from Secrets Manager within
/// `policy.timeout` and refreshed per `policy` as requests arrive. A failed
/// read starts the handler without a usable secret (logged, counted as
/// `WebhookSecretUnavailable`); neither variable set is an error.
#[cfg(feature = "secrets")]
pub async fn webhook_with_secret<H, F>(
    aws: &aws_config::SdkConfig,
    get: impl Fn(&str) -> Option<String>,
    policy: RefreshPolicy,
    build: F,
) -> Result<Refreshing<H>, StartError>
where
    H: WebhookHandler + 'static,
    F: FnOnce(Arc<DynamoStore>, Arc<dyn Clock>, Arc<Config>) -> H,
{
    timed_webhook_with_secret(aws, get, policy, build)
        .await
        .map(|(handler, _)| handler)
}

/// [`webhook_with_secret`], timed phase by phase.
#[cfg(feature = "secrets")]
async fn timed_webhook_with_secret<H, F>(
    aws: &aws_config::SdkConfig,
    get: impl Fn(&str) -> Option<String>,
    policy: RefreshPolicy,
    build: F,
) -> Result<(Refreshing<H>, InitPhases), StartError>
where
    H: WebhookHandler + 'static,
    F: FnOnce(Arc<DynamoStore>, Arc<dyn Clock>, Arc<Config>) -> H,
{
    use lifeline_aws::secrets::{SecretBudget, SecretSource, SecretsManagerSecret, SECRET_ARN_VAR};
    let mut phase = Instant::now();
    let mut lap = || {
        let now = Instant::now();
        now - std::mem::replace(&mut phase, now)
    };
    let source = SecretSource::from_lookup(&get)?;
    // Without the plain variable the config holds an empty, shared handle,
    // which the refresher fills.
    let config = Config::from_lookup_without_secret(Mode::Lambda, &get)?;
    let config_took = lap();
    let source_name = match source {
        SecretSource::Plain(_) => "plain",
        SecretSource::SecretsManager(_) => "secrets-manager",
    };
    let refresher = match source {
        SecretSource::Plain(_) => None,
        SecretSource::SecretsManager(arn) => {
            let loader = SecretsManagerSecret::new(aws, SECRET_ARN_VAR, arn, SecretBudget::BOUNDED);
            let refresher = Arc::new(SecretRefresher::new(
                config.webhook_secret.clone(),
                Arc::new(loader),
                policy,
            ));
            refresher.load_initial().await;
            Some(refresher)
        }
    };
    let secret_took = lap();
    let secret_set = config.webhook_secret.is_set();
    let store = Arc::new(DynamoStore::from_conf(aws, &config.table));
    let handler = build(store, Arc::new(SystemClock), Arc::new(config));
    let phases = InitPhases {
        config: config_took,
        secret: secret_took,
        clients: lap(),
        source: source_name,
        secret_set,
    };
    Ok((Refreshing::new(handler, refresher), phases))
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

pub async fn serve_webhook<H: WebhookHandler + 'static>(
    handler: H,
) -> Result<(), lambda_http::Error> {
    let handler = Arc::new(handler);
    lambda_http::run(lambda_http::service_fn(move |req: lambda_http::Request| {
        let handler = handler.clone();
        async move { Ok::<_, std::convert::Infallible>(handler.handle(req).await) }
    }))
    .await
}

/// The same for a function invoked asynchronously: by a rule on Lifeline's
/// event bus, or by a schedule. An error is returned to Lambda, which retries
/// the event (`events::ASYNC_DELIVERY`) and then keeps it, with its payload,
/// in the function's failure queue.
pub async fn run_events<H, F>(build: F) -> Result<(), lambda_runtime::Error>
where
    H: EventHandler + 'static,
    F: FnOnce(Arc<DynamoStore>, Arc<dyn Clock>, Arc<Config>) -> H,
{
    crate::telemetry::init_json();
    // Event consumers verify no signatures: no webhook secret needed.
    let config = Arc::new(Config::from_env_without_secret(Mode::Lambda)?);
    let aws = load_aws_config(ClientProfile::Admin).await;
    let store = Arc::new(DynamoStore::from_conf(&aws, &config.table));
    serve_events(build(store, Arc::new(SystemClock), config)).await
}

/// Serves asynchronous invocations with `handler`.
pub async fn serve_events<H: EventHandler + 'static>(
    handler: H,
) -> Result<(), lambda_runtime::Error> {
    let handler = Arc::new(handler);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let handler = handler.clone();
            async move { handler.invoke(event.payload).await }
        },
    ))
    .await
}

/// A function invoked asynchronously: its event in (JSON), its answer or
/// the failure Lambda retries out.
#[async_trait::async_trait]
pub trait EventHandler: Send + Sync {
    async fn invoke(
        &self,
        payload: serde_json::Value,
    ) -> Result<serde_json::Value, lambda_runtime::Diagnostic>;
}

/// A failed invocation as Lambda reports it: `error_type` names the kind
/// (`BadEvent`, `StoreUnavailable`, …), the message says what happened.
pub fn failure(error_type: &str, message: impl std::fmt::Display) -> lambda_runtime::Diagnostic {
    lambda_runtime::Diagnostic {
        error_type: error_type.into(),
        error_message: message.to_string(),
    }
}
