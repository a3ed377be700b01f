//! The TaskRouter settings (`LIFELINE_TWILIO_*`), read and checked once at
//! cold start, and the account's auth token.

use lifeline_aws::secrets::{
    SecretBudget, SecretError, SecretSource, SecretsManagerSecret, TWILIO_TOKEN_ARN_VAR,
    TWILIO_TOKEN_VAR,
};

use crate::SettingsError;
use lifeline_app::settings::table::{
    LIFELINE_TWILIO_ACCOUNT_SID, LIFELINE_TWILIO_EMERGENCY_ACTIVITY_SID,
    LIFELINE_TWILIO_TASKROUTER_URL, LIFELINE_TWILIO_WORKSPACE_SID,
};
use lifeline_domain::platform::twilio_sid;

/// `LIFELINE_TWILIO_ACCOUNT_SID`: the account (`AC…`), the Basic auth user.
pub const ACCOUNT_SID_VAR: &str = LIFELINE_TWILIO_ACCOUNT_SID.name;
/// `LIFELINE_TWILIO_WORKSPACE_SID`: the TaskRouter workspace (`WS…`).
pub const WORKSPACE_SID_VAR: &str = LIFELINE_TWILIO_WORKSPACE_SID.name;
/// `LIFELINE_TWILIO_EMERGENCY_ACTIVITY_SID`: the activity an emergency call
/// puts on (`WA…`; one the admin creates, e.g. "Emergency call", with
/// `available=false`).
pub const EMERGENCY_ACTIVITY_VAR: &str = LIFELINE_TWILIO_EMERGENCY_ACTIVITY_SID.name;
/// `LIFELINE_TWILIO_TASKROUTER_URL`: TaskRouter's base URL (tests: a stub).
pub const TASKROUTER_URL_VAR: &str = LIFELINE_TWILIO_TASKROUTER_URL.name;
pub const DEFAULT_TASKROUTER_URL: &str = LIFELINE_TWILIO_TASKROUTER_URL.default_text();

/// A Twilio SID: two letters (`prefix`) and 32 hex digits.
pub use lifeline_domain::platform::twilio_sid::is as is_sid;

/// The account's auth token (its `Debug` shows nothing of it).
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken(pub(super) String);

impl AuthToken {
    pub fn new(token: impl Into<String>) -> Self {
        AuthToken(token.into().trim().to_string())
    }
}

impl std::fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthToken(…)")
    }
}

/// Where the auth token comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// `LIFELINE_TWILIO_AUTH_TOKEN` (local runs).
    Plain(AuthToken),
    /// `LIFELINE_TWILIO_AUTH_TOKEN_ARN`: a Secrets Manager secret, read at cold start.
    SecretsManager(String),
}

/// The TaskRouter settings, read once at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioSettings {
    pub account_sid: String,
    pub workspace_sid: String,
    pub emergency_activity: String,
    /// Without a trailing `/`.
    pub base_url: String,
    pub token: TokenSource,
}

impl TwilioSettings {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let value = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let sid = |name: &'static str, prefix: &'static str, what: &'static str| {
            let v = value(name).ok_or(SettingsError::Missing(name))?;
            if is_sid(&v, prefix) {
                Ok(v)
            } else {
                Err(SettingsError::Invalid {
                    var: name,
                    why: what,
                })
            }
        };
        let account_sid = sid(
            ACCOUNT_SID_VAR,
            twilio_sid::ACCOUNT,
            "an account SID (AC and 32 hex digits)",
        )?;
        let workspace_sid = sid(
            WORKSPACE_SID_VAR,
            twilio_sid::WORKSPACE,
            "a TaskRouter workspace SID (WS and 32 hex digits)",
        )?;
        let emergency_activity = sid(
            EMERGENCY_ACTIVITY_VAR,
            twilio_sid::ACTIVITY,
            "a TaskRouter activity SID (WA and 32 hex digits)",
        )?;
        let base_url = base_url(
            value(TASKROUTER_URL_VAR)
                .as_deref()
                .unwrap_or(DEFAULT_TASKROUTER_URL),
        )
        .ok_or(SettingsError::Invalid {
            var: TASKROUTER_URL_VAR,
            why: "an https:// URL without a path (http:// only for 127.0.0.1 or localhost)",
        })?;
        let token = match SecretSource::of(TWILIO_TOKEN_VAR, TWILIO_TOKEN_ARN_VAR, &get) {
            Ok(SecretSource::Plain(t)) => TokenSource::Plain(AuthToken::new(t)),
            Ok(SecretSource::SecretsManager(arn)) => TokenSource::SecretsManager(arn),
            Err(_) => return Err(SettingsError::NoToken),
        };
        Ok(TwilioSettings {
            account_sid,
            workspace_sid,
            emergency_activity,
            base_url,
            token,
        })
    }

    /// The auth token: the variable's value, or one bounded read of the
    /// Secrets Manager secret (cold start; an unreadable secret fails the
    /// start, and Lambda tries again).
    pub async fn auth_token(&self, aws: &aws_config::SdkConfig) -> Result<AuthToken, SecretError> {
        match &self.token {
            TokenSource::Plain(t) => Ok(t.clone()),
            TokenSource::SecretsManager(arn) => SecretsManagerSecret::new(
                aws,
                TWILIO_TOKEN_ARN_VAR,
                arn.clone(),
                SecretBudget::COLD_START,
            )
            .get()
            .await
            .map(AuthToken::new),
        }
    }
}

/// The base URL without its trailing `/`: https, or http on the loopback
/// (a stub); no path, query or credentials.
pub(super) fn base_url(v: &str) -> Option<String> {
    let v = v.trim_end_matches('/');
    let uri: http::Uri = v.parse().ok()?;
    let host = uri.host()?;
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]");
    let scheme_ok = match uri.scheme_str()? {
        "https" => true,
        "http" => loopback,
        _ => false,
    };
    let bare = uri.path_and_query().is_none_or(|p| p.as_str() == "/")
        && !uri.authority()?.as_str().contains('@');
    (scheme_ok && bare).then(|| v.to_string())
}

#[cfg(test)]
mod table {
    /// platform-presence's own name for the platform variable is the table's.
    #[test]
    fn the_platform_variable_is_the_tables() {
        assert_eq!(
            crate::PLATFORM_VAR,
            lifeline_app::settings::table::LIFELINE_PLATFORM_PRESENCE.name
        );
    }
}
