//! The webhook secret kept and refreshed. A webhook function loads it within
//! a bounded time at cold start; when that fails (Secrets Manager slow,
//! unreachable, access denied) the function starts anyway with no usable
//! secret: an unverifiable signature fails open on an emergency-looking dial
//! and is refused everywhere else, which beats a 5xx from the platform on
//! every cold emergency dial. Requests then start background refreshes until
//! a key is in hand, and keep it fresh (rotation) afterwards.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lambda_http::{Body, Request, Response};
use lifeline_app::metrics::{EmfStdout, Metrics};
use tokio::time::Instant;

use crate::http::WebhookHandler;
use crate::webhook::signature::WebhookSecret;

/// Why a load gave no secret (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The source failed: unreachable, throttled, denied, not found.
    #[error("{0}")]
    Unavailable(String),
    /// No answer within the time a load is given.
    #[error("no answer within {0} ms")]
    TimedOut(u128),
    /// An answer that cannot be a webhook secret (too short).
    #[error("unusable value: {0}")]
    Unusable(String),
}

/// A key the refresher fills: a shared handle, so a new value reaches every
/// holder at once (the webhook secret, Twilio's auth token).
pub trait SecretSlot: Send + Sync {
    /// Takes `current` as the key, and `previous` beside it where the slot
    /// keeps one (a rotation in progress); an unusable current value is
    /// refused (the old keys kept).
    fn fill(&self, current: &str, previous: Option<&str>) -> Result<(), String>;
    /// Whether a key is held (else every signature is refused).
    fn is_set(&self) -> bool;
    /// Whether a signature failed to match since the last call: a sign that
    /// the sender may have moved to a new secret already.
    fn take_mismatch(&self) -> bool {
        false
    }
    /// Whether `current` is the key held already (a load that changed
    /// nothing). By default it is taken as a change.
    fn holds(&self, _current: &str) -> bool {
        false
    }
}

impl SecretSlot for WebhookSecret {
    fn fill(&self, current: &str, previous: Option<&str>) -> Result<(), String> {
        self.rotate(current, previous).map_err(|e| e.0)
    }

    fn is_set(&self) -> bool {
        WebhookSecret::is_set(self)
    }

    fn take_mismatch(&self) -> bool {
        WebhookSecret::take_mismatch(self)
    }

    fn holds(&self, current: &str) -> bool {
        WebhookSecret::holds(self, current)
    }
}

/// What a refresher's logs and metrics call its secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretNames {
    /// In log lines.
    pub what: &'static str,
    /// Counted when no key is in hand after a load (an alarm).
    pub unavailable_metric: &'static str,
    /// Counted when a refresh failed but the old key is kept.
    pub refresh_failed_metric: &'static str,
}

impl SecretNames {
    pub const WEBHOOK: SecretNames = SecretNames {
        what: "webhook secret",
        unavailable_metric: "WebhookSecretUnavailable",
        refresh_failed_metric: "WebhookSecretRefreshFailed",
    };
    pub const TWILIO: SecretNames = SecretNames {
        what: "Twilio auth token",
        unavailable_metric: "TwilioAuthTokenUnavailable",
        refresh_failed_metric: "TwilioAuthTokenRefreshFailed",
    };
}

/// Where the secret's current value comes from (Secrets Manager on AWS; a
/// fake in tests).
#[async_trait::async_trait]
pub trait SecretLoader: Send + Sync {
    async fn load(&self) -> Result<String, LoadError>;

    /// The current value and, during a rotation, the previous one. By
    /// default there is no previous one.
    async fn load_with_previous(&self) -> Result<(String, Option<String>), LoadError> {
        Ok((self.load().await?, None))
    }
}

#[cfg(feature = "secrets")]
#[async_trait::async_trait]
impl SecretLoader for lifeline_aws::secrets::SecretsManagerSecret {
    async fn load(&self) -> Result<String, LoadError> {
        self.get()
            .await
            .map_err(|e| LoadError::Unavailable(e.to_string()))
    }

    /// `AWSCURRENT` and `AWSPREVIOUS`, so a sender still signing with the
    /// previous secret is accepted while it moves over.
    async fn load_with_previous(&self) -> Result<(String, Option<String>), LoadError> {
        self.get_with_previous()
            .await
            .map_err(|e| LoadError::Unavailable(e.to_string()))
    }
}

