//! The agent's activity on Twilio TaskRouter: the worker's `ActivitySid`.
//! API reference, the Worker resource
//! (https://www.twilio.com/docs/taskrouter/api/worker):
//! - fetch: `GET {base}/v1/Workspaces/{WorkspaceSid}/Workers/{WorkerSid}`,
//!   answer JSON with `activity_sid` and `activity_name` (the worker's
//!   current Activity);
//! - update: `POST` to the same URL, an `application/x-www-form-urlencoded`
//!   body `ActivitySid=WA…`, answer the worker's JSON;
//! - HTTP Basic authentication, `AccountSid:AuthToken`
//!   (https://www.twilio.com/docs/usage/requests-to-twilio).
//!
//! Over hyper with rustls on aws-lc-rs and the system's roots: the AWS SDK's
//! own TLS stack, not a second one. The auth token is never logged.

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;

use lifeline_app::ports::{PlatformError, PlatformPresence};
use lifeline_aws::secrets::{
    SecretBudget, SecretError, SecretSource, SecretsManagerSecret, TWILIO_TOKEN_ARN_VAR,
    TWILIO_TOKEN_VAR,
};
use lifeline_domain::call::AgentProfile;
use lifeline_domain::platform::PlatformStatus;

use crate::SettingsError;

/// `LIFELINE_TWILIO_ACCOUNT_SID`: the account (`AC…`), the Basic auth user.
pub const ACCOUNT_SID_VAR: &str = "LIFELINE_TWILIO_ACCOUNT_SID";
/// `LIFELINE_TWILIO_WORKSPACE_SID`: the TaskRouter workspace (`WS…`).
pub const WORKSPACE_SID_VAR: &str = "LIFELINE_TWILIO_WORKSPACE_SID";
/// `LIFELINE_TWILIO_EMERGENCY_ACTIVITY_SID`: the activity an emergency call
/// puts on (`WA…`; one the admin creates, e.g. "Emergency call", with
/// `available=false`).
pub const EMERGENCY_ACTIVITY_VAR: &str = "LIFELINE_TWILIO_EMERGENCY_ACTIVITY_SID";
/// `LIFELINE_TWILIO_TASKROUTER_URL`: TaskRouter's base URL (tests: a stub).
pub const TASKROUTER_URL_VAR: &str = "LIFELINE_TWILIO_TASKROUTER_URL";
pub const DEFAULT_TASKROUTER_URL: &str = "https://taskrouter.twilio.com";

/// Attempts of one request when TaskRouter is unavailable (then Lambda retries).
const ATTEMPTS: u32 = 3;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// A worker's JSON is a few KiB; more is not TaskRouter.
const MAX_ANSWER: usize = 256 * 1024;

