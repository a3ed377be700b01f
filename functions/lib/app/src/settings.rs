//! The settings the services run with, read once at cold start and
//! validated (a bad value stops the cold start, naming the variable).

use chrono::Duration;

use lifeline_domain::lease::LeasePolicy;
use lifeline_domain::numbers::{Country, InvalidPrefix, OutsideLinePrefix, UnsupportedCountry};
use lifeline_domain::presence::PresencePolicy;
use lifeline_domain::recipient::{ChatHosts, Recipients};

pub mod setting;
pub mod table;

pub use setting::{Lookup, Setting, Shape, Unset};
pub use table::SETTINGS;
use table::*;

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
    /// The hosts chat recipients may point at (`LIFELINE_CHAT_ALLOWED_HOSTS`,
    /// exact names; empty: none): checked when a list is written and again
    /// at each send.
    pub chat_allowed_hosts: ChatHosts,
    /// Where an alert's acknowledgement link points (`LIFELINE_ACK_BASE_URL`,
    /// no trailing `/`); none: alerts carry no link.
    pub ack_base_url: Option<String>,
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
    /// A call shorter than this is a possible misdial in its follow-up
    /// (`LIFELINE_MISDIAL_SECONDS`, default 10, 1 to 300).
    pub misdial_under: Duration,
}

/// How long the dial gives one store request: the critical-path SDK
/// client's per-attempt timeout, so that a lease write starts only while its
/// answer and one more request (to settle its outcome) still fit.
pub const DIAL_ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(900);

/// The least time a lease write is given (a transaction under load takes a
/// few hundred milliseconds at worst on DynamoDB Local; a few tens on AWS):
/// with a request's share, what the smallest dial budget must hold.
pub const MIN_LEASE_WRITE: std::time::Duration = std::time::Duration::from_millis(250);

/// The least an emergency call holds its number without an end being
/// reported (`LIFELINE_ACTIVE_CALL_LIMIT_MINUTES`'s minimum).
pub const MIN_ACTIVE_CALL_LIMIT_MINUTES: i64 = 120;

/// What the function itself needs past the dial's budget: the answer's
/// serialization, the runtime's round trip, a cold start's slack.
const FUNCTION_MARGIN_MS: u64 = 1000;