/// When to load and refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// The most one load may take (the cold start's, a refresh's).
    pub timeout: Duration,
    /// A key older than this is fetched again (a rotation is picked up).
    pub max_age: Duration,
    /// At most one attempt per this (without a key, or after a failure):
    /// a down Secrets Manager is not hammered by every request.
    pub retry_every: Duration,
    /// At most one load per this on signatures that fail to match: a
    /// forger's requests cost no Secrets Manager calls beyond it.
    pub mismatch_every: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            timeout: Duration::from_millis(1500),
            max_age: Duration::from_secs(300),
            retry_every: Duration::from_secs(5),
            mismatch_every: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Default)]
struct State {
    /// When the key in hand was loaded (none: no key yet).
    loaded_at: Option<Instant>,
    last_attempt: Option<Instant>,
    in_flight: bool,
    /// A load for a mismatch found the keys unchanged: the mismatches were
    /// not a rotation, so only the periodic load (`max_age`) may change
    /// that. Cleared by a load that changes the keys.
    mismatch_was_no_rotation: bool,
    /// Whether the load in flight was started by a mismatch.
    for_mismatch: bool,
}

/// Loads the secret into a shared [`WebhookSecret`] handle and refreshes it,
/// one load at a time.
pub struct SecretRefresher {
    slot: Arc<dyn SecretSlot>,
    names: SecretNames,
    loader: Arc<dyn SecretLoader>,
    policy: RefreshPolicy,
    metrics: Arc<dyn Metrics>,
    state: Mutex<State>,
}

impl SecretRefresher {
    /// `secret` is the handle the handlers hold (typically
    /// `Config.webhook_secret`); every load replaces its key.
    pub fn new(
        secret: WebhookSecret,
        loader: Arc<dyn SecretLoader>,
        policy: RefreshPolicy,
    ) -> Self {
        Self::for_slot(Arc::new(secret), loader, policy, SecretNames::WEBHOOK)
    }

    /// The same for any shared key (Twilio's auth token).
    pub fn for_slot(
        slot: Arc<dyn SecretSlot>,
        loader: Arc<dyn SecretLoader>,
        policy: RefreshPolicy,
        names: SecretNames,
    ) -> Self {
        SecretRefresher {
            slot,
            names,
            loader,
            policy,
            metrics: Arc::new(EmfStdout),
            state: Mutex::new(State::default()),
        }
    }

