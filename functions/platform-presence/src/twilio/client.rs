//! The TaskRouter client: the Worker resource fetched and updated over
//! hyper, with bounded attempts, as Lifeline's platform presence.

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{Method, Request};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use lifeline_app::ports::{PlatformError, PlatformPresence};
use lifeline_domain::call::AgentProfile;
use lifeline_domain::platform::{twilio_sid, PlatformStatus, PlatformView};

use super::answer::answer_of;
use super::settings::{is_sid, AuthToken, TwilioSettings};

/// Attempts of one request when TaskRouter is unavailable (then Lambda retries).
const ATTEMPTS: u32 = 3;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// A worker's JSON is a few KiB; more is not TaskRouter.
const MAX_ANSWER: usize = 256 * 1024;

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// A worker's activity on TaskRouter, as platform presence sets it.
pub struct TaskRouterPresence {
    client: Client<Https, Full<Bytes>>,
    base_url: String,
    workspace_sid: String,
    emergency_activity: String,
    authorization: HeaderValue,
    pub(super) retry_pause: Duration,
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
        if !is_sid(worker, twilio_sid::WORKER) {
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
    /// To the emergency activity also `RejectPendingReservations=true`:
    /// TaskRouter refuses an activity change while the worker has a pending
    /// reservation (error 20001) unless told to reject it, and an emergency
    /// does not wait on a task offer (the rejected task goes back to its
    /// workflow for another worker). The restore sends no such flag: a task
    /// offered by then is the agent's to take.
    pub fn update_request(
        &self,
        worker: &str,
        activity: &str,
    ) -> Result<Request<Full<Bytes>>, PlatformError> {
        if !is_sid(activity, twilio_sid::ACTIVITY) {
            return Err(PlatformError::Refused(format!(
                "`{activity}` is not an activity SID (WA and 32 hex digits)"
            )));
        }
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("ActivitySid", activity);
        if activity == self.emergency_activity {
            form.append_pair("RejectPendingReservations", "true");
        }
        let form = form.finish();
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

    /// TaskRouter has no next activity: an update changes the current one.
    async fn view(&self, user: &str) -> Result<PlatformView, PlatformError> {
        let current = self.call(|| self.fetch_request(user)).await?;
        Ok(PlatformView::settled(current))
    }

    async fn set(&self, user: &str, status_id: &str) -> Result<(), PlatformError> {
        self.call(|| self.update_request(user, status_id)).await?;
        Ok(())
    }
}
