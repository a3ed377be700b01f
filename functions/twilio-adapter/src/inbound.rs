//! `POST /twilio/inbound`, each callback number's Voice URL: a call to a
//! callback number, and the `<Dial action>`/`<Enqueue action>` of each of
//! its legs. Never rejected: the agent, then the lease's fallbacks, then the
//! configured last resort answer it, each ringing for a bounded time.

use lambda_http::{Body, Request, Response};
use lifeline_app::ports::{CallbackStore, DialStore, EndStore, OutboxStore};
use lifeline_domain::call::{InboundAnswer, InboundCall};
use lifeline_domain::types::{CallId, E164};
use std::time::Duration;

use crate::adapter::{refused, twiml, TwilioAdapter, ANSWER_BUDGET};
use crate::config::LastResort;
use crate::twilio::{self, Form};

/// TaskRouter priority of an emergency callback's task (higher goes first).
pub const CALLBACK_TASK_PRIORITY: u32 = 1000;
/// How many times the last resort is tried before the call is ended.
pub const LAST_RESORT_ROUNDS: u32 = 3;
/// Said before a callback goes to the last resort.
pub const HOLD_MESSAGE: &str = "Please hold while we connect you.";
/// Said when even the last resort did not answer, before hanging up.
pub const NOBODY_MESSAGE: &str =
    "Nobody could be reached at this number. Please call again or use another number.";
/// How long the number's state is looked up for, when it has no live lease.
const NUMBER_LOOKUP_BUDGET: Duration = Duration::from_secs(1);

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

impl<S: DialStore + CallbackStore + EndStore + OutboxStore + 'static> TwilioAdapter<S> {
    /// A call to a callback number, and each of its legs' `action`: the
    /// agent, then the lease's fallbacks (re-checking the lease each time),
    /// then the last resort. Never `<Reject>`; every leg rings for a bounded time.
    pub(crate) async fn inbound(&self, req: &Request, form: &Form) -> Response<Body> {
        if let Err(e) = self.verify(req, form) {
            return refused(req, e);
        }
        let base = self.base(req);
        let step = InboundStep::of(req.uri().query());
        if step != InboundStep::First && leg_answered(form) {
            return twiml(twilio::hangup());
        }
        let attempt = match step {
            InboundStep::LastResort(round) => {
                return twiml(self.last_resort(&base, form, round.saturating_add(1), false))
            }
            InboundStep::Target(n) => n,
            InboundStep::First => 0,
        };
        let to = form.get("To").and_then(|t| t.parse::<E164>().ok());
        let targets = callback_targets(&self.route(form, to.as_ref()).await);
        if let Some(target) = targets.get(attempt) {
            return twiml(self.ring(&base, form, target, attempt));
        }
        if !targets.is_empty() {
            tracing::warn!(
                call_sid = form.get("CallSid").unwrap_or_default(),
                rang = targets.len(),
                "callback unanswered by the agent and the fallbacks: to the last resort"
            );
            return twiml(self.last_resort(&base, form, 1, true));
        }
        twiml(self.without_live_lease(&base, form, to.as_ref()).await)
    }

    /// The core's callback answer for the call (re-read on every leg, so a
    /// lease that ended meanwhile is seen), within the answer budget.
    async fn route(&self, form: &Form, to: Option<&E164>) -> InboundAnswer {
        let call = form
            .get("CallSid")
            .and_then(|c| c.parse::<CallId>().ok())
            .zip(to.cloned())
            .map(|(call_id, to)| InboundCall {
                call_id,
                to,
                from: form.get("From").and_then(|f| f.parse().ok()),
                sip_priority: None,
            });
        match call {
            Some(call) => tokio::time::timeout(ANSWER_BUDGET, self.callback.route(call))
                .await
                .unwrap_or(InboundAnswer::Continue {}),
            None => InboundAnswer::Continue {},
        }
    }

    /// No live lease routes the call: the tenant's handler for a free
    /// number, the last resort for one that is held, in quarantine or unknown.
    async fn without_live_lease(&self, base: &str, form: &Form, to: Option<&E164>) -> String {
        match (self.number_state(to).await, &self.twilio.continue_url) {
            (NumberState::Free, Some(url)) => twilio::redirect(url),
            (state, _) => {
                tracing::warn!(
                    call_sid = form.get("CallSid").unwrap_or_default(),
                    ?state,
                    "call to a number without a live lease: to the last resort"
                );
                self.last_resort(base, form, 1, true)
            }
        }
    }

    /// Ring one target of the lease: a `<Client>` (a TaskRouter task under
    /// Flex) or an E.164 number, for a bounded time, then `attempt + 1`.
    fn ring(&self, base: &str, form: &Form, target: &str, attempt: usize) -> String {
        let next = format!("{base}/twilio/inbound?attempt={}", attempt + 1);
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
    fn last_resort(&self, base: &str, form: &Form, round: u32, announce: bool) -> String {
        if round > LAST_RESORT_ROUNDS {
            tracing::error!(
                call_sid = form.get("CallSid").unwrap_or_default(),
                "callback unanswered by the last resort too: ended"
            );
            return twilio::document(&[twilio::say_verb(NOBODY_MESSAGE), twilio::hangup_verb()]);
        }
        let next = format!("{base}/twilio/inbound?last={round}");
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
}
