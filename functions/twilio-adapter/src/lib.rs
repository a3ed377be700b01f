//! `twilio-adapter`: Twilio Programmable Voice (and Flex) onto Lifeline's
//! core. Three webhooks, form-encoded in, TwiML out:
//! - `POST /twilio/outbound`, the TwiML App's Voice URL: the agent's dial;
//! - `POST /twilio/inbound`, each callback number's Voice URL: a call to it
//!   (and the `<Dial action>`/`<Enqueue action>` of each of its legs);
//! - `POST /twilio/status`, the `<Dial action>` of an emergency call: its end.
//!
//! A call to a callback number is never rejected: the agent, then the
//! lease's fallbacks, then the configured last resort
//! (`LIFELINE_TWILIO_LAST_RESORT`: a supervisor's number or a Flex queue)
//! answer it, each ringing for a bounded time.
//!
//! A thin translation onto the same dial, callback and end services as the
//! canonical webhooks. Every request must carry a valid `X-Twilio-Signature`,
//! with one exception that keeps the outbound route failing open: a dial of
//! an emergency number whose signature does not check out (a rotated auth
//! token, a wrong public URL) is still answered with a `<Dial>` of that
//! number, and nothing is recorded for it.

pub mod twilio;

use crate::twilio::{Form, TwilioAuthToken};
use lambda_http::{Body, Request, Response};
use lifeline_app::clock::Clock;
use lifeline_app::ports::{CallbackStore, DialStore, EndStore};
use lifeline_app::service::callback::CallbackService;
use lifeline_app::service::dial::DialService;
use lifeline_app::service::ended::{EndCallError, EndService};
use lifeline_app::settings::Settings;
use lifeline_domain::call::{CallEnded, InboundAnswer, InboundCall, OutboundAnswer, OutboundDial};
use lifeline_domain::numbers::{
    emergency_digits_anywhere, short_code_from_e164, OutsideLinePrefix,
};
use lifeline_domain::types::{AgentId, CallId, E164};
use lifeline_edge::config::{Config, Mode};
use lifeline_edge::http::{body_bytes, problem};
use lifeline_edge::webhook::Problem;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Twilio waits 15 s for TwiML; Lifeline answers well inside (the dial's own
/// budget is 2.5 s by default; this bounds everything else).
pub const ANSWER_BUDGET: Duration = Duration::from_secs(3);
/// TaskRouter priority of an emergency callback's task (higher goes first).
pub const CALLBACK_TASK_PRIORITY: u32 = 1000;
/// Who answers a callback nobody else took: an E.164 number or a `WW…` workflow SID.
pub const LAST_RESORT_VAR: &str = "LIFELINE_TWILIO_LAST_RESORT";
/// The local runner's last resort when none is set: a made-up supervisor line.
pub const LOCAL_LAST_RESORT: &str = "+14255550110";
/// How many times the last resort is tried before the call is ended.
pub const LAST_RESORT_ROUNDS: u32 = 3;
/// Said before a callback goes to the last resort.
pub const HOLD_MESSAGE: &str = "Please hold while we connect you.";
/// Said when even the last resort did not answer, before hanging up.
pub const NOBODY_MESSAGE: &str =
    "Nobody could be reached at this number. Please call again or use another number.";
/// How long the number's state is looked up for, when it has no live lease.
const NUMBER_LOOKUP_BUDGET: Duration = Duration::from_secs(1);
/// The `from` the core gets when no caller ID can be had from the request,
/// the configuration or the agent profile: never presented (the `<Dial>`
/// then has no `callerId`); the record and the e-mail say "not known".
pub const NO_CALLER_ID: &str = "+10000000000";

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
        if is_workflow_sid(s) {
            return Ok(LastResort::Workflow(s.to_string()));
        }
        Err(format!(
            "`{s}` is neither an E.164 number (+14255550110) nor a TaskRouter workflow SID (WW + 32 hex digits)"
        ))
    }
}