/// A Twilio SID: two letters (`prefix`) and 32 hex digits.
pub fn is_sid(value: &str, prefix: &str) -> bool {
    value.len() == 34
        && value.starts_with(prefix)
        && value[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The account's auth token (its `Debug` shows nothing of it).
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken(String);

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
            "AC",
            "an account SID (AC and 32 hex digits)",
        )?;
        let workspace_sid = sid(
            WORKSPACE_SID_VAR,
            "WS",
            "a TaskRouter workspace SID (WS and 32 hex digits)",
        )?;
        let emergency_activity = sid(
            EMERGENCY_ACTIVITY_VAR,
            "WA",
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
fn base_url(v: &str) -> Option<String> {
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

/// The worker's JSON, the fields read (the Worker resource's properties).
#[derive(Debug, Deserialize)]
struct Worker {
    activity_sid: Option<String>,
    activity_name: Option<String>,
}

/// Twilio's error JSON (`code`, `message`, `more_info`, `status`): the code only.
#[derive(Debug, Deserialize)]
struct TwilioError {
    code: Option<u64>,
}

/// What an answer to a fetch or an update means: the worker's activity, or
/// why not. 429 and 5xx are `Unavailable` (retried); 400, 401, 403, 404
/// (and any other refusal) are `Refused`.
pub fn answer_of(status: StatusCode, body: &[u8]) -> Result<PlatformStatus, PlatformError> {
    if !status.is_success() {
        return Err(error_of(status, body));
    }
    let worker: Worker = serde_json::from_slice(body).map_err(|e| {
        PlatformError::Unavailable(format!("TaskRouter answered {status} with no worker: {e}"))
    })?;
    match worker.activity_sid.filter(|s| !s.is_empty()) {
        Some(id) => Ok(PlatformStatus {
            id,
            name: worker.activity_name.unwrap_or_default(),
        }),
        None => Err(PlatformError::Unavailable(format!(
            "TaskRouter answered {status} with a worker without activity_sid"
        ))),
    }
}

/// A refusal or failure, with Twilio's error code when it gave one.
pub fn error_of(status: StatusCode, body: &[u8]) -> PlatformError {
    let code = serde_json::from_slice::<TwilioError>(body)
        .ok()
        .and_then(|e| e.code)
        .map(|c| format!(" (Twilio error {c})"))
        .unwrap_or_default();
    let what = format!("TaskRouter answered {status}{code}");
    // 409: the worker changed under us (a concurrent update); retried.
    if status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::CONFLICT
        || status.is_server_error()
    {
        PlatformError::Unavailable(what)
    } else {
        PlatformError::Refused(what)
    }
}

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// A worker's activity on TaskRouter, as platform presence sets it.
pub struct TaskRouterPresence {
    client: Client<Https, Full<Bytes>>,
    base_url: String,
    workspace_sid: String,
    emergency_activity: String,
    authorization: HeaderValue,
    retry_pause: Duration,
}

impl std::fmt::Debug for TaskRouterPresence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskRouterPresence")
            .field("base_url", &self.base_url)
            .field("workspace_sid", &self.workspace_sid)
            .field("emergency_activity", &self.emergency_activity)
            .finish_non_exhaustive()
    }
}

impl TaskRouterPresence {
    /// The client, built once (cold start). Fails when the system has no
    /// root certificates.
    pub fn new(settings: &TwilioSettings, token: &AuthToken) -> std::io::Result<Self> {
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        http.enforce_http(false);
        // http:// only ever reaches the loopback (settings refuse it elsewhere).
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).build(https);
        Ok(TaskRouterPresence {
            client,
            base_url: settings.base_url.clone(),
            workspace_sid: settings.workspace_sid.clone(),
            emergency_activity: settings.emergency_activity.clone(),
            authorization: basic_auth(&settings.account_sid, token)?,
            retry_pause: Duration::from_millis(100),
        })
    }

    /// The Worker resource's URL; a worker SID that is not one is refused
    /// before anything is sent.
    fn worker_url(&self, worker: &str) -> Result<String, PlatformError> {
        if !is_sid(worker, "WK") {
            return Err(PlatformError::Refused(
                "the profile's twilioWorkerSid is not a worker SID (WK and 32 hex digits)".into(),
            ));
        }
        Ok(format!(
            "{}/v1/Workspaces/{}/Workers/{worker}",
            self.base_url, self.workspace_sid
        ))
    }

    /// Fetch a worker: `GET …/Workers/{WorkerSid}`.
    pub fn fetch_request(&self, worker: &str) -> Result<Request<Full<Bytes>>, PlatformError> {
        self.request(Method::GET, worker, None)
    }

    /// Update a worker's activity: `POST …/Workers/{WorkerSid}`, `ActivitySid=…`.
    pub fn update_request(
        &self,
        worker: &str,
        activity: &str,
    ) -> Result<Request<Full<Bytes>>, PlatformError> {
        if !is_sid(activity, "WA") {
            return Err(PlatformError::Refused(format!(
                "`{activity}` is not an activity SID (WA and 32 hex digits)"
            )));
        }
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("ActivitySid", activity)
            .finish();
        self.request(Method::POST, worker, Some(form))
    }

    fn request(
        &self,
        method: Method,
        worker: &str,
        form: Option<String>,
    ) -> Result<Request<Full<Bytes>>, PlatformError> {
        let mut b = Request::builder()
            .method(method)
            .uri(self.worker_url(worker)?)
            .header(AUTHORIZATION, self.authorization.clone())
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, "lifeline-platform-presence");
        if form.is_some() {
            b = b.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        b.body(Full::new(Bytes::from(form.unwrap_or_default())))
            .map_err(|e| PlatformError::Refused(format!("request: {e}")))
    }

    /// Sends a request (built again for each attempt), retrying what is
    /// unavailable a few times; the worker's activity from the answer.
    async fn call(
        &self,
        make: impl Fn() -> Result<Request<Full<Bytes>>, PlatformError>,
    ) -> Result<PlatformStatus, PlatformError> {
        let mut attempt = 1;
        loop {
            let result = self.once(make()?).await;
            match result {
                Err(PlatformError::Unavailable(why)) if attempt < ATTEMPTS => {
                    tracing::info!(attempt, error = %why, "TaskRouter unavailable; trying again");
                    tokio::time::sleep(self.retry_pause * attempt).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn once(&self, req: Request<Full<Bytes>>) -> Result<PlatformStatus, PlatformError> {
        let exchange = async {
            let answer = self
                .client
                .request(req)
                .await
                .map_err(|e| PlatformError::Unavailable(format!("TaskRouter: {e}")))?;
            let status = answer.status();
            let body = Limited::new(answer.into_body(), MAX_ANSWER)
                .collect()
                .await
                .map_err(|e| PlatformError::Unavailable(format!("TaskRouter's answer: {e}")))?
                .to_bytes();
            answer_of(status, &body)
        };
        tokio::time::timeout(ATTEMPT_TIMEOUT, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(PlatformError::Unavailable(format!(
                    "TaskRouter did not answer within {ATTEMPT_TIMEOUT:?}"
                )))
            })
    }
}

/// `Authorization: Basic base64(AccountSid:AuthToken)`, marked sensitive.
fn basic_auth(account_sid: &str, token: &AuthToken) -> std::io::Result<HeaderValue> {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{account_sid}:{}", token.0));
    let mut v = HeaderValue::from_str(&format!("Basic {encoded}"))
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    v.set_sensitive(true);
    Ok(v)
}

#[async_trait::async_trait]
impl PlatformPresence for TaskRouterPresence {
    fn platform(&self) -> &'static str {
        "twilio"
    }

    fn user_of<'a>(&self, profile: &'a AgentProfile) -> Option<&'a str> {
        profile.platform.twilio_worker_sid.as_deref()
    }

    fn emergency_status(&self) -> &str {
        &self.emergency_activity
    }

    async fn current(&self, user: &str) -> Result<PlatformStatus, PlatformError> {
        self.call(|| self.fetch_request(user)).await
    }

    async fn set(&self, user: &str, status_id: &str) -> Result<(), PlatformError> {
        self.call(|| self.update_request(user, status_id)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AC: &str = "AC0123456789abcdef0123456789abcdef";
    const WS: &str = "WS0123456789abcdef0123456789abcdef";
    const WA: &str = "WA0123456789abcdef0123456789abcdef";
    const WK: &str = "WK0123456789abcdef0123456789abcdef";

    fn env<'a>(vars: &'a [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn settings() -> TwilioSettings {
        TwilioSettings::from_lookup(env(&[
            (ACCOUNT_SID_VAR, AC),
            (WORKSPACE_SID_VAR, WS),
            (EMERGENCY_ACTIVITY_VAR, WA),
            (TWILIO_TOKEN_VAR, "tok-secret"),
        ]))
        .unwrap()
    }

    #[test]
    fn settings_are_validated_and_name_the_variable() {
        let s = settings();
        assert_eq!(s.base_url, DEFAULT_TASKROUTER_URL);
        assert_eq!(s.token, TokenSource::Plain(AuthToken::new("tok-secret")));
        assert!(!format!("{s:?}").contains("tok-secret"), "{s:?}");
        assert_eq!(
            TwilioSettings::from_lookup(env(&[(ACCOUNT_SID_VAR, AC)])),
            Err(SettingsError::Missing(WORKSPACE_SID_VAR))
        );
        let bad = TwilioSettings::from_lookup(env(&[
            (ACCOUNT_SID_VAR, AC),
            (WORKSPACE_SID_VAR, WS),
            (EMERGENCY_ACTIVITY_VAR, "st-emergency"),
        ]))
        .unwrap_err();
        assert!(bad.to_string().contains(EMERGENCY_ACTIVITY_VAR), "{bad}");
        assert_eq!(
            TwilioSettings::from_lookup(env(&[
                (ACCOUNT_SID_VAR, AC),
                (WORKSPACE_SID_VAR, WS),
                (EMERGENCY_ACTIVITY_VAR, WA),
            ])),
            Err(SettingsError::NoToken)
        );
        let from_secret = TwilioSettings::from_lookup(env(&[
            (ACCOUNT_SID_VAR, AC),
            (WORKSPACE_SID_VAR, WS),
            (EMERGENCY_ACTIVITY_VAR, WA),
            (
                TWILIO_TOKEN_ARN_VAR,
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:tok",
            ),
            (TASKROUTER_URL_VAR, "http://127.0.0.1:8123/"),
        ]))
        .unwrap();
        assert_eq!(from_secret.base_url, "http://127.0.0.1:8123");
        assert!(matches!(from_secret.token, TokenSource::SecretsManager(_)));
    }

    #[test]
    fn the_base_url_is_https_or_the_loopback() {
        assert_eq!(
            base_url("https://taskrouter.twilio.com/").as_deref(),
            Some("https://taskrouter.twilio.com")
        );
        assert!(base_url("http://localhost:9000").is_some());
        assert!(base_url("http://taskrouter.twilio.com").is_none());
        assert!(base_url("https://taskrouter.twilio.com/v1").is_none());
        assert!(base_url("https://u:p@taskrouter.twilio.com").is_none());
        assert!(base_url("ftp://taskrouter.twilio.com").is_none());
        assert!(base_url("not a url").is_none());
    }

    #[tokio::test]
    async fn requests_follow_the_worker_resource() {
        let p = TaskRouterPresence::new(&settings(), &AuthToken::new("tok-secret")).unwrap();
        let get = p.fetch_request(WK).unwrap();
        assert_eq!(get.method(), Method::GET);
        assert_eq!(
            get.uri().to_string(),
            format!("https://taskrouter.twilio.com/v1/Workspaces/{WS}/Workers/{WK}")
        );
        let auth = get.headers()[AUTHORIZATION].clone();
        assert!(auth.is_sensitive());
        let expected = base64::engine::general_purpose::STANDARD.encode(format!("{AC}:tok-secret"));
        assert_eq!(auth.to_str().unwrap(), format!("Basic {expected}"));
        assert!(get.headers().get(CONTENT_TYPE).is_none());

        let post = p.update_request(WK, WA).unwrap();
        assert_eq!(post.method(), Method::POST);
        assert_eq!(post.uri(), get.uri());
        assert_eq!(
            post.headers()[CONTENT_TYPE],
            "application/x-www-form-urlencoded"
        );
        let body = post.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], format!("ActivitySid={WA}").as_bytes());

        // Nothing is sent for what is not a SID (no path of our making).
        assert!(matches!(
            p.fetch_request("WK../../Accounts"),
            Err(PlatformError::Refused(_))
        ));
        assert!(matches!(
            p.update_request(WK, "available"),
            Err(PlatformError::Refused(_))
        ));
        assert!(!format!("{p:?}").contains("tok-secret"));
    }

    #[test]
    fn answers_map_to_the_activity_or_the_error() {
        let worker = serde_json::json!({
            "sid": WK, "workspace_sid": WS, "account_sid": AC,
            "activity_sid": WA, "activity_name": "Emergency call",
            "available": false, "friendly_name": "alice",
        })
        .to_string();
        assert_eq!(
            answer_of(StatusCode::OK, worker.as_bytes()),
            Ok(PlatformStatus {
                id: WA.into(),
                name: "Emergency call".into()
            })
        );
        let err = |code: u16| {
            answer_of(
                StatusCode::from_u16(code).unwrap(),
                br#"{"code": 20404, "message": "not found", "status": 404}"#,
            )
            .unwrap_err()
        };
        for code in [429, 500, 502, 503] {
            assert!(matches!(err(code), PlatformError::Unavailable(_)), "{code}");
        }
        for code in [400, 401, 403, 404] {
            assert!(matches!(err(code), PlatformError::Refused(_)), "{code}");
        }
        assert_eq!(
            err(404),
            PlatformError::Refused("TaskRouter answered 404 Not Found (Twilio error 20404)".into())
        );
        assert!(matches!(
            answer_of(StatusCode::OK, b"<html>"),
            Err(PlatformError::Unavailable(_))
        ));
        assert!(matches!(
            answer_of(StatusCode::OK, br#"{"sid": "WK1"}"#),
            Err(PlatformError::Unavailable(_))
        ));
    }

    #[tokio::test]
    async fn an_unreachable_taskrouter_is_unavailable() {
        // A port nobody listens on (bound, then closed).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut s = settings();
        s.base_url = format!("http://127.0.0.1:{port}");
        let mut p = TaskRouterPresence::new(&s, &AuthToken::new("t")).unwrap();
        p.retry_pause = Duration::from_millis(1);
        assert!(matches!(
            p.current(WK).await,
            Err(PlatformError::Unavailable(_))
        ));
    }
}
