//! The settings the services run with, read once at cold start and
//! validated (a bad value stops the cold start, naming the variable).

use chrono::Duration;

use lifeline_domain::lease::LeasePolicy;
use lifeline_domain::numbers::{Country, InvalidPrefix, OutsideLinePrefix, UnsupportedCountry};
use lifeline_domain::presence::PresencePolicy;
use lifeline_domain::types::Recipients;

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

#[derive(Debug, Clone)]
pub struct Settings {
    pub outside_line_prefix: OutsideLinePrefix,
    pub lease: LeasePolicy,
    /// An override whose calls never end is lifted after the same active-call limit.
    pub presence: PresencePolicy,
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
    /// Who gets the emergency e-mail when the agent's own recipients cannot
    /// be used (no profile, an unreadable one, an empty list): the security
    /// desk. Empty: nobody (the call is recorded as `no_recipients`).
    pub fallback_recipients: Recipients,
    /// How long a container trusts an agent's profile, the tenant's settings
    /// and its candidate numbers without reading them again
    /// (`LIFELINE_DIAL_CACHE_SECONDS`, default 60, 0 to 600; 0 turns the
    /// one-write warm path off). An admin's change to a profile or to the
    /// tenant's settings reaches every dial within it.
    pub dial_cache: Duration,
    /// How long an agent's registered location stands in for a dial that
    /// brings none (`LIFELINE_LOCATION_FRESH_HOURS`, default 12, 1 to 168):
    /// about a shift, after which the agent may be elsewhere.
    pub location_fresh_for: Duration,
}

/// How long the dial gives one store request: the critical-path SDK
/// client's per-attempt timeout, so that a lease write starts only while its
/// answer and one more request (to settle its outcome) still fit.
pub const DIAL_ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(900);

/// The least an emergency call holds its number without an end being
/// reported (`LIFELINE_ACTIVE_CALL_LIMIT_MINUTES`'s minimum).
pub const MIN_ACTIVE_CALL_LIMIT_MINUTES: i64 = 120;

/// What the function itself needs past the dial's budget: the answer's
/// serialization, the runtime's round trip, a cold start's slack.
const FUNCTION_MARGIN_MS: u64 = 1000;

/// The whole number `name` holds, within `range`; `default` when unset.
fn whole_number<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
    unit: &str,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    let Some(s) = get(name) else {
        return Ok(default);
    };
    s.trim()
        .parse::<T>()
        .ok()
        .filter(|v| range.contains(v))
        .ok_or_else(|| ConfigError::Invalid {
            name,
            detail: format!(
                "must be a whole number of {unit} between {} and {}",
                range.start(),
                range.end()
            ),
        })
}

/// `LIFELINE_DIAL_BUDGET_MS`, checked against the function's own timeout
/// (`LIFELINE_FUNCTION_TIMEOUT_S`, set by the template beside `Timeout`):
/// a budget the function cannot honour would end in the runtime's 5xx.
fn dial_budget_ms(get: &impl Fn(&str) -> Option<String>) -> Result<u64, ConfigError> {
    let function_timeout_ms = match get("LIFELINE_FUNCTION_TIMEOUT_S") {
        None => None,
        Some(s) => Some(
            s.trim()
                .parse::<u64>()
                .ok()
                .filter(|v| (1..=900).contains(v))
                .ok_or(ConfigError::Invalid {
                    name: "LIFELINE_FUNCTION_TIMEOUT_S",
                    detail: "must be the function's timeout in whole seconds (1 to 900)".into(),
                })?
                * 1000,
        ),
    };
    let most =
        function_timeout_ms.map_or(10_000, |t| t.saturating_sub(FUNCTION_MARGIN_MS).min(10_000));
    let budget = whole_number(
        get,
        "LIFELINE_DIAL_BUDGET_MS",
        2500,
        100..=10_000,
        "milliseconds",
    )?;
    if budget > most {
        return Err(ConfigError::Invalid {
            name: "LIFELINE_DIAL_BUDGET_MS",
            detail: format!(
                "{budget} ms leaves the function (timeout {} s) less than {FUNCTION_MARGIN_MS} ms to answer; at most {most}",
                function_timeout_ms.unwrap_or_default() / 1000
            ),
        });
    }
    Ok(budget)
}