fn is_workflow_sid(s: &str) -> bool {
    s.len() == 34 && s.starts_with("WW") && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The adapter's settings, read once at cold start.
#[derive(Debug, Clone)]
pub struct TwilioConfig {
    /// `LIFELINE_TWILIO_AUTH_TOKEN` (locally `local-twilio-token`).
    pub auth_token: TwilioAuthToken,
    /// `LIFELINE_TWILIO_PUBLIC_URL`: the base URL Twilio calls (the API's
    /// invoke URL), which the signature covers; no trailing slash.
    pub public_url: String,
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
        Self::build(mode, get, None)
    }

    /// The rest of the settings, with `token` as the auth token (a shared
    /// handle that a refresher fills from Secrets Manager).
    pub fn from_lookup_with_token(
        mode: Mode,
        get: impl Fn(&str) -> Option<String>,
        token: TwilioAuthToken,
    ) -> Result<Self, TwilioConfigError> {
        Self::build(mode, get, Some(token))
    }

    fn build(
        mode: Mode,
        get: impl Fn(&str) -> Option<String>,
        token: Option<TwilioAuthToken>,
    ) -> Result<Self, TwilioConfigError> {
        let set = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let invalid = |var, detail: String| TwilioConfigError::Invalid { var, detail };
        let local = mode == Mode::Local;
        let auth_token = match (token, set("LIFELINE_TWILIO_AUTH_TOKEN")) {
            (Some(handle), _) => handle,
            (None, Some(t)) => {
                TwilioAuthToken::new(&t).map_err(|e| invalid("LIFELINE_TWILIO_AUTH_TOKEN", e.0))?
            }
            (None, None) if local => TwilioAuthToken::new("local-twilio-token")
                .map_err(|e| invalid("LIFELINE_TWILIO_AUTH_TOKEN", e.0))?,
            (None, None) => return Err(TwilioConfigError::Missing("LIFELINE_TWILIO_AUTH_TOKEN")),
        };
        let public_url = match set("LIFELINE_TWILIO_PUBLIC_URL") {
            Some(u) => u,
            None if local => "http://127.0.0.1:3000".into(),
            None => return Err(TwilioConfigError::Missing("LIFELINE_TWILIO_PUBLIC_URL")),
        };
        let public_url = public_url.trim_end_matches('/').to_string();
        let is_url = |u: &str| u.starts_with("https://") || (local && u.starts_with("http://"));
        if !is_url(&public_url) {
            return Err(invalid(
                "LIFELINE_TWILIO_PUBLIC_URL",
                format!("`{public_url}` must be an https:// URL"),
            ));
        }
        let caller_id = set("LIFELINE_TWILIO_CALLER_ID")
            .map(|c| c.parse::<E164>())
            .transpose()
            .map_err(|e| invalid("LIFELINE_TWILIO_CALLER_ID", e.0))?;
        let continue_url = set("LIFELINE_TWILIO_CONTINUE_URL");
        if let Some(u) = continue_url.as_deref().filter(|u| !is_url(u)) {
            return Err(invalid(
                "LIFELINE_TWILIO_CONTINUE_URL",
                format!("`{u}` must be an https:// URL"),
            ));
        }
        let flex_workflow_sid = set("LIFELINE_TWILIO_FLEX_WORKFLOW_SID");
        if let Some(sid) = flex_workflow_sid.as_deref() {
            if !is_workflow_sid(sid) {
                return Err(invalid(
                    "LIFELINE_TWILIO_FLEX_WORKFLOW_SID",
                    format!("`{sid}` is not a TaskRouter workflow SID (WW + 32 hex digits)"),
                ));
            }
        }
        let ring_seconds = match set("LIFELINE_TWILIO_RING_SECONDS") {
            None => 20,
            Some(s) => s
                .parse::<u32>()
                .ok()
                .filter(|n| (5..=600).contains(n))
                .ok_or_else(|| {
                    invalid(
                        "LIFELINE_TWILIO_RING_SECONDS",
                        format!("`{s}` is not 5 to 600"),
                    )
                })?,
        };
        // A callback that nobody answers must still reach someone.
        let last_resort = match set(LAST_RESORT_VAR) {
            Some(v) => v.parse::<LastResort>().map_err(|e| invalid(LAST_RESORT_VAR, e))?,
            None if local => LastResort::Number(
                LOCAL_LAST_RESORT
                    .parse()
                    .map_err(|e: lifeline_domain::types::Invalid| invalid(LAST_RESORT_VAR, e.0))?,
            ),
            None => {
                return Err(TwilioConfigError::Required {
                    var: LAST_RESORT_VAR,
                    why: "a supervisor's E.164 number or a Flex workflow SID (WW…) that answers a callback when the agent and the fallbacks do not, or when nobody holds the number (TwilioLastResort)",
                })
            }
        };
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

    fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.public_url)
    }

    /// How long a TaskRouter task waits for a worker (Flex).
    fn task_seconds(&self) -> u32 {
        self.ring_seconds.saturating_mul(6)
    }
}

