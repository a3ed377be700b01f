//! `platform-presence`: Lifeline's Do Not Disturb on the voice platform
//! (Amazon Connect: `lifeline_aws::connect`; Twilio TaskRouter: [`twilio`]).
//! `lifeline.presence.overridden` puts the platform's emergency status on
//! (remembering the one it replaced); `lifeline.presence.restored` puts that
//! one back unless the agent or a supervisor changed it meanwhile. Invoked
//! asynchronously by its rule on the bus: a platform that fails or throttles
//! is retried by Lambda, and then the event is kept in the function's
//! failure queue (`lifeline dlq`), with an alarm. Never on the dial's path.

use std::sync::Arc;

use lifeline_app::clock::Clock;
use lifeline_app::ports::{PlatformPresence, PlatformStateStore};
use lifeline_app::service::platform::{
    PlatformOutcome, PlatformPresenceService, PlatformSyncError,
};
use lifeline_domain::events::DomainEvent;
use lifeline_edge::events::decode;
use lifeline_edge::lambda::{failure, EventHandler};
use serde_json::{json, Value};

pub mod twilio;

/// `LIFELINE_PLATFORM_PRESENCE`: which platform's status follows Lifeline's
/// presence (`connect`, `twilio`; `none` needs no function).
pub const PLATFORM_VAR: &str = "LIFELINE_PLATFORM_PRESENCE";

/// The Connect settings, read once at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectSettings {
    pub instance: String,
    pub emergency_status: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("{0} must be set")]
    Missing(&'static str),
    #[error("{PLATFORM_VAR}=`{0}`: this function serves `connect` or `twilio`")]
    Unsupported(String),
    #[error("{var} must be {why}")]
    Invalid {
        var: &'static str,
        why: &'static str,
    },
    #[error(
        "the Twilio auth token is not configured: set {} (local) or {} (a Secrets Manager secret)",
        lifeline_aws::secrets::TWILIO_TOKEN_VAR,
        lifeline_aws::secrets::TWILIO_TOKEN_ARN_VAR
    )]
    NoToken,
}

fn required(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<String, SettingsError> {
    get(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or(SettingsError::Missing(name))
}

/// The platform and its settings: `LIFELINE_PLATFORM_PRESENCE` and the
/// variables of that platform, validated in one place at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformSettings {
    Connect(ConnectSettings),
    Twilio(twilio::TwilioSettings),
}

impl PlatformSettings {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        match required(&get, PLATFORM_VAR)?.as_str() {
            "connect" => ConnectSettings::of(&get).map(PlatformSettings::Connect),
            "twilio" => twilio::TwilioSettings::from_lookup(&get).map(PlatformSettings::Twilio),
            other => Err(SettingsError::Unsupported(other.to_string())),
        }
    }
}

impl ConnectSettings {
    fn of(get: &impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        Ok(ConnectSettings {
            instance: required(get, lifeline_aws::connect::INSTANCE_VAR)?,
            emergency_status: lifeline_aws::connect::status_id(&required(
                get,
                lifeline_aws::connect::EMERGENCY_STATUS_VAR,
            )?)
            .to_string(),
        })
    }
}

pub struct PlatformPresenceHandler<S, P> {
    service: PlatformPresenceService<S, P>,
}

impl<S: PlatformStateStore, P: PlatformPresence> PlatformPresenceHandler<S, P> {
    pub fn new(store: Arc<S>, platform: Arc<P>, clock: Arc<dyn Clock>) -> Self {
        PlatformPresenceHandler {
            service: PlatformPresenceService::new(store, platform, clock),
        }
    }
}

fn outcome(o: PlatformOutcome) -> Value {
    match o {
        PlatformOutcome::Applied => json!({"platform": "applied"}),
        PlatformOutcome::Restored => json!({"platform": "restored"}),
        PlatformOutcome::Unchanged(why) => json!({"platform": "unchanged", "why": why}),
        PlatformOutcome::Stale => json!({"platform": "stale"}),
        PlatformOutcome::NoPlatformUser => json!({"platform": "no_platform_user"}),
    }
}

#[async_trait::async_trait]
impl<S: PlatformStateStore + 'static, P: PlatformPresence + 'static> EventHandler
    for PlatformPresenceHandler<S, P>
{
    async fn invoke(&self, payload: Value) -> Result<Value, lambda_runtime::Diagnostic> {
        let event = decode(&payload).map_err(|e| failure("BadEvent", e))?;
        let result = match &event {
            DomainEvent::PresenceOverridden(p) => {
                // The episode: the call that started the override.
                let episode = p
                    .active_calls
                    .first()
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| p.at.to_rfc3339());
                self.service.overridden(&p.agent_id, &episode).await
            }
            DomainEvent::PresenceRestored(p) => self.service.restored(&p.agent_id).await,
            other => return Ok(json!({ "ignored": other.detail_type() })),
        };
        match result {
            Ok(o) => Ok(outcome(o)),
            Err(e) => {
                tracing::warn!(subject = %event.subject(), error = %e, "platform status not applied; Lambda retries");
                Err(match e {
                    PlatformSyncError::Store(e) => failure("StoreUnavailable", e),
                    PlatformSyncError::Platform(e) => failure("PlatformUnavailable", e),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests;
