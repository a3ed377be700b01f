//! `console`: Lifeline's web console on the HTTP API (`/console/…`). Pages
//! are shells anyone may fetch; their data comes from `/console/api/…`,
//! behind the HTTP API's JWT authorizer on AWS, and the function checks the
//! token again and the group per view and action ([`lifeline_console`]).
//! It reads and writes through the same ports as the CLI; nothing on the
//! call path depends on it.

pub mod config;
pub mod dead_letters;
pub mod jwks;
pub mod readiness;

use std::sync::Arc;

use lambda_http::{Body, Request, Response};

use lifeline_app::clock::{Clock, SystemClock};
use lifeline_aws::cognito::CognitoSignIn;
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_console::{ConsoleApp, ConsolePorts, ConsoleRequest, ConsoleSettings};
use lifeline_edge::config::{Config, Mode};
use lifeline_edge::http::{body_bytes, WebhookHandler};

pub use config::ConsoleConfig;

/// Why the console cannot start: its configuration, or the pool's keys.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] lifeline_app::settings::ConfigError),
    #[error("the user pool's keys: {0}")]
    Jwks(#[from] jwks::JwksError),
    #[error("readiness: {0}")]
    Readiness(String),
    #[error("dead letters: {0}")]
    DeadLetters(String),
}

pub struct ConsoleFunction {
    app: ConsoleApp,
}

impl ConsoleFunction {
    /// Everything from the environment (Lambda): the settings, the AWS
    /// clients, the pool's keys.
    pub async fn from_env() -> Result<Self, StartError> {
        let config = Arc::new(Config::from_env_without_secret(Mode::Lambda)?);
        let console = ConsoleConfig::from_lookup(|k| std::env::var(k).ok())?;
        let aws = load_aws_config(ClientProfile::Admin).await;
        let env = |k: &str| std::env::var(k).ok();
        Self::build(&aws, config, console, Arc::new(SystemClock), &env).await
    }

    /// The console on `aws`'s clients (the local runner's: the emulators),
    /// the readiness and dead-letter settings read through `get`.
    pub async fn build(
        aws: &aws_config::SdkConfig,
        config: Arc<Config>,
        console: ConsoleConfig,
        clock: Arc<dyn Clock>,
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, StartError> {
        let jwks = jwks::fetch(&console.jwks_url).await?;
        let store = Arc::new(DynamoStore::from_conf(aws, &config.table));
        let s = &config.settings;
        let settings = ConsoleSettings {
            jwks,
            rules: console.rules.clone(),
            incident_keep: lifeline_app::service::incident::retention(s),
            callback_window: s.lease.window,
            chat_hosts: s.chat_allowed_hosts.clone(),
            location_fresh_for: s.location_fresh_for,
        };
        let ports = ConsolePorts {
            incidents: store.clone(),
            admin: store.clone(),
            templates: store.clone(),
            escalation: store.clone(),
            locations: store.clone(),
            readiness: Arc::new(
                readiness::DoctorReadiness::new(aws, store.clone(), &config.settings, get)
                    .map_err(StartError::Readiness)?,
            ),
            dead_letters: Arc::new(
                dead_letters::StageDeadLetters::new(aws, get).map_err(StartError::DeadLetters)?,
            ),
            sign_in: Arc::new(CognitoSignIn::from_conf(aws, &console.rules.client_id)),
        };
        tracing::info!(issuer = %console.rules.issuer, "console: started");
        Ok(ConsoleFunction {
            app: ConsoleApp::new(ports, settings, clock),
        })
    }
}

#[async_trait::async_trait]
impl WebhookHandler for ConsoleFunction {
    async fn handle(&self, req: Request) -> Response<Body> {
        let authorization = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let answer = self
            .app
            .handle(ConsoleRequest {
                method: req.method(),
                path: req.uri().path(),
                query: req.uri().query().unwrap_or_default(),
                authorization,
                body: body_bytes(&req),
            })
            .await;
        let (parts, text) = answer.into_parts();
        Response::from_parts(parts, Body::Text(text))
    }
}