/// The outbound route's request, translated (pure).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundRequest {
    /// What the agent dialed (`To`), E.164-formatted short codes undone.
    pub dialed: String,
    /// The caller ID of an ordinary call: `CallerId`, else the configured
    /// one, else (for an emergency dial) the agent profile's own number.
    pub caller_id: Option<E164>,
    /// The canonical dial, when the request has all it needs. Without a
    /// caller ID its `from` is [`NO_CALLER_ID`] until the profile gives one.
    pub dial: Result<OutboundDial, String>,
}

/// `CallSid` → `callId`, `From` without `client:` → `agentId`, `To` →
/// `dialed`; the desktop may pass `CallerId`, `Country` and `Address` as
/// custom parameters of `device.connect()`.
pub fn outbound_request(form: &Form, default_caller_id: Option<&E164>) -> OutboundRequest {
    let to = form.get("To").unwrap_or_default().trim();
    let dialed = short_code_from_e164(to).unwrap_or_else(|| to.to_string());
    let caller_id = form
        .get("CallerId")
        .and_then(|c| c.trim().parse::<E164>().ok())
        .or_else(|| default_caller_id.cloned());
    let dial = (|| {
        let call_id: CallId = form
            .get("CallSid")
            .and_then(|c| c.parse().ok())
            .ok_or("CallSid missing or invalid")?;
        let agent_id: AgentId = form
            .get("From")
            .and_then(twilio::client_identity)
            .and_then(|a| a.parse().ok())
            .ok_or("From is not a client: identity")?;
        if dialed.is_empty() || dialed.len() > 64 {
            return Err("To missing or over 64 characters");
        }
        let from = caller_id.clone().unwrap_or_else(no_caller_id);
        let country = form
            .get("Country")
            .map(str::trim)
            .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()))
            .map(|c| c.to_ascii_uppercase());
        let address = form
            .get("Address")
            .map(str::trim)
            .filter(|a| !a.is_empty() && a.len() <= 500)
            .map(String::from);
        let location =
            (country.is_some() || address.is_some()).then_some(lifeline_domain::call::Location {
                country,
                address,
                lat: None,
                lon: None,
                ..Default::default()
            });
        Ok(OutboundDial {
            call_id,
            agent_id,
            dialed: dialed.clone(),
            from,
            location,
            registered_location: false,
            timestamp: None,
        })
    })()
    .map_err(String::from);
    OutboundRequest {
        dialed,
        caller_id,
        dial,
    }
}

/// The stand-in `from` of a dial whose caller ID is not known.
pub fn no_caller_id() -> E164 {
    E164::unknown()
}

/// The TwiML for the core's dial answer: an emergency goes to the number to
/// place, from the leased caller ID, never recorded, its end reported to
/// `status_url`; anything else is dialed as asked with the normal caller ID.
/// The [`NO_CALLER_ID`] stand-in is never presented.
pub fn outbound_twiml(
    answer: &OutboundAnswer,
    request: &OutboundRequest,
    status_url: &str,
) -> String {
    match answer {
        OutboundAnswer::Emergency {
            emergency_number,
            caller_id,
            ..
        } => twilio::dial_number(
            emergency_number,
            Some(caller_id.as_str()).filter(|c| *c != NO_CALLER_ID),
            Some(status_url),
            true,
        ),
        OutboundAnswer::Continue { .. } => ordinary_twiml(request),
    }
}

fn ordinary_twiml(request: &OutboundRequest) -> String {
    twilio::dial_number(
        &request.dialed,
        request.caller_id.as_ref().map(E164::as_str),
        None,
        false,
    )
}

/// Failing open: an emergency-looking dial is placed as dialed with whatever
/// caller ID there is; anything else is dialed as asked.
pub fn fail_open_twiml(request: &OutboundRequest, prefix: &OutsideLinePrefix) -> String {
    match emergency_digits_anywhere(&request.dialed, prefix) {
        Some(number) => twilio::dial_number(
            number,
            request.caller_id.as_ref().map(E164::as_str),
            None,
            true,
        ),
        None => ordinary_twiml(request),
    }
}

