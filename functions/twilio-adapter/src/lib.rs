//! `twilio-adapter`: Twilio Programmable Voice (and Flex) onto Lifeline's
//! core. Three webhooks, form-encoded in, TwiML out:
//! - `POST /twilio/outbound`, the TwiML App's Voice URL: the agent's dial;
//! - `POST /twilio/inbound`, each callback number's Voice URL: a call to it;
//! - `POST /twilio/status`, the `<Dial action>` of an emergency call: its end.
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
use lifeline_domain::call::{CallEnded, InboundAnswer, InboundCall, OutboundAnswer, OutboundDial};
use lifeline_domain::numbers::{
    emergency_digits_anywhere, short_code_from_e164, OutsideLinePrefix,
};
use lifeline_domain::types::{AgentId, CallId, E164};
use lifeline_edge::config::{Config, Mode};
use lifeline_edge::http::{body_bytes, problem};
use lifeline_edge::webhook::Problem;
use std::sync::Arc;
use std::time::Duration;

/// Twilio waits 15 s for TwiML; Lifeline answers well inside (the dial's own
/// budget is 2.5 s by default; this bounds everything else).
pub const ANSWER_BUDGET: Duration = Duration::from_secs(3);
/// TaskRouter priority of an emergency callback's task (higher goes first).
pub const CALLBACK_TASK_PRIORITY: u32 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum TwilioConfigError {
    #[error("{var}: {detail}")]
    Invalid { var: &'static str, detail: String },
    #[error("{0} must be set on AWS")]
    Missing(&'static str),
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
            let well_formed = sid.len() == 34
                && sid.starts_with("WW")
                && sid[2..].bytes().all(|b| b.is_ascii_hexdigit());
            if !well_formed {
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
        Ok(TwilioConfig {
            auth_token,
            public_url,
            caller_id,
            continue_url,
            flex_workflow_sid,
            ring_seconds,
        })
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.public_url)
    }
}

/// The outbound route's request, translated (pure).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundRequest {
    /// What the agent dialed (`To`), E.164-formatted short codes undone.
    pub dialed: String,
    /// The caller ID of an ordinary call: `CallerId`, else the configured one.
    pub caller_id: Option<E164>,
    /// The canonical dial, when the request has all it needs.
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
        let from = caller_id
            .clone()
            .ok_or("no CallerId and no LIFELINE_TWILIO_CALLER_ID")?;
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
            });
        Ok(OutboundDial {
            call_id,
            agent_id,
            dialed: dialed.clone(),
            from,
            location,
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

/// The TwiML for the core's dial answer: an emergency goes to the number to
/// place, from the leased caller ID, never recorded, its end reported to
/// `status_url`; anything else is dialed as asked with the normal caller ID.
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
        } => twilio::dial_number(emergency_number, Some(caller_id), Some(status_url), true),
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

pub struct TwilioAdapter<S> {
    dial: DialService<S>,
    callback: CallbackService<S>,
    end: EndService<S>,
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
            end: EndService::new(store, clock, config.settings.clone()),
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
        let request = outbound_request(form, self.twilio.caller_id.as_ref());
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
        // On its own task: a panic below fails open too.
        let service = self.dial.clone();
        let work = tokio::spawn(async move { service.dial(dial).await });
        match tokio::time::timeout(ANSWER_BUDGET, work).await {
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

    /// A call to a callback number. Each unanswered target's `<Dial action>`
    /// comes back here with the next `attempt`, re-checking the lease.
    async fn inbound(&self, req: &Request, form: &Form) -> Response<Body> {
        if let Err(e) = self.verify(req, form) {
            return refused(req, e);
        }
        let attempt = query_param(req, "attempt")
            .and_then(|a| a.parse::<usize>().ok())
            .unwrap_or(0);
        if attempt > 0 && form.get("DialCallStatus") == Some("completed") {
            return twiml(twilio::hangup());
        }
        let call = form
            .get("CallSid")
            .and_then(|c| c.parse::<CallId>().ok())
            .zip(form.get("To").and_then(|t| t.parse::<E164>().ok()))
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
        if let (Some(agent), Some(workflow)) = (targets.first(), &self.twilio.flex_workflow_sid) {
            if attempt == 0 {
                let task = callback_task(
                    agent,
                    form.get("CallSid").unwrap_or_default(),
                    form.get("From").unwrap_or_default(),
                );
                return twiml(twilio::enqueue_task(
                    workflow,
                    &task,
                    CALLBACK_TASK_PRIORITY,
                    self.twilio.ring_seconds.saturating_mul(6),
                ));
            }
        }
        match targets.get(attempt) {
            Some(target) if self.twilio.flex_workflow_sid.is_none() => {
                let next = self
                    .twilio
                    .url(&format!("/twilio/inbound?attempt={}", attempt + 1));
                twiml(twilio::dial_clients(
                    &[target],
                    self.twilio.ring_seconds,
                    Some(&next),
                ))
            }
            _ => match &self.twilio.continue_url {
                Some(url) => twiml(twilio::redirect(url)),
                None => twiml(twilio::reject()),
            },
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

fn query_param<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.uri().query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then_some(v)
    })
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
