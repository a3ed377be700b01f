//! The adapter's settings (`LIFELINE_TWILIO_*`), read and checked once at
//! cold start: a wrong value stops the start, naming the variable.

use lifeline_app::settings::table::{
    LIFELINE_TWILIO_AUTH_TOKEN, LIFELINE_TWILIO_CALLER_ID, LIFELINE_TWILIO_CONTINUE_URL,
    LIFELINE_TWILIO_FLEX_WORKFLOW_SID, LIFELINE_TWILIO_LAST_RESORT, LIFELINE_TWILIO_PUBLIC_URL,
    LIFELINE_TWILIO_RING_SECONDS,
};
use lifeline_domain::types::{Invalid, E164};
use lifeline_edge::config::Mode;

use crate::twilio::{self, TwilioAuthToken};

/// Who answers a callback nobody else took: an E.164 number or a `WW…` workflow SID.
pub const LAST_RESORT_VAR: &str = LIFELINE_TWILIO_LAST_RESORT.name;
/// The local runner's last resort when none is set: a made-up supervisor line.
pub const LOCAL_LAST_RESORT: &str = "+14255550110";

const AUTH_TOKEN_VAR: &str = LIFELINE_TWILIO_AUTH_TOKEN.name;
const PUBLIC_URL_VAR: &str = LIFELINE_TWILIO_PUBLIC_URL.name;
const CALLER_ID_VAR: &str = LIFELINE_TWILIO_CALLER_ID.name;
const CONTINUE_URL_VAR: &str = LIFELINE_TWILIO_CONTINUE_URL.name;
const FLEX_WORKFLOW_VAR: &str = LIFELINE_TWILIO_FLEX_WORKFLOW_SID.name;
const RING_SECONDS_VAR: &str = LIFELINE_TWILIO_RING_SECONDS.name;

#[derive(Debug, thiserror::Error)]
pub enum TwilioConfigError {
    #[error("{var}: {detail}")]
    Invalid { var: &'static str, detail: String },
    #[error("{0} must be set on AWS")]
    Missing(&'static str),
    #[error("{var} must be set on AWS: {why}")]
    Required {
        var: &'static str,
        why: &'static str,
    },
}

fn invalid(var: &'static str, detail: String) -> TwilioConfigError {
    TwilioConfigError::Invalid { var, detail }
}

/// Who answers a callback to a pool number when the agent and the lease's
/// fallbacks did not, or nobody holds the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LastResort {
    /// A supervisor's phone: `<Dial><Number>`.
    Number(E164),
    /// A Flex/TaskRouter workflow: `<Enqueue workflowSid>`.
    Workflow(String),
}

impl std::str::FromStr for LastResort {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.starts_with('+') {
            return s
                .parse::<E164>()
                .map(LastResort::Number)
                .map_err(|e| format!("`{s}`: {}", e.0));
        }
        if twilio::is_sid(s, twilio::WORKFLOW_SID) {
            return Ok(LastResort::Workflow(s.to_string()));
        }
        Err(format!(
            "`{s}` is neither an E.164 number (+14255550110) nor a TaskRouter workflow SID (WW + 32 hex digits)"
        ))
    }
}

/// Where Twilio addresses Lifeline (what its signatures cover).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicUrl {
    /// A fixed base, no trailing slash: a custom domain, a tunnel, the
    /// local runner.
    Fixed(String),
    /// The host and base path API Gateway received each request on: the
    /// stack's own API URL, which the template cannot put in the function's
    /// environment (the API refers to the function: a cycle).
    FromRequest,
}

impl PublicUrl {
    /// The fixed base, if there is one.
    pub fn fixed(&self) -> Option<&str> {
        match self {
            PublicUrl::Fixed(base) => Some(base),
            PublicUrl::FromRequest => None,
        }
    }
}

/// The adapter's settings, read once at cold start.
#[derive(Debug, Clone)]
pub struct TwilioConfig {
    /// `LIFELINE_TWILIO_AUTH_TOKEN` (locally `local-twilio-token`).
    pub auth_token: TwilioAuthToken,
    /// `LIFELINE_TWILIO_PUBLIC_URL`: the base URL Twilio calls, which the
    /// signature covers; unset on AWS, the one each request came in on.
    pub public_url: PublicUrl,
    /// `LIFELINE_TWILIO_CALLER_ID`: the caller ID of a dial whose request
    /// carries no `CallerId` parameter.
    pub caller_id: Option<E164>,
    /// `LIFELINE_TWILIO_CONTINUE_URL`: the tenant's normal inbound handler,
    /// for calls to a callback number that is not leased.
    pub continue_url: Option<String>,
    /// `LIFELINE_TWILIO_FLEX_WORKFLOW_SID`: with Flex, callbacks become
    /// TaskRouter tasks for the agent's worker instead of a `<Dial><Client>`.
    pub flex_workflow_sid: Option<String>,
    /// `LIFELINE_TWILIO_RING_SECONDS` (default 20): how long each callback target rings.
    pub ring_seconds: u32,
    /// `LIFELINE_TWILIO_LAST_RESORT`: who answers a callback nobody else
    /// took. Required on AWS; locally [`LOCAL_LAST_RESORT`].
    pub last_resort: LastResort,
}