/// Low-water marks: `LIFELINE_POOL_LOW_WATER` is `2` (every country) or
/// `US=5,GB=1,*=2` (per country, `*` for the rest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowWater {
    default: usize,
    per_country: Vec<(Country, usize)>,
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
                let c = k.parse().map_err(|e: UnsupportedCountry| e.to_string())?;
                out.per_country.push((c, n));
            }
        }
        Ok(out)
    }

    pub fn of(&self, country: Country) -> usize {
        self.per_country
            .iter()
            .find(|(c, _)| *c == country)
            .map_or(self.default, |(_, n)| *n)
    }
}

impl Settings {
    /// How long one store request on the dial may take: the SDK's attempt
    /// timeout, or a third of a small budget (a read, a write and the
    /// write's settling must fit).
    pub fn dial_attempt(&self) -> std::time::Duration {
        DIAL_ATTEMPT_TIMEOUT.min(self.dial_budget / 3)
    }

    /// Reads the `LIFELINE_*` settings through `get` (the environment, or a
    /// map in tests); unset ones take their defaults.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let outside_line_prefix = get("LIFELINE_OUTSIDE_LINE_PREFIX")
            .unwrap_or_default()
            .parse()
            .map_err(|e: InvalidPrefix| ConfigError::Invalid {
                name: "LIFELINE_OUTSIDE_LINE_PREFIX",
                detail: e.to_string(),
            })?;
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
            quarantine: minutes("LIFELINE_QUARANTINE_MINUTES", 60, 60, 7 * 24 * 60)?,
            // At least 2 h: with the quarantine (at least the window) a
            // number is never taken from an active call in its first 3 h.
            active_call_limit: minutes(
                "LIFELINE_ACTIVE_CALL_LIMIT_MINUTES",
                240,
                MIN_ACTIVE_CALL_LIMIT_MINUTES,
                24 * 60,
            )?,
        };
        // A late callback for the last holder must not reach the next one:
        // the quarantine is at least the window. Raised rather than refused,
        // so a longer window alone never stops a cold start (a dial's 5xx).
        let mut lease = lease;
        if lease.quarantine < lease.window {
            tracing::warn!(
                quarantine_minutes = lease.quarantine.num_minutes(),
                window_minutes = lease.window.num_minutes(),
                "LIFELINE_QUARANTINE_MINUTES is shorter than the callback window; using the window"
            );
            lease.quarantine = lease.window;
        }
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
        let budget_ms = dial_budget_ms(&get)?;
        let presence = PresencePolicy {
            stuck_limit: lease.active_call_limit,
        };
        let pool_low_water = LowWater::parse(&get("LIFELINE_POOL_LOW_WATER").unwrap_or_default())
            .map_err(|detail| ConfigError::Invalid {
            name: "LIFELINE_POOL_LOW_WATER",
            detail,
        })?;
        // `a@x.com; b@y.com`, as an agent's recipients are written.
        let fallback_recipients = Recipients::parse(
            &get("LIFELINE_FALLBACK_RECIPIENTS").unwrap_or_default(),
        )
        .map_err(|e| ConfigError::Invalid {
            name: "LIFELINE_FALLBACK_RECIPIENTS",
            detail: e.0,
        })?;
        let dial_cache = whole_number(&get, "LIFELINE_DIAL_CACHE_SECONDS", 60, 0..=600, "seconds")?;
        let location_fresh_hours =
            whole_number(&get, "LIFELINE_LOCATION_FRESH_HOURS", 12, 1..=168, "hours")?;
        Ok(Settings {
            dial_cache: Duration::seconds(dial_cache),
            location_fresh_for: Duration::hours(location_fresh_hours),
            fallback_recipients,
            pool_low_water,
            presence,
            outside_line_prefix,
            lease,
            lease_unsupported_locations,
            callback_fallback,
            record_retention,
            dial_budget: std::time::Duration::from_millis(budget_ms),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_lookup(|k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn the_dial_cache_is_a_minute_by_default_and_bounded() {
        assert_eq!(settings(&[]).unwrap().dial_cache, Duration::seconds(60));
        let off = settings(&[("LIFELINE_DIAL_CACHE_SECONDS", "0")]).unwrap();
        assert_eq!(off.dial_cache, Duration::zero());
        for bad in ["601", "-1", "1m"] {
            let e = settings(&[("LIFELINE_DIAL_CACHE_SECONDS", bad)]).unwrap_err();
            assert!(e.to_string().contains("LIFELINE_DIAL_CACHE_SECONDS"), "{e}");
        }
    }

    #[test]
    fn a_registered_location_is_fresh_for_a_shift_by_default() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.location_fresh_for, Duration::hours(12));
        let week = settings(&[("LIFELINE_LOCATION_FRESH_HOURS", "168")]).unwrap();
        assert_eq!(week.location_fresh_for, Duration::hours(168));
        for bad in ["0", "169", "12h"] {
            let e = settings(&[("LIFELINE_LOCATION_FRESH_HOURS", bad)]).unwrap_err();
            assert!(
                e.to_string().contains("LIFELINE_LOCATION_FRESH_HOURS"),
                "{e}"
            );
        }
    }

    #[test]
    fn the_dial_budget_defaults_to_two_and_a_half_seconds() {
        let s = settings(&[]).expect("defaults");
        assert_eq!(s.dial_budget.as_millis(), 2500);
        // A third of it: a read, a lease write and the record that settles it.
        assert_eq!(s.dial_attempt().as_millis(), 833);
    }

    #[test]
    fn a_budget_the_function_cannot_honour_stops_the_cold_start() {
        let err = settings(&[
            ("LIFELINE_DIAL_BUDGET_MS", "4500"),
            ("LIFELINE_FUNCTION_TIMEOUT_S", "5"),
        ])
        .expect_err("4.5 s of a 5 s function");
        assert!(err.to_string().contains("LIFELINE_DIAL_BUDGET_MS"), "{err}");
        assert!(err.to_string().contains("at most 4000"), "{err}");
        let ok = settings(&[
            ("LIFELINE_DIAL_BUDGET_MS", "4000"),
            ("LIFELINE_FUNCTION_TIMEOUT_S", "5"),
        ])
        .expect("1 s to spare");
        assert_eq!(ok.dial_budget.as_millis(), 4000);
        assert!(settings(&[("LIFELINE_FUNCTION_TIMEOUT_S", "soon")]).is_err());
        // The default budget does not fit a 3 s function either.
        assert!(settings(&[("LIFELINE_FUNCTION_TIMEOUT_S", "3")]).is_err());
    }

    #[test]
    fn fallback_recipients_are_a_validated_list_empty_by_default() {
        assert!(settings(&[])
            .expect("defaults")
            .fallback_recipients
            .is_empty());
        let s = settings(&[(
            "LIFELINE_FALLBACK_RECIPIENTS",
            " Security-Desk@Example.com ; ops@example.com;",
        )])
        .expect("a list");
        assert_eq!(
            s.fallback_recipients.joined(),
            "Security-Desk@example.com; ops@example.com"
        );
        let err = settings(&[(
            "LIFELINE_FALLBACK_RECIPIENTS",
            "desk@example.com; not-an-address",
        )])
        .expect_err("a bad address stops the cold start");
        assert!(
            err.to_string().contains("LIFELINE_FALLBACK_RECIPIENTS")
                && err.to_string().contains("not-an-address"),
            "{err}"
        );
    }

    #[test]
    fn each_request_gets_a_third_of_the_budget_at_most_the_sdk_attempt() {
        let s = settings(&[("LIFELINE_DIAL_BUDGET_MS", "600")]).expect("600 ms");
        assert_eq!(s.dial_attempt().as_millis(), 200);
        let s = settings(&[("LIFELINE_DIAL_BUDGET_MS", "4000")]).expect("4 s");
        assert_eq!(s.dial_attempt(), DIAL_ATTEMPT_TIMEOUT);
    }

    /// The template's minimums make a mid-call loss impossible: an active
    /// call holds its number for the active-call limit, and the quarantine
    /// (at least the window) comes on top.
    #[test]
    fn a_number_cannot_be_configured_to_leave_an_active_call_early() {
        let too_short = settings(&[("LIFELINE_ACTIVE_CALL_LIMIT_MINUTES", "30")]);
        assert!(too_short.is_err());
        let no_quarantine = settings(&[("LIFELINE_QUARANTINE_MINUTES", "0")]);
        assert!(no_quarantine.is_err());
        let raised = settings(&[
            ("LIFELINE_CALLBACK_WINDOW_MINUTES", "90"),
            ("LIFELINE_QUARANTINE_MINUTES", "60"),
        ])
        .expect("a longer window alone never stops a cold start");
        assert_eq!(
            raised.lease.quarantine.num_minutes(),
            90,
            "the quarantine is at least the window"
        );
        let least = settings(&[
            ("LIFELINE_ACTIVE_CALL_LIMIT_MINUTES", "120"),
            ("LIFELINE_QUARANTINE_MINUTES", "60"),
        ])
        .expect("the minimums");
        assert_eq!(
            (least.lease.active_call_limit + least.lease.quarantine).num_hours(),
            3
        );
    }
}
