//! Chat alerts: one JSON post, `{"text": "…"}`, to an incoming webhook. The
//! one shape Slack, Microsoft Teams and Google Chat all accept (each reads
//! a top-level `text`). The URL is a secret: it is never logged, and errors
//! carry a code only (`Http404`, `Timeout`, `Transport`, `HostNotAllowed`).

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE, USER_AGENT};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use lifeline_app::ports::{ChatSender, ErrorCode, SendError};
use lifeline_domain::recipient::{ChatHosts, ChatUrl, LOOPBACK};

/// The most one post may take, connection included: an alert is retried
/// by the caller rather than held up by a slow webhook.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(3);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// A webhook answers `ok`, `1` or a message's JSON: a few hundred bytes.
const MAX_ANSWER: usize = 64 * 1024;

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// Why a post failed before or without an HTTP answer.
const HOST_NOT_ALLOWED: &str = "HostNotAllowed";

/// Posts to incoming webhooks whose host is on the allow-list.
pub struct WebhookChat {
    client: Client<Https, Full<Bytes>>,
    allowed: ChatHosts,
    timeout: Duration,
}

impl std::fmt::Debug for WebhookChat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookChat")
            .field("allowed", &self.allowed)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl WebhookChat {
    /// The client, built once (cold start), posting only to `allowed`
    /// (`Settings::chat_allowed_hosts`). Fails when the system has no root
    /// certificates.
    pub fn new(allowed: ChatHosts) -> std::io::Result<Self> {
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        http.enforce_http(false);
        // Plain http only ever reaches the loopback: `ChatUrl` refuses it
        // elsewhere, and `send_chat` checks again.
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(WebhookChat {
            client: Client::builder(TokioExecutor::new()).build(https),
            allowed,
            timeout: SEND_TIMEOUT,
        })
    }

    /// A shorter (or longer) bound on one post than [`SEND_TIMEOUT`].
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    async fn post(&self, to: &ChatUrl, text: &str) -> Result<Option<String>, SendError> {
        let body = serde_json::json!({ "text": text }).to_string();
        let request = Request::builder()
            .method(Method::POST)
            .uri(to.as_str())
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )
            .header(USER_AGENT, HeaderValue::from_static("lifeline"))
            .body(Full::new(Bytes::from(body)))
            .map_err(|_| permanent("InvalidRequest"))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|_| transient("Transport"))?;
        let status = response.status();
        // The answer is read (bounded) so the connection can be reused; a
        // 2xx whose body is cut short is still sent.
        let answer = Limited::new(response.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        classify(status).map(|()| message_id(&answer))
    }
}

/// 2xx: sent. 429 and 5xx: try again later. Any other status (a 4xx, or a
/// redirect, which is not followed: it could lead off the allow-list):
/// retrying will not help.
pub fn classify(status: StatusCode) -> Result<(), SendError> {
    let code = || ErrorCode::new(&format!("Http{}", status.as_u16()));
    if status.is_success() {
        Ok(())
    } else if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        Err(SendError::Transient(code()))
    } else {
        Err(SendError::Permanent(code()))
    }
}

/// Google Chat answers the message's JSON, whose `name` is its id; Slack
/// (`ok`) and Teams (`1`) give none.
fn message_id(answer: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(answer).ok()?;
    v.get("name")?.as_str().map(str::to_string)
}

fn transient(code: &str) -> SendError {
    SendError::Transient(ErrorCode::new(code))
}

fn permanent(code: &str) -> SendError {
    SendError::Permanent(ErrorCode::new(code))
}

#[async_trait]
impl ChatSender for WebhookChat {
    async fn send_chat(&self, to: &ChatUrl, text: &str) -> Result<Option<String>, SendError> {
        // Checked again here: a stored list may predate a shorter allow-list.
        if !self.allowed.allows(to) || (to.is_plain_http() && to.host() != LOOPBACK) {
            tracing::warn!(to = %to.redacted(), "chat alert refused: host not allowed");
            return Err(permanent(HOST_NOT_ALLOWED));
        }
        let result = match tokio::time::timeout(self.timeout, self.post(to, text)).await {
            Ok(r) => r,
            Err(_) => Err(transient("Timeout")),
        };
        if let Err(e) = &result {
            tracing::warn!(to = %to.redacted(), error = %e, "chat alert not sent");
        }
        result
    }
}

#[cfg(test)]
mod tests;