/// Who to ring for a callback, in order: the agent, then the fallbacks.
pub fn callback_targets(answer: &InboundAnswer) -> Vec<String> {
    match answer {
        InboundAnswer::ConnectAgent {
            agent_id, fallback, ..
        } => std::iter::once(agent_id.clone())
            .chain(fallback.iter().cloned())
            .collect(),
        InboundAnswer::Continue {} => vec![],
    }
}

/// The TaskRouter task of a callback under Flex: the agent's worker
/// (`contact_uri` `client:<agent>`), marked as an emergency callback.
pub fn callback_task(agent_id: &str, call_sid: &str, from: &str) -> String {
    serde_json::json!({
        "type": "emergency_callback",
        "name": from,
        "from": from,
        "call_sid": call_sid,
        "targetWorker": format!("client:{agent_id}"),
        "agentId": agent_id,
        "priority": "emergency",
        "bypass": ["routing_rules", "capacity", "presence"],
    })
    .to_string()
}

/// The TaskRouter task of a callback for the last resort's workflow: no
/// target worker (the workflow routes it), marked as an emergency callback.
pub fn last_resort_task(call_sid: &str, from: &str) -> String {
    serde_json::json!({
        "type": "emergency_callback",
        "name": from,
        "from": from,
        "call_sid": call_sid,
        "priority": "emergency",
        "lastResort": true,
    })
    .to_string()
}

/// Where a call to `/twilio/inbound` is in its flow, from the query string
/// that each leg's `action` URL carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundStep {
    /// Twilio's first request for the call (`attempt` absent or 0).
    First,
    /// Target `n` of the lease (0 the agent, then the fallbacks) is next:
    /// `?attempt=n`, the previous one's leg having ended.
    Target(usize),
    /// Round `k` (from 1) of the last resort ended: `?last=k`.
    LastResort(u32),
}

impl InboundStep {
    fn of(query: Option<&str>) -> Self {
        let param = |name: &str| {
            query?.split('&').find_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                (k == name).then_some(v)
            })
        };
        if let Some(k) = param("last").and_then(|k| k.parse::<u32>().ok()) {
            return InboundStep::LastResort(k.max(1));
        }
        match param("attempt").and_then(|a| a.parse::<usize>().ok()) {
            Some(n) if n > 0 => InboundStep::Target(n),
            _ => InboundStep::First,
        }
    }
}

/// Whether the leg whose `action` this is got through to someone (or the
/// caller is gone): `<Dial>` answered, or `<Enqueue>` bridged to a worker.
pub fn leg_answered(form: &Form) -> bool {
    matches!(form.get("DialCallStatus"), Some("completed" | "answered"))
        || matches!(
            form.get("QueueResult"),
            Some("bridged" | "bridging-in-process" | "redirected-from-bridged" | "hangup")
        )
        || form.get("CallStatus") == Some("completed")
}

/// What a called number is to Lifeline when no live lease routes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberState {
    /// Nobody holds it and its quarantine is over (or it is not a pool number).
    Free,
    /// Leased or in quarantine: a call to it is an emergency service's callback.
    Held,
    /// The lookup failed: treated as held (the callback-safe answer).
    Unknown,
}

pub struct TwilioAdapter<S> {
    dial: DialService<S>,
    callback: CallbackService<S>,
    end: EndService<S>,
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    settings: Arc<Settings>,
    prefix: OutsideLinePrefix,
    twilio: TwilioConfig,
}

