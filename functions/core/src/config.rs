//! Configuration, read once at cold start from the environment and validated.

use chrono::Duration;

use crate::domain::lease::LeasePolicy;
use crate::domain::numbers::OutsideLinePrefix;
use crate::webhook::WebhookSecret;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {detail}")]
    Invalid { name: &'static str, detail: String },
    #[error("{0} must be set")]
    Missing(&'static str),
}

/// Where the configuration is used: the local runner may default the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Lambda,
    Local,
}

pub const LOCAL_WEBHOOK_SECRET: &str = "local-secret";

#[derive(Debug, Clone)]
pub struct Config {
    pub table: String,
    pub webhook_secret: WebhookSecret,
    pub outside_line_prefix: OutsideLinePrefix,
    pub lease: LeasePolicy,
    /// An override whose calls never end is lifted after the same active-call limit.
    pub presence: crate::domain::presence::PresencePolicy,
    /// Whether a dial from an unsupported location still gets a lease.
    pub lease_unsupported_locations: bool,
    /// Targets to try when the agent does not answer a callback.
    pub callback_fallback: Vec<String>,
    /// How long call records are kept after the call (TTL).
    pub record_retention: Duration,
    /// The most an emergency dial may spend on AWS before answering degraded.
    pub dial_budget: std::time::Duration,
    /// Below this many available numbers a country's pool is reported low.
    pub pool_low_water: LowWater,
}

/// Low-water marks: `LIFELINE_POOL_LOW_WATER` is `2` (every country) or
/// `US=5,GB=1,*=2` (per country, `*` for the rest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowWater {
    default: usize,
    per_country: Vec<(crate::domain::numbers::Country, usize)>,
}

impl LowWater {
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut out = LowWater {
            default: 2,
            per_country: Vec::new(),
        };
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = match part.split_once('=') {
                Some((k, v)) => (k.trim(), v.trim()),
                None => ("*", part),
            };
            let n: usize = v.parse().map_err(|_| format!("`{v}` is not a count"))?;
            if n > 1000 {
                return Err(format!("{n} is more than 1000"));
            }
            if k == "*" {
                out.default = n;
            } else {
                let c = k
                    .parse()
                    .map_err(|e: crate::domain::numbers::UnsupportedCountry| e.to_string())?;
                out.per_country.push((c, n));
            }
        }
        Ok(out)
    }

    pub fn of(&self, country: crate::domain::numbers::Country) -> usize {
        self.per_country
            .iter()
            .find(|(c, _)| *c == country)
            .map_or(self.default, |(_, n)| *n)
    }
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
        let table = get("LIFELINE_TABLE").unwrap_or_else(|| "lifeline".into());
        if !(3..=255).contains(&table.len())
            || !table
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return Err(ConfigError::Invalid {
                name: "LIFELINE_TABLE",
                detail: format!("`{table}` is not a valid DynamoDB table name"),
            });
        }
        let secret = match (get("LIFELINE_WEBHOOK_SECRET"), mode) {
            (Some(s), _) if !s.is_empty() => Some(s),
            (_, Mode::Local) => Some(LOCAL_WEBHOOK_SECRET.into()),
            (_, Mode::Lambda) if !needs_secret => None,
            (_, Mode::Lambda) => return Err(ConfigError::Missing("LIFELINE_WEBHOOK_SECRET")),
        };
        let webhook_secret = match secret {
            Some(secret) => WebhookSecret::new(&secret).map_err(|e| ConfigError::Invalid {
                name: "LIFELINE_WEBHOOK_SECRET",
                detail: e.0,
            })?,
            None => WebhookSecret::refuse_all(),
        };
        let outside_line_prefix = get("LIFELINE_OUTSIDE_LINE_PREFIX")
            .unwrap_or_default()
            .parse()
            .map_err(
                |e: crate::domain::numbers::InvalidPrefix| ConfigError::Invalid {
                    name: "LIFELINE_OUTSIDE_LINE_PREFIX",
                    detail: e.to_string(),
                },
            )?;
        let minutes = |name: &'static str,
                       default: i64,
                       min: i64,
                       max: i64|
         -> Result<Duration, ConfigError> {
            let v = match get(name) {
                None => default,
                Some(s) if s.trim().is_empty() => default,
                Some(s) => s.trim().parse::<i64>().map_err(|_| ConfigError::Invalid {
                    name,
                    detail: format!("`{s}` is not a whole number of minutes"),
                })?,
            };
            if !(min..=max).contains(&v) {
                return Err(ConfigError::Invalid {
                    name,
                    detail: format!("must be between {min} and {max}"),
                });
            }
            Ok(Duration::minutes(v))
        };
        let lease = LeasePolicy {
            window: minutes("LIFELINE_CALLBACK_WINDOW_MINUTES", 60, 60, 24 * 60)?,
            quarantine: minutes("LIFELINE_QUARANTINE_MINUTES", 60, 0, 7 * 24 * 60)?,
            active_call_limit: minutes("LIFELINE_ACTIVE_CALL_LIMIT_MINUTES", 240, 30, 24 * 60)?,
        };
        let lease_unsupported_locations = match get("LIFELINE_LEASE_UNSUPPORTED_LOCATIONS")
            .as_deref()
            .map(str::trim)
        {
            None | Some("") | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "LIFELINE_LEASE_UNSUPPORTED_LOCATIONS",
                    detail: format!("`{other}` is not true or false"),
                })
            }
        };
        let callback_fallback = get("LIFELINE_CALLBACK_FALLBACK")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let record_retention = minutes("LIFELINE_RECORD_RETENTION_HOURS", 24, 1, 24 * 90)
            .map(|d| Duration::hours(d.num_minutes()))?;
        let budget_ms = match get("LIFELINE_DIAL_BUDGET_MS") {
            None => 2500,
            Some(s) => s
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|v| (100..=10_000).contains(v))
                .ok_or(ConfigError::Invalid {
                    name: "LIFELINE_DIAL_BUDGET_MS",
                    detail: "must be a whole number of milliseconds between 100 and 10000".into(),
                })?,
        };
        let presence = crate::domain::presence::PresencePolicy {
            stuck_limit: lease.active_call_limit,
        };
        let pool_low_water = LowWater::parse(&get("LIFELINE_POOL_LOW_WATER").unwrap_or_default())
            .map_err(|detail| ConfigError::Invalid {
            name: "LIFELINE_POOL_LOW_WATER",
            detail,
        })?;
        Ok(Config {
            pool_low_water,
            presence,
            table,
            webhook_secret,
            outside_line_prefix,
            lease,
            lease_unsupported_locations,
            callback_fallback,
            record_retention,
            dial_budget: std::time::Duration::from_millis(budget_ms),
        })
    }
}

