//! Configuration, read once at cold start from the environment and validated.

use std::sync::Arc;

use lifeline_app::settings::table::{
    LIFELINE_NOTIFY_FROM, LIFELINE_TABLE, LIFELINE_WEBHOOK_SECRET,
};
pub use lifeline_app::settings::{ConfigError, LowWater, Mode, Settings};
use lifeline_domain::types::{Email, Invalid};

use crate::webhook::{WebhookSecret, AWS_MIN_SECRET_BYTES, MIN_SECRET_BYTES};

pub const LOCAL_WEBHOOK_SECRET: &str = "local-secret";
/// The local runner's sender when none is set.
pub const LOCAL_NOTIFY_FROM: &str = "lifeline@example.com";

#[derive(Debug, Clone)]
pub struct Config {
    pub table: String,
    pub webhook_secret: WebhookSecret,
    /// What the services run with (shared, cheap to hand out).
    pub settings: Arc<Settings>,
}

impl Config {
    pub fn from_env(mode: Mode) -> Result<Self, ConfigError> {
        Self::from_lookup(mode, |k| std::env::var(k).ok())
    }

    /// For functions that verify no webhook signatures (the stream consumers
    /// and the schedule target): the webhook secret is not required; without
    /// one the config holds [`WebhookSecret::refuse_all`].
    pub fn from_env_without_secret(mode: Mode) -> Result<Self, ConfigError> {
        Self::from_lookup_without_secret(mode, |k| std::env::var(k).ok())
    }

    pub fn from_lookup_without_secret(
        mode: Mode,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        Self::build(mode, false, get)
    }

    pub fn from_lookup(
        mode: Mode,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        Self::build(mode, true, get)
    }

    fn build(
        mode: Mode,
        needs_secret: bool,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let table = LIFELINE_TABLE.raw_or_default(&get);
        if !(3..=255).contains(&table.len())
            || !table
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return Err(
                LIFELINE_TABLE.invalid(format!("`{table}` is not a valid DynamoDB table name"))
            );
        }
        let secret = match (LIFELINE_WEBHOOK_SECRET.raw(&get), mode) {
            (Some(s), _) if !s.is_empty() => Some(s),
            (_, Mode::Local) => Some(LOCAL_WEBHOOK_SECRET.into()),
            (_, Mode::Lambda) if !needs_secret => None,
            (_, Mode::Lambda) => return Err(LIFELINE_WEBHOOK_SECRET.missing()),
        };
        // On AWS a guessable secret is no secret: 256 bits, whatever its
        // source (a plain variable here, Secrets Manager through the refresher).
        let min_len = match mode {
            Mode::Lambda => AWS_MIN_SECRET_BYTES,
            Mode::Local => MIN_SECRET_BYTES,
        };
        let webhook_secret = match secret {
            Some(secret) => WebhookSecret::with_minimum(&secret, min_len)
                .map_err(|e| LIFELINE_WEBHOOK_SECRET.invalid(e.0))?,
            None => {
                let handle = WebhookSecret::refuse_all();
                handle.require_min_len(min_len);
                handle
            }
        };
        let settings = Arc::new(Settings::from_lookup(&get)?);
        Ok(Config {
            table,
            webhook_secret,
            settings,
        })
    }
}

/// The notifier's sender: `LIFELINE_NOTIFY_FROM`, an SES identity.
pub fn notify_from(mode: Mode, get: impl Fn(&str) -> Option<String>) -> Result<Email, ConfigError> {
    let invalid = |e: Invalid| LIFELINE_NOTIFY_FROM.invalid(e.0);
    match (
        LIFELINE_NOTIFY_FROM
            .raw(&get)
            .filter(|v| !v.trim().is_empty()),
        mode,
    ) {
        (Some(v), _) => v.parse().map_err(invalid),
        (None, Mode::Local) => LOCAL_NOTIFY_FROM.parse().map_err(invalid),
        (None, Mode::Lambda) => Err(LIFELINE_NOTIFY_FROM.missing()),
    }
}

#[cfg(test)]
mod tests;