    /// Emits to `metrics` instead of the EMF log lines (tests).
    pub fn with_metrics(mut self, metrics: Arc<dyn Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Whether a key is in hand.
    pub fn is_set(&self) -> bool {
        self.slot.is_set()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cold-start load, bounded by the policy's timeout. `false`: the
    /// function starts without a key (logged and counted), and requests will
    /// try again.
    pub async fn load_initial(self: &Arc<Self>) -> bool {
        let Some(_flight) = self.claim(Instant::now(), Due::Always) else {
            return self.slot.is_set();
        };
        self.attempt().await
    }

    /// Called as a request arrives: starts a background refresh when the key
    /// is missing or old (at most one at a time, at most one per
    /// `retry_every`). The request is not delayed; it sees the key in hand.
    /// Returns whether a refresh was started.
    pub fn on_request(self: &Arc<Self>) -> bool {
        self.refresh_in_background(Due::WhenMissingOrOld)
    }

    /// Called after a request was handled: when its signature failed to
    /// match, the keys are fetched again (the sender may have moved to a new
    /// secret) — at most once per `mismatch_every`, not again once such a
    /// load found them unchanged until the periodic one, and never on the
    /// request's own time.
    pub fn after_request(self: &Arc<Self>) -> bool {
        self.slot.take_mismatch() && self.refresh_in_background(Due::Mismatch)
    }

    /// Starts a load on its own task if `due`; whether it started.
    fn refresh_in_background(self: &Arc<Self>, due: Due) -> bool {
        let Some(flight) = self.claim(Instant::now(), due) else {
            return false;
        };
        let this = self.clone();
        // On Lambda the task runs while invocations run; the timeout bounds
        // it however long the environment is frozen in between.
        tokio::spawn(async move {
            let _flight = flight;
            this.attempt().await;
        });
        true
    }

    /// Claims the single flight if a load is `due` now.
    fn claim(self: &Arc<Self>, now: Instant, due: Due) -> Option<Flight> {
        let mut s = self.state();
        if s.in_flight {
            return None;
        }
        let since_attempt = |every| {
            s.last_attempt
                .is_none_or(|t| now.duration_since(t) >= every)
        };
        let old = s
            .loaded_at
            .is_none_or(|at| now.duration_since(at) >= self.policy.max_age);
        let go = match due {
            Due::Always => true,
            Due::Mismatch => {
                since_attempt(self.policy.mismatch_every) && (!s.mismatch_was_no_rotation || old)
            }
            Due::WhenMissingOrOld => since_attempt(self.policy.retry_every) && old,
        };
        if !go {
            return None;
        }
        s.for_mismatch = matches!(due, Due::Mismatch);
        s.in_flight = true;
        s.last_attempt = Some(now);
        Some(Flight(self.clone()))
    }

    /// One load: on success the key is replaced for every holder; on failure
    /// the key in hand (if any) is kept.
    async fn attempt(&self) -> bool {
        let had_key = self.slot.is_set();
        let load = self.loader.load_with_previous();
        let loaded = match tokio::time::timeout(self.policy.timeout, load).await {
            Ok(Ok((current, previous))) => {
                let unchanged = self.slot.holds(&current);
                self.slot
                    .fill(&current, previous.as_deref())
                    .map(|()| unchanged)
                    .map_err(LoadError::Unusable)
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(LoadError::TimedOut(self.policy.timeout.as_millis())),
        };
        match loaded {
            Ok(unchanged) => {
                let mut s = self.state();
                s.loaded_at = Some(Instant::now());
                s.mismatch_was_no_rotation = s.for_mismatch && unchanged;
                drop(s);
                if !had_key {
                    tracing::info!(secret = self.names.what, "loaded; signatures are verified");
                }
                true
            }
            Err(e) if had_key => {
                tracing::warn!(secret = self.names.what, error = %e, "refresh failed; keeping the key in hand");
                self.metrics
                    .emit(self.names.refresh_failed_metric, 1.0, "Count", &[]);
                false
            }
            Err(e) => {
                tracing::error!(secret = self.names.what, error = %e,
                    "unavailable: signatures cannot be verified (emergency dials fail open, other requests are refused); retrying as requests arrive");
                self.metrics
                    .emit(self.names.unavailable_metric, 1.0, "Count", &[]);
                false
            }
        }
    }
}

/// When a load may start (never while one is in flight).
#[derive(Debug, Clone, Copy)]
enum Due {
    /// At once (the cold start).
    Always,
    /// A signature failed to match: if none was tried within
    /// `mismatch_every`, and no such load found the keys unchanged since the
    /// last periodic one.
    Mismatch,
    /// If none was tried within `retry_every` and the key is missing or
    /// older than `max_age` (a request arrived).
    WhenMissingOrOld,
}

/// The single flight, released however the load ends (even dropped).
struct Flight(Arc<SecretRefresher>);

impl Drop for Flight {
    fn drop(&mut self) {
        self.0.state().in_flight = false;
    }
}

/// A webhook handler whose secret is refreshed as requests arrive.
pub struct Refreshing<H> {
    inner: H,
    refresher: Option<Arc<SecretRefresher>>,
}

impl<H> Refreshing<H> {
    /// `refresher`: none when the secret cannot change (a plain value).
    pub fn new(inner: H, refresher: Option<Arc<SecretRefresher>>) -> Self {
        Refreshing { inner, refresher }
    }

    pub fn refresher(&self) -> Option<&Arc<SecretRefresher>> {
        self.refresher.as_ref()
    }

    pub fn inner(&self) -> &H {
        &self.inner
    }
}

#[async_trait::async_trait]
impl<H: WebhookHandler> WebhookHandler for Refreshing<H> {
    async fn handle(&self, req: Request) -> Response<Body> {
        if let Some(r) = &self.refresher {
            r.on_request();
        }
        let response = self.inner.handle(req).await;
        if let Some(r) = &self.refresher {
            r.after_request();
        }
        response
    }
}

#[cfg(test)]
mod tests;