impl TwilioConfig {
    pub fn from_lookup(
        mode: Mode,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, TwilioConfigError> {
        Self::build(&Lookup { mode, get }, None)
    }

    /// The rest of the settings, with `token` as the auth token (a shared
    /// handle that a refresher fills from Secrets Manager).
    pub fn from_lookup_with_token(
        mode: Mode,
        get: impl Fn(&str) -> Option<String>,
        token: TwilioAuthToken,
    ) -> Result<Self, TwilioConfigError> {
        Self::build(&Lookup { mode, get }, Some(token))
    }

    /// Each setting in turn, in this order (the first wrong one is reported).
    fn build<G: Fn(&str) -> Option<String>>(
        vars: &Lookup<G>,
        token: Option<TwilioAuthToken>,
    ) -> Result<Self, TwilioConfigError> {
        let auth_token = match token {
            Some(handle) => handle,
            None => vars.auth_token()?,
        };
        let public_url = vars.public_url()?;
        let caller_id = vars
            .set(CALLER_ID_VAR)
            .map(|c| c.parse::<E164>())
            .transpose()
            .map_err(|e| invalid(CALLER_ID_VAR, e.0))?;
        let continue_url = vars.continue_url()?;
        let flex_workflow_sid = vars.flex_workflow_sid()?;
        let ring_seconds = vars.ring_seconds()?;
        let last_resort = vars.last_resort()?;
        Ok(TwilioConfig {
            auth_token,
            public_url,
            caller_id,
            continue_url,
            flex_workflow_sid,
            ring_seconds,
            last_resort,
        })
    }

    /// How long a TaskRouter task waits for a worker (Flex).
    pub(crate) fn task_seconds(&self) -> u32 {
        self.ring_seconds.saturating_mul(6)
    }
}

/// The environment as the settings read it: trimmed, an empty value unset.
struct Lookup<G> {
    mode: Mode,
    get: G,
}

impl<G: Fn(&str) -> Option<String>> Lookup<G> {
    fn set(&self, name: &str) -> Option<String> {
        (self.get)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    fn local(&self) -> bool {
        self.mode == Mode::Local
    }

    /// https, or (locally) http.
    fn is_url(&self, u: &str) -> bool {
        u.starts_with("https://") || (self.local() && u.starts_with("http://"))
    }

    fn auth_token(&self) -> Result<TwilioAuthToken, TwilioConfigError> {
        let token = match self.set(AUTH_TOKEN_VAR) {
            Some(t) => t,
            None if self.local() => "local-twilio-token".into(),
            None => return Err(TwilioConfigError::Missing(AUTH_TOKEN_VAR)),
        };
        TwilioAuthToken::new(&token).map_err(|e| invalid(AUTH_TOKEN_VAR, e.0))
    }

    fn public_url(&self) -> Result<PublicUrl, TwilioConfigError> {
        let public_url = match self.set(PUBLIC_URL_VAR) {
            Some(u) => u,
            None if self.local() => "http://127.0.0.1:3000".into(),
            None => return Ok(PublicUrl::FromRequest),
        };
        let public_url = public_url.trim_end_matches('/').to_string();
        if !self.is_url(&public_url) {
            return Err(invalid(
                PUBLIC_URL_VAR,
                format!("`{public_url}` must be an https:// URL"),
            ));
        }
        Ok(PublicUrl::Fixed(public_url))
    }

    fn continue_url(&self) -> Result<Option<String>, TwilioConfigError> {
        let continue_url = self.set(CONTINUE_URL_VAR);
        if let Some(u) = continue_url.as_deref().filter(|u| !self.is_url(u)) {
            return Err(invalid(
                CONTINUE_URL_VAR,
                format!("`{u}` must be an https:// URL"),
            ));
        }
        Ok(continue_url)
    }

    fn flex_workflow_sid(&self) -> Result<Option<String>, TwilioConfigError> {
        let sid = self.set(FLEX_WORKFLOW_VAR);
        if let Some(sid) = sid
            .as_deref()
            .filter(|s| !twilio::is_sid(s, twilio::WORKFLOW_SID))
        {
            return Err(invalid(
                FLEX_WORKFLOW_VAR,
                format!("`{sid}` is not a TaskRouter workflow SID (WW + 32 hex digits)"),
            ));
        }
        Ok(sid)
    }

    fn ring_seconds(&self) -> Result<u32, TwilioConfigError> {
        let setting = LIFELINE_TWILIO_RING_SECONDS;
        let table =
            |e: lifeline_app::settings::ConfigError| invalid(RING_SECONDS_VAR, e.to_string());
        let (range, _) = setting.range::<u32>().map_err(table)?;
        let Some(s) = self.set(RING_SECONDS_VAR) else {
            return setting.default_number().map_err(table);
        };
        s.parse::<u32>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                invalid(
                    RING_SECONDS_VAR,
                    format!("`{s}` is not {} to {}", range.start(), range.end()),
                )
            })
    }

    /// Required on AWS: a callback that nobody answers must still reach someone.
    fn last_resort(&self) -> Result<LastResort, TwilioConfigError> {
        match self.set(LAST_RESORT_VAR) {
            Some(v) => v
                .parse::<LastResort>()
                .map_err(|e| invalid(LAST_RESORT_VAR, e)),
            None if self.local() => LOCAL_LAST_RESORT
                .parse()
                .map(LastResort::Number)
                .map_err(|e: Invalid| invalid(LAST_RESORT_VAR, e.0)),
            None => Err(TwilioConfigError::Required {
                var: LAST_RESORT_VAR,
                why: "a supervisor's E.164 number or a Flex workflow SID (WW…) that answers a callback when the agent and the fallbacks do not, or when nobody holds the number (TwilioLastResort)",
            }),
        }
    }
}