impl<S: DialStore + CallbackStore + EndStore + 'static> TwilioAdapter<S> {
    pub fn new(
        store: Arc<S>,
        clock: Arc<dyn Clock>,
        config: Arc<Config>,
        twilio: TwilioConfig,
    ) -> Self {
        TwilioAdapter {
            prefix: config.settings.outside_line_prefix.clone(),
            dial: DialService::new(store.clone(), clock.clone(), config.settings.clone()),
            callback: CallbackService::new(store.clone(), clock.clone(), config.settings.clone()),
            end: EndService::new(store.clone(), clock.clone(), config.settings.clone()),
            store,
            clock,
            settings: config.settings.clone(),
            twilio,
        }
    }

    /// Hands emergency calls the table cannot take in time to `outbox`.
    pub fn with_outbox(mut self, outbox: Arc<dyn lifeline_app::ports::CallOutbox>) -> Self {
        self.dial = self.dial.with_outbox(outbox);
        self
    }

    /// The full URL Twilio requested, as it signed it.
    fn signed_url(&self, req: &Request) -> String {
        let uri = req.uri();
        match uri.query() {
            Some(q) if !q.is_empty() => self.twilio.url(&format!("{}?{q}", uri.path())),
            _ => self.twilio.url(uri.path()),
        }
    }

    fn verify(&self, req: &Request, form: &Form) -> Result<(), twilio::TwilioSignatureError> {
        let header = req
            .headers()
            .get(twilio::SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok());
        twilio::verify(&self.twilio.auth_token, &self.signed_url(req), form, header)
    }

    async fn outbound(&self, req: &Request, form: &Form) -> Response<Body> {
        let mut request = outbound_request(form, self.twilio.caller_id.as_ref());
        if let Err(e) = self.verify(req, form) {
            if emergency_digits_anywhere(&request.dialed, &self.prefix).is_some() {
                tracing::error!(reason = %e, "emergency dial with a bad Twilio signature: placed, nothing recorded (check the auth token and LIFELINE_TWILIO_PUBLIC_URL)");
                return twiml(fail_open_twiml(&request, &self.prefix));
            }
            return refused(req, e);
        }
        let dial = match &request.dial {
            Ok(d) => d.clone(),
            Err(reason) => {
                tracing::warn!(%reason, "Twilio dial without what Lifeline needs; failing open");
                return twiml(fail_open_twiml(&request, &self.prefix));
            }
        };
        // No CallerId and none configured: an emergency dial takes the
        // agent's own number from the profile (one more read, on this rare
        // path only). Without it the core still runs (a callback number is
        // a caller ID Twilio accepts), and its failure path records the call.
        let needs_own_number = request.caller_id.is_none()
            && emergency_digits_anywhere(&request.dialed, &self.prefix).is_some();
        let own_number = Arc::new(OnceLock::<E164>::new());
        let lookup_budget = self.settings.dial_attempt();
        // On its own task: a panic below fails open too.
        let service = self.dial.clone();
        let store = self.store.clone();
        let found = own_number.clone();
        let work = tokio::spawn(async move {
            let mut dial = dial;
            if needs_own_number {
                match own_number_of(store.as_ref(), &dial, lookup_budget).await {
                    Some(number) => {
                        dial.from = number.clone();
                        let _ = found.set(number);
                    }
                    None => {
                        tracing::error!(call_id = %dial.call_id, agent_id = %dial.agent_id,
                            "emergency dial with no caller ID: no CallerId, no LIFELINE_TWILIO_CALLER_ID and no agent profile; the core runs without one");
                    }
                }
            }
            service.dial(dial).await
        });
        let budget = ANSWER_BUDGET
            + if needs_own_number {
                lookup_budget
            } else {
                Duration::ZERO
            };
        let outcome = tokio::time::timeout(budget, work).await;
        if let Some(number) = own_number.get() {
            request.caller_id = Some(number.clone());
        }
        match outcome {
            Ok(Ok(answer)) => twiml(outbound_twiml(
                &answer,
                &request,
                &self.twilio.url("/twilio/status"),
            )),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "Twilio dial failed; failing open");
                twiml(fail_open_twiml(&request, &self.prefix))
            }
            Err(_) => {
                tracing::error!("Twilio dial over its budget; failing open");
                twiml(fail_open_twiml(&request, &self.prefix))
            }
        }
    }

    /// A call to a callback number, and each of its legs' `action`: the
    /// agent, then the lease's fallbacks (re-checking the lease each time),
    /// then the last resort. Never `<Reject>`; every leg rings for a bounded time.
    async fn inbound(&self, req: &Request, form: &Form) -> Response<Body> {
        if let Err(e) = self.verify(req, form) {
            return refused(req, e);
        }
        let step = InboundStep::of(req.uri().query());
        if step != InboundStep::First && leg_answered(form) {
            return twiml(twilio::hangup());
        }
        let attempt = match step {
            InboundStep::LastResort(round) => {
                return twiml(self.last_resort(form, round.saturating_add(1), false))
            }
            InboundStep::Target(n) => n,
            InboundStep::First => 0,
        };
        let to = form.get("To").and_then(|t| t.parse::<E164>().ok());
        let call = form
            .get("CallSid")
            .and_then(|c| c.parse::<CallId>().ok())
            .zip(to.clone())
            .map(|(call_id, to)| InboundCall {
                call_id,
                to,
                from: form.get("From").and_then(|f| f.parse().ok()),
                sip_priority: None,
            });
        let answer = match call {
            Some(call) => tokio::time::timeout(ANSWER_BUDGET, self.callback.route(call))
                .await
                .unwrap_or(InboundAnswer::Continue {}),
            None => InboundAnswer::Continue {},
        };
        let targets = callback_targets(&answer);
        if let Some(target) = targets.get(attempt) {
            return twiml(self.ring(form, target, attempt));
        }
        if !targets.is_empty() {
            tracing::warn!(
                call_sid = form.get("CallSid").unwrap_or_default(),
                rang = targets.len(),
                "callback unanswered by the agent and the fallbacks: to the last resort"
            );
            return twiml(self.last_resort(form, 1, true));
        }
        // No live lease routes it: the tenant's handler for a free number,
        // the last resort for one that is held, in quarantine or unknown.
        match (
            self.number_state(to.as_ref()).await,
            &self.twilio.continue_url,
        ) {
            (NumberState::Free, Some(url)) => twiml(twilio::redirect(url)),
            (state, _) => {
                tracing::warn!(
                    call_sid = form.get("CallSid").unwrap_or_default(),
                    ?state,
                    "call to a number without a live lease: to the last resort"
                );
                twiml(self.last_resort(form, 1, true))
            }
        }
    }

    /// Ring one target of the lease: a `<Client>` (a TaskRouter task under
    /// Flex) or an E.164 number, for a bounded time, then `attempt + 1`.
    fn ring(&self, form: &Form, target: &str, attempt: usize) -> String {
        let next = self
            .twilio
            .url(&format!("/twilio/inbound?attempt={}", attempt + 1));
        match &self.twilio.flex_workflow_sid {
            Some(workflow) if !target.starts_with('+') => {
                let task = callback_task(
                    target,
                    form.get("CallSid").unwrap_or_default(),
                    form.get("From").unwrap_or_default(),
                );
                twilio::enqueue_task(
                    workflow,
                    &task,
                    CALLBACK_TASK_PRIORITY,
                    self.twilio.task_seconds(),
                    Some(&next),
                )
            }
            _ => twilio::dial_clients(&[target], self.twilio.ring_seconds, Some(&next)),
        }
    }

    /// Round `round` of the last resort (a short message first when
    /// `announce`); after [`LAST_RESORT_ROUNDS`], a message and the end.
    fn last_resort(&self, form: &Form, round: u32, announce: bool) -> String {
        if round > LAST_RESORT_ROUNDS {
            tracing::error!(
                call_sid = form.get("CallSid").unwrap_or_default(),
                "callback unanswered by the last resort too: ended"
            );
            return twilio::document(&[twilio::say_verb(NOBODY_MESSAGE), twilio::hangup_verb()]);
        }
        let next = self.twilio.url(&format!("/twilio/inbound?last={round}"));
        let leg = match &self.twilio.last_resort {
            LastResort::Number(number) => {
                twilio::dial_clients_verb(&[number.as_str()], self.twilio.ring_seconds, Some(&next))
            }
            LastResort::Workflow(workflow) => twilio::enqueue_task_verb(
                workflow,
                &last_resort_task(
                    form.get("CallSid").unwrap_or_default(),
                    form.get("From").unwrap_or_default(),
                ),
                CALLBACK_TASK_PRIORITY,
                self.twilio.task_seconds(),
                Some(&next),
            ),
        };
        let verbs = if announce {
            vec![twilio::say_verb(HOLD_MESSAGE), leg]
        } else {
            vec![leg]
        };
        twilio::document(&verbs)
    }

    /// Whether a number without a live lease is free, held (in quarantine)
    /// or unknown: one read, bounded.
    async fn number_state(&self, to: Option<&E164>) -> NumberState {
        let Some(to) = to else {
            return NumberState::Unknown;
        };
        match tokio::time::timeout(NUMBER_LOOKUP_BUDGET, self.store.lease_for_number(to)).await {
            Ok(Ok(Some(lease))) if self.clock.now() < self.settings.lease.available_at(&lease) => {
                NumberState::Held
            }
            Ok(Ok(_)) => NumberState::Free,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "callback number lookup failed");
                NumberState::Unknown
            }
            Err(_) => {
                tracing::error!("callback number lookup over its budget");
                NumberState::Unknown
            }
        }
    }

    /// An emergency call's `<Dial action>` (or a status callback): the call is
    /// over when the dial ended or the call completed; ending is idempotent.
    async fn status(&self, req: &Request, form: &Form) -> Response<Body> {
        if let Err(e) = self.verify(req, form) {
            return refused(req, e);
        }
        let over = form.get("DialCallStatus").is_some()
            || matches!(
                form.get("CallStatus"),
                Some("completed" | "busy" | "failed" | "no-answer" | "canceled")
            );
        let ids = form
            .get("CallSid")
            .and_then(|c| c.parse::<CallId>().ok())
            .zip(
                form.get("From")
                    .and_then(twilio::client_identity)
                    .and_then(|a| a.parse::<AgentId>().ok()),
            );
        let (true, Some((call_id, agent_id))) = (over, ids) else {
            return twiml(twilio::hangup());
        };
        let ended = CallEnded {
            call_id,
            agent_id,
            timestamp: None,
        };
        match self.end.end(ended).await {
            Ok(_) | Err(EndCallError::UnknownCall(_)) => twiml(twilio::hangup()),
            Err(e @ EndCallError::WrongAgent { .. }) => {
                tracing::warn!(error = %e, "Twilio status names another agent; ignored");
                twiml(twilio::hangup())
            }
            Err(e) => {
                // Twilio logs it (no retry by default): the call stays active
                // until LIFELINE_ACTIVE_CALL_LIMIT_MINUTES, so the window only grows.
                tracing::error!(error = %e, "call end not recorded");
                problem(&Problem::unavailable())
            }
        }
    }
}