/// `LIFELINE_DIAL_BUDGET_MS`, checked against the function's own timeout
/// (`LIFELINE_FUNCTION_TIMEOUT_S`, set by the template beside `Timeout`):
/// a budget the function cannot honour would end in the runtime's 5xx.
fn dial_budget_ms(get: &impl Lookup) -> Result<u64, ConfigError> {
    let function_timeout_ms = match LIFELINE_FUNCTION_TIMEOUT_S.raw(get) {
        None => None,
        Some(s) => {
            let (range, _) = LIFELINE_FUNCTION_TIMEOUT_S.range::<u64>()?;
            let seconds = s
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|v| range.contains(v))
                .ok_or_else(|| {
                    LIFELINE_FUNCTION_TIMEOUT_S.invalid(format!(
                        "must be the function's timeout in whole seconds ({} to {})",
                        range.start(),
                        range.end()
                    ))
                })?;
            Some(seconds * 1000)
        }
    };
    let (budget_range, _) = LIFELINE_DIAL_BUDGET_MS.range::<u64>()?;
    let most = function_timeout_ms.map_or(*budget_range.end(), |t| {
        t.saturating_sub(FUNCTION_MARGIN_MS)
            .min(*budget_range.end())
    });
    let budget = LIFELINE_DIAL_BUDGET_MS.whole_number::<u64>(get)?;
    if budget > most {
        return Err(LIFELINE_DIAL_BUDGET_MS.invalid(format!(
            "{budget} ms leaves the function (timeout {} s) less than {FUNCTION_MARGIN_MS} ms to answer; at most {most}",
            function_timeout_ms.unwrap_or_default() / 1000
        )));
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
        let outside_line_prefix = LIFELINE_OUTSIDE_LINE_PREFIX
            .raw_or_default(&get)
            .parse()
            .map_err(|e: InvalidPrefix| LIFELINE_OUTSIDE_LINE_PREFIX.invalid(e.to_string()))?;
        let lease = lease_policy(&get)?;
        let lease_unsupported_locations = match LIFELINE_LEASE_UNSUPPORTED_LOCATIONS
            .raw(&get)
            .as_deref()
            .map(str::trim)
        {
            None | Some("") | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(LIFELINE_LEASE_UNSUPPORTED_LOCATIONS
                    .invalid(format!("`{other}` is not true or false")))
            }
        };
        let callback_fallback = LIFELINE_CALLBACK_FALLBACK
            .raw_or_default(&get)
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let record_retention =
            Duration::hours(LIFELINE_RECORD_RETENTION_HOURS.whole_number_or_default(&get)?);
        let budget_ms = dial_budget_ms(&get)?;
        let presence = PresencePolicy {
            stuck_limit: lease.active_call_limit,
        };
        let pool_low_water = LowWater::parse(&LIFELINE_POOL_LOW_WATER.raw_or_default(&get))
            .map_err(|detail| LIFELINE_POOL_LOW_WATER.invalid(detail))?;
        let chat_allowed_hosts =
            ChatHosts::parse(&LIFELINE_CHAT_ALLOWED_HOSTS.raw_or_default(&get))
                .map_err(|e| LIFELINE_CHAT_ALLOWED_HOSTS.invalid(e.to_string()))?;
        // `a@x.com; b@y.com`, as an agent's recipients are written.
        let fallback_recipients = Recipients::parse_with(
            &LIFELINE_FALLBACK_RECIPIENTS.raw_or_default(&get),
            &chat_allowed_hosts,
        )
        .map_err(|e| LIFELINE_FALLBACK_RECIPIENTS.invalid(e.to_string()))?;
        let ack_base_url = ack_base_url(LIFELINE_ACK_BASE_URL.raw(&get))
            .map_err(|detail| LIFELINE_ACK_BASE_URL.invalid(detail))?;
        let dial_cache = LIFELINE_DIAL_CACHE_SECONDS.whole_number(&get)?;
        let location_fresh_hours = LIFELINE_LOCATION_FRESH_HOURS.whole_number(&get)?;
        let misdial_seconds = LIFELINE_MISDIAL_SECONDS.whole_number(&get)?;
        Ok(Settings {
            dial_cache: Duration::seconds(dial_cache),
            location_fresh_for: Duration::hours(location_fresh_hours),
            misdial_under: Duration::seconds(misdial_seconds),
            fallback_recipients,
            chat_allowed_hosts,
            ack_base_url,
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

/// The callback window, the quarantine and the active-call limit.
fn lease_policy(get: &impl Lookup) -> Result<LeasePolicy, ConfigError> {
    let minutes = |setting: &Setting| setting.whole_number_or_default(get).map(Duration::minutes);
    let mut lease = LeasePolicy {
        window: minutes(&LIFELINE_CALLBACK_WINDOW_MINUTES)?,
        quarantine: minutes(&LIFELINE_QUARANTINE_MINUTES)?,
        // At least 2 h: with the quarantine (at least the window) a
        // number is never taken from an active call in its first 3 h.
        active_call_limit: minutes(&LIFELINE_ACTIVE_CALL_LIMIT_MINUTES)?,
    };
    // A late callback for the last holder must not reach the next one:
    // the quarantine is at least the window. Raised rather than refused,
    // so a longer window alone never stops a cold start (a dial's 5xx).
    if lease.quarantine < lease.window {
        tracing::warn!(
            quarantine_minutes = lease.quarantine.num_minutes(),
            window_minutes = lease.window.num_minutes(),
            "{} is shorter than the callback window; using the window",
            LIFELINE_QUARANTINE_MINUTES.name
        );
        lease.quarantine = lease.window;
    }
    Ok(lease)
}

#[cfg(test)]
mod table_tests;
#[cfg(test)]
mod tests;

/// `https://host[:port][/path]` (or `http://` for a local run), without its
/// trailing `/`; empty: none.
fn ack_base_url(raw: Option<String>) -> Result<Option<String>, String> {
    let Some(url) = raw.map(|u| u.trim().trim_end_matches('/').to_string()) else {
        return Ok(None);
    };
    if url.is_empty() {
        return Ok(None);
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("must start with https:// (http:// for a local run)")?;
    if rest.is_empty() || rest.contains(|c: char| c.is_whitespace() || matches!(c, '?' | '#')) {
        return Err("must be a base URL: a host, an optional port and path, no query".into());
    }
    Ok(Some(url))
}