/// The notifier's sender: `LIFELINE_NOTIFY_FROM`, an SES identity.
pub fn notify_from(
    mode: Mode,
    get: impl Fn(&str) -> Option<String>,
) -> Result<crate::domain::types::Email, ConfigError> {
    match (
        get("LIFELINE_NOTIFY_FROM").filter(|v| !v.trim().is_empty()),
        mode,
    ) {
        (Some(v), _) => {
            v.parse()
                .map_err(|e: crate::domain::types::Invalid| ConfigError::Invalid {
                    name: "LIFELINE_NOTIFY_FROM",
                    detail: e.0,
                })
        }
        (None, Mode::Local) => {
            "lifeline@example.com"
                .parse()
                .map_err(|e: crate::domain::types::Invalid| ConfigError::Invalid {
                    name: "LIFELINE_NOTIFY_FROM",
                    detail: e.0,
                })
        }
        (None, Mode::Lambda) => Err(ConfigError::Missing("LIFELINE_NOTIFY_FROM")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(mode: Mode, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(mode, |k| m.get(k).cloned())
    }

    #[test]
    fn defaults_and_validation() {
        let c = cfg(Mode::Local, &[]).unwrap();
        assert_eq!(c.table, "lifeline");
        assert_eq!(c.lease.window, Duration::minutes(60));
        assert_eq!(c.record_retention, Duration::hours(24));
        assert!(matches!(
            cfg(Mode::Lambda, &[]),
            Err(ConfigError::Missing("LIFELINE_WEBHOOK_SECRET"))
        ));
        assert!(cfg(
            Mode::Lambda,
            &[("LIFELINE_WEBHOOK_SECRET", "a-long-enough-secret")]
        )
        .is_ok());
        assert!(cfg(Mode::Local, &[("LIFELINE_CALLBACK_WINDOW_MINUTES", "30")]).is_err());
        assert!(cfg(Mode::Local, &[("LIFELINE_CALLBACK_WINDOW_MINUTES", "abc")]).is_err());
        assert!(cfg(Mode::Local, &[("LIFELINE_OUTSIDE_LINE_PREFIX", "9x")]).is_err());
        assert!(cfg(Mode::Local, &[("LIFELINE_TABLE", "bad name")]).is_err());
        assert!(cfg(
            Mode::Local,
            &[("LIFELINE_LEASE_UNSUPPORTED_LOCATIONS", "yes")]
        )
        .is_err());
        let c = cfg(
            Mode::Local,
            &[("LIFELINE_CALLBACK_FALLBACK", "queue:supervisors, a-1 ,")],
        )
        .unwrap();
        assert_eq!(c.callback_fallback, vec!["queue:supervisors", "a-1"]);
    }

    #[test]
    fn stream_functions_need_no_webhook_secret() {
        let none = |_: &str| None::<String>;
        // A webhook function on Lambda cannot start without it...
        assert!(matches!(
            Config::from_lookup(Mode::Lambda, none),
            Err(ConfigError::Missing("LIFELINE_WEBHOOK_SECRET"))
        ));
        // ...a stream consumer can, and its secret accepts no signature.
        let c = Config::from_lookup_without_secret(Mode::Lambda, none).unwrap();
        let now = chrono::Utc::now();
        let header = c.webhook_secret.sign(now.timestamp(), b"{}");
        assert!(c.webhook_secret.verify(Some(&header), b"{}", now).is_err());
        // The other settings are still read and validated.
        assert!(Config::from_lookup_without_secret(Mode::Lambda, |k| {
            (k == "LIFELINE_CALLBACK_WINDOW_MINUTES").then(|| "30".into())
        })
        .is_err());
        // A secret given anyway is used; a bad one is still refused.
        let c = Config::from_lookup_without_secret(Mode::Lambda, |k| {
            (k == "LIFELINE_WEBHOOK_SECRET").then(|| "a-long-enough-secret".into())
        })
        .unwrap();
        let header = c.webhook_secret.sign(now.timestamp(), b"{}");
        assert!(c.webhook_secret.verify(Some(&header), b"{}", now).is_ok());
        assert!(Config::from_lookup_without_secret(Mode::Lambda, |k| {
            (k == "LIFELINE_WEBHOOK_SECRET").then(|| "short".into())
        })
        .is_err());
    }
}