/// The agent's own number from their profile, read within `budget`; `None`
/// when there is no profile or it cannot be read in time.
async fn own_number_of<S: DialStore>(
    store: &S,
    dial: &OutboundDial,
    budget: Duration,
) -> Option<E164> {
    match tokio::time::timeout(budget, store.dial_context(&dial.call_id, &dial.agent_id)).await {
        Ok(Ok(ctx)) => ctx.agent.map(|a| a.source_number),
        Ok(Err(e)) => {
            tracing::error!(call_id = %dial.call_id, error = %e, "agent profile not read for the caller ID");
            None
        }
        Err(_) => {
            tracing::error!(call_id = %dial.call_id, "agent profile not read for the caller ID in time");
            None
        }
    }
}

#[async_trait::async_trait]
impl<S: DialStore + CallbackStore + EndStore + 'static> lifeline_edge::http::WebhookHandler
    for TwilioAdapter<S>
{
    async fn handle(&self, req: Request) -> Response<Body> {
        if req.method() != lambda_http::http::Method::POST {
            return problem(&Problem::new(
                405,
                "method-not-allowed",
                "Method not allowed",
                "use POST",
            ));
        }
        let form = match Form::parse(body_bytes(&req)) {
            Ok(f) => f,
            Err(p) => {
                // Even an unreadable dial of an emergency number is placed.
                if req.uri().path().ends_with("/twilio/outbound") {
                    let lossy = String::from_utf8_lossy(body_bytes(&req)).to_string();
                    if let Some(number) = lossy
                        .split('&')
                        .find_map(|kv| kv.strip_prefix("To="))
                        .and_then(|to| emergency_digits_anywhere(to, &self.prefix))
                    {
                        tracing::error!("unreadable Twilio dial of an emergency number: placed");
                        return twiml(twilio::dial_number(number, None, None, true));
                    }
                }
                return problem(&p);
            }
        };
        match req.uri().path() {
            p if p.ends_with("/twilio/outbound") => self.outbound(&req, &form).await,
            p if p.ends_with("/twilio/inbound") => self.inbound(&req, &form).await,
            p if p.ends_with("/twilio/status") => self.status(&req, &form).await,
            p => problem(&Problem::new(
                404,
                "not-found",
                "Not found",
                format!("no route {p}"),
            )),
        }
    }
}

fn twiml(document: String) -> Response<Body> {
    Response::builder()
        .status(200)
        .header("content-type", twilio::CONTENT_TYPE)
        .body(Body::Text(document))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

fn refused(req: &Request, e: twilio::TwilioSignatureError) -> Response<Body> {
    tracing::warn!(reason = %e, path = %req.uri().path(), "Twilio webhook refused: bad signature");
    problem(&Problem::unauthorized(e))
}

#[cfg(test)]
mod tests;
