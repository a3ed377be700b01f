//! `connect-adapter`: Amazon Connect onto Lifeline's core. Contact flows
//! invoke it synchronously (an outbound whisper flow before an agent's call is
//! placed, the inbound flow of the callback numbers) and read its answer as
//! `$.External.*`; an EventBridge rule sends it `DISCONNECTED` contact events.
//! A thin translation: the same dial, callback and end services as the
//! webhooks. It fails open: whatever goes wrong, an emergency dial is answered
//! so that the flow places it.

use aws_lambda_events::event::connect::ConnectEvent;
use lifeline_app::clock::Clock;
use lifeline_app::ports::{CallbackStore, DialStore, EndStore};
use lifeline_app::service::callback::CallbackService;
use lifeline_app::service::dial::DialService;
use lifeline_app::service::ended::{EndCallError, EndOutcome, EndService};
use lifeline_domain::call::{
    CallEnded, InboundAnswer, InboundCall, Location, OutboundAnswer, OutboundDial,
};
use lifeline_domain::numbers::{
    emergency_digits_anywhere, short_code_from_e164, OutsideLinePrefix,
};
use lifeline_domain::types::{AgentId, E164};
use lifeline_edge::config::Config;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Connect waits at most 8 s for a flow's Lambda; Lifeline answers well inside
/// (the dial's own budget is 2.5 s by default; this bounds everything else).
pub const ANSWER_BUDGET: Duration = Duration::from_secs(3);

/// The flat string map a flow reads as `$.External.<key>`.
pub type Attributes = BTreeMap<String, String>;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Retried by Lambda's asynchronous invocation (then its DLQ).
    #[error("call end not recorded: {0}")]
    EndNotRecorded(String),
    #[error("unrecognised event: {0}")]
    Unrecognised(String),
}

/// Which flow invoked the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    OutboundWhisper,
    Inbound,
}

/// A contact flow's invocation, translated for the core.
#[derive(Debug, Clone, PartialEq)]
pub enum FlowRequest {
    Outbound(OutboundDial),
    Inbound(InboundCall),
    /// The event lacks what the core needs: answered without the core.
    Unusable {
        flow: Flow,
        /// The dialed number as Connect gave it, when there is one.
        dialed: Option<String>,
        /// The outbound caller ID Connect would use anyway.
        caller_id: Option<String>,
        reason: String,
    },
}

/// The user id in an agent ARN (`…:instance/<id>/agent/<user id>`), or the
/// value itself when it is already an id.
pub fn agent_from_param(value: &str) -> Option<AgentId> {
    let id = match value.rsplit_once("/agent/") {
        Some((_, id)) => id,
        None => value,
    };
    id.trim().parse().ok()
}

fn non_empty(v: Option<&String>) -> Option<&str> {
    v.map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// Which flow: the `flow` parameter the flows pass, else the contact's
/// initiation method.
pub fn flow_of(event: &ConnectEvent) -> Flow {
    match non_empty(event.details.parameters.get("flow")) {
        Some(f) if f.eq_ignore_ascii_case("outbound") => Flow::OutboundWhisper,
        Some(f) if f.eq_ignore_ascii_case("inbound") => Flow::Inbound,
        _ => match event.details.contact_data.initiation_method.as_deref() {
            Some("OUTBOUND") => Flow::OutboundWhisper,
            _ => Flow::Inbound,
        },
    }
}

/// Translates a flow invocation (pure).
pub fn parse_flow(event: &ConnectEvent) -> FlowRequest {
    let data = &event.details.contact_data;
    let params = &event.details.parameters;
    let customer = data.customer_endpoint.address.clone();
    let system = data.system_endpoint.address.clone();
    let call_id = data.contact_id.as_deref().and_then(|c| c.parse().ok());
    match flow_of(event) {
        Flow::OutboundWhisper => {
            let unusable = |reason: &str| FlowRequest::Unusable {
                flow: Flow::OutboundWhisper,
                dialed: customer.clone(),
                caller_id: system.clone(),
                reason: reason.into(),
            };
            let Some(call_id) = call_id else {
                return unusable("ContactData.ContactId missing or invalid");
            };
            let Some(agent_id) = non_empty(params.get("agent")).and_then(agent_from_param) else {
                return unusable("Parameters.agent missing or invalid");
            };
            let Some(dialed) = customer.as_deref().filter(|d| !d.trim().is_empty()) else {
                return unusable("CustomerEndpoint.Address missing");
            };
            let Some(from) = system.as_deref().and_then(|s| s.parse::<E164>().ok()) else {
                return unusable("SystemEndpoint.Address missing or not E.164");
            };
            // The CCP formats what the agent keys as E.164: `+1911` is 911.
            let dialed = short_code_from_e164(dialed).unwrap_or_else(|| dialed.to_string());
            FlowRequest::Outbound(OutboundDial {
                call_id,
                agent_id,
                dialed,
                from,
                location: location_from(params),
                registered_location: false,
                timestamp: None,
            })
        }
        Flow::Inbound => {
            let to = system.as_deref().and_then(|s| s.parse::<E164>().ok());
            match (call_id, to) {
                (Some(call_id), Some(to)) => FlowRequest::Inbound(InboundCall {
                    call_id,
                    to,
                    from: customer.as_deref().and_then(|c| c.parse().ok()),
                    sip_priority: None,
                }),
                _ => FlowRequest::Unusable {
                    flow: Flow::Inbound,
                    dialed: None,
                    caller_id: None,
                    reason: "ContactId or SystemEndpoint.Address missing or invalid".into(),
                },
            }
        }
    }
}

/// The desktop's location, when the flow passes it (contact attributes set
/// by a custom CCP); otherwise the core uses the agent profile's country.
fn location_from(params: &std::collections::HashMap<String, String>) -> Option<Location> {
    let country = non_empty(params.get("country"))
        .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(|c| c.to_ascii_uppercase());
    let address = non_empty(params.get("address"))
        .filter(|a| a.len() <= 500)
        .map(String::from);
    (country.is_some() || address.is_some()).then_some(Location {
        country,
        address,
        lat: None,
        lon: None,
        ..Default::default()
    })
}

fn attrs<const N: usize>(pairs: [(&str, String); N]) -> Attributes {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The core's dial answer as the outbound whisper flow reads it.
pub fn outbound_attributes(answer: &OutboundAnswer) -> Attributes {
    match answer {
        OutboundAnswer::Emergency {
            emergency_number,
            test,
            caller_id,
            callback_expires_at,
            degraded,
            reason,
            location,
            ..
        } => {
            let mut a = attrs([
                ("lifelineAction", "emergency".into()),
                ("callerIdNumber", caller_id.clone()),
                ("recording", "off".into()),
                ("emergencyNumber", emergency_number.clone()),
                ("degraded", degraded.to_string()),
                ("test", test.to_string()),
            ]);
            if let Some(t) = callback_expires_at {
                a.insert("callbackExpiresAt".into(), t.clone());
            }
            if let Some(r) = reason {
                a.insert("reason".into(), r.to_string());
            }
            // How good the location is, for the flow to prompt for a better
            // one (the PIDF-LO itself is for SIP, not contact attributes).
            if let Some(l) = location {
                a.insert("locationQuality".into(), l.location_quality.as_str().into());
                if let Some(source) = l.location_source {
                    a.insert("locationSource".into(), source.as_str().into());
                }
            }
            a
        }
        OutboundAnswer::Continue { reason } => {
            let mut a = attrs([("lifelineAction", "continue".into())]);
            if let Some(r) = reason {
                a.insert("reason".into(), (*r).to_string());
            }
            a
        }
    }
}

/// Failing open: an emergency-looking dial is placed with the caller ID
/// Connect would present anyway (the agent's own outbound number), degraded.
pub fn fail_open_outbound(
    dialed: Option<&str>,
    caller_id: Option<&str>,
    prefix: &OutsideLinePrefix,
    reason: &str,
) -> Attributes {
    let dialed = dialed.map(|d| short_code_from_e164(d).unwrap_or_else(|| d.to_string()));
    match dialed
        .as_deref()
        .and_then(|d| emergency_digits_anywhere(d, prefix))
    {
        Some(number) => attrs([
            ("lifelineAction", "emergency".into()),
            ("callerIdNumber", caller_id.unwrap_or_default().to_string()),
            ("recording", "off".into()),
            ("emergencyNumber", number.to_string()),
            ("degraded", "true".into()),
            ("test", (number == "933").to_string()),
            ("reason", reason.to_string()),
        ]),
        None => attrs([
            ("lifelineAction", "continue".into()),
            ("reason", reason.to_string()),
        ]),
    }
}

/// The core's callback answer as the inbound flow reads it: the agent for
/// "Set working queue" (id and, when the instance is known, ARN), the highest
/// routing priority, and the lease's fallbacks in the slots the flows try
/// after the agent ([`fallback_attributes`]).
pub fn inbound_attributes(answer: &InboundAnswer, instance_arn: Option<&str>) -> Attributes {
    match answer {
        InboundAnswer::ConnectAgent {
            agent_id, fallback, ..
        } => {
            let instance = instance_arn.filter(|i| i.contains(":instance/"));
            let mut a = attrs([
                ("lifelineAction", "connect_agent".into()),
                ("agentId", agent_id.clone()),
                ("queuePriority", "1".into()),
                ("recording", "off".into()),
            ]);
            if let Some(instance) = instance {
                a.insert("agentArn".into(), format!("{instance}/agent/{agent_id}"));
            }
            let (targets, _) = connect_fallbacks(agent_id, fallback, instance);
            a.extend(fallback_attributes(&targets));
            a
        }
        InboundAnswer::Continue {} => attrs([("lifelineAction", "continue".into())]),
    }
}

/// How many of the lease's fallbacks the flows try, in order, after the
/// agent: `lifelineFallback1` … `lifelineFallback3`.
pub const FALLBACK_SLOTS: usize = 3;

/// The value of an empty slot (a flow attribute is never left out: "Set
/// contact attributes" sets all of its attributes or none).
pub const NO_FALLBACK: &str = "none";

/// A lease fallback as an Amazon Connect flow can reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectFallback {
    /// An external number: *Transfer to phone number*, a bounded ring.
    Phone(E164),
    /// A Connect user (Lifeline's agent id is the user id): the agent's
    /// queue, as an ARN when the instance is known, else the user id.
    Agent(String),
    /// A Connect queue, as its ARN.
    Queue(String),
}

impl ConnectFallback {
    /// `lifelineFallback<n>Kind`, which the flows branch on.
    pub fn kind(&self) -> &'static str {
        match self {
            ConnectFallback::Phone(_) => "phone",
            ConnectFallback::Agent(_) => "agent",
            ConnectFallback::Queue(_) => "queue",
        }
    }

    /// `lifelineFallback<n>`: what the flow transfers to.
    pub fn value(&self) -> &str {
        match self {
            ConnectFallback::Phone(n) => n.as_str(),
            ConnectFallback::Agent(a) | ConnectFallback::Queue(a) => a,
        }
    }
}

fn is_connect_id(s: &str) -> bool {
    s.len() == 36 && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// One lease fallback target (as `lifeline agent put --fallback` or
/// `LIFELINE_CALLBACK_FALLBACK` gives it) for Connect: an E.164 number; a
/// Connect queue or agent ARN; `queue:<queue id or ARN>`; or an agent id
/// (`agent:`/`client:` prefixes allowed). `None` when a flow cannot use it
/// (a queue by name, a malformed number).
pub fn connect_fallback(target: &str, instance_arn: Option<&str>) -> Option<ConnectFallback> {
    let target = target.trim();
    let connect_arn = |arn: &str| -> Option<ConnectFallback> {
        let (_, rest) = arn.split_once(":connect:")?;
        if rest.contains("/queue/") {
            Some(ConnectFallback::Queue(arn.to_string()))
        } else if rest.contains("/agent/") {
            Some(ConnectFallback::Agent(arn.to_string()))
        } else {
            None
        }
    };
    let agent = |id: &str| -> Option<ConnectFallback> {
        let id: AgentId = id.trim().parse().ok()?;
        Some(ConnectFallback::Agent(match instance_arn {
            Some(instance) => format!("{instance}/agent/{id}"),
            None => id.to_string(),
        }))
    };
    if target.starts_with('+') {
        return target.parse().ok().map(ConnectFallback::Phone);
    }
    if target.starts_with("arn:") {
        return connect_arn(target);
    }
    if let Some(queue) = target.strip_prefix("queue:").map(str::trim) {
        return match (queue.starts_with("arn:"), instance_arn) {
            (true, _) => connect_arn(queue).filter(|q| matches!(q, ConnectFallback::Queue(_))),
            (false, Some(instance)) if is_connect_id(queue) => {
                Some(ConnectFallback::Queue(format!("{instance}/queue/{queue}")))
            }
            // A queue name: the flow language takes ids and ARNs only.
            _ => None,
        };
    }
    let id = target
        .strip_prefix("agent:")
        .or_else(|| target.strip_prefix("client:"))
        .unwrap_or(target);
    agent(id)
}

/// The lease's fallbacks a Connect flow can use, in order, without the
/// agent itself or repeats, at most [`FALLBACK_SLOTS`]; and how many targets
/// were left out because a flow cannot reach them.
pub fn connect_fallbacks(
    agent_id: &str,
    targets: &[String],
    instance_arn: Option<&str>,
) -> (Vec<ConnectFallback>, usize) {
    let own = connect_fallback(agent_id, instance_arn);
    let mut usable: Vec<ConnectFallback> = vec![];
    let mut unusable = 0;
    for target in targets {
        match connect_fallback(target, instance_arn) {
            Some(f) if Some(&f) == own.as_ref() || usable.contains(&f) => {}
            Some(f) => usable.push(f),
            None => unusable += 1,
        }
    }
    usable.truncate(FALLBACK_SLOTS);
    (usable, unusable)
}

/// `lifelineFallback<n>` and `lifelineFallback<n>Kind` for every slot: the
/// target and `phone` · `agent` · `queue`, or [`NO_FALLBACK`] twice.
pub fn fallback_attributes(targets: &[ConnectFallback]) -> Attributes {
    let mut a = Attributes::new();
    for slot in 1..=FALLBACK_SLOTS {
        let (value, kind) = match targets.get(slot - 1) {
            Some(t) => (t.value().to_string(), t.kind()),
            None => (NO_FALLBACK.to_string(), NO_FALLBACK),
        };
        a.insert(format!("lifelineFallback{slot}"), value);
        a.insert(format!("lifelineFallback{slot}Kind"), kind.to_string());
    }
    a
}

/// `Amazon Connect Contact Event`'s detail, the part Lifeline reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContactEventDetail {
    event_type: String,
    contact_id: String,
    agent_info: Option<AgentInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AgentInfo {
    agent_arn: Option<String>,
}

pub struct ConnectAdapter<S> {
    dial: DialService<S>,
    callback: CallbackService<S>,
    end: EndService<S>,
    prefix: OutsideLinePrefix,
}

impl<S: DialStore + CallbackStore + EndStore + 'static> ConnectAdapter<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, config: Arc<Config>) -> Self {
        ConnectAdapter {
            prefix: config.settings.outside_line_prefix.clone(),
            dial: DialService::new(store.clone(), clock.clone(), config.settings.clone()),
            callback: CallbackService::new(store.clone(), clock.clone(), config.settings.clone()),
            end: EndService::new(store, clock, config.settings.clone()),
        }
    }

    /// Hands emergency calls the table cannot take in time to `outbox`.
    pub fn with_outbox(mut self, outbox: Arc<dyn lifeline_app::ports::CallOutbox>) -> Self {
        self.dial = self.dial.with_outbox(outbox);
        self
    }

    /// The Lambda entry: a contact flow's invocation or a contact event.
    pub async fn invoke(&self, payload: Value) -> Result<Value, ConnectError> {
        if payload.get("Details").is_some() {
            let answer = self.on_flow(payload).await;
            return Ok(json!(answer));
        }
        if payload.get("detail-type").and_then(Value::as_str)
            == Some("Amazon Connect Contact Event")
        {
            return self.on_contact_event(payload).await;
        }
        Err(ConnectError::Unrecognised(
            "neither a contact flow event (Details) nor an Amazon Connect Contact Event".into(),
        ))
    }

    /// A flow's invocation; always an answer the flow can act on.
    pub async fn on_flow(&self, payload: Value) -> Attributes {
        let request = match serde_json::from_value::<ConnectEvent>(payload.clone()) {
            Ok(event) => parse_flow(&event),
            Err(e) => FlowRequest::Unusable {
                flow: if payload
                    .pointer("/Details/Parameters/flow")
                    .and_then(Value::as_str)
                    == Some("inbound")
                {
                    Flow::Inbound
                } else {
                    Flow::OutboundWhisper
                },
                dialed: str_at(&payload, "/Details/ContactData/CustomerEndpoint/Address"),
                caller_id: str_at(&payload, "/Details/ContactData/SystemEndpoint/Address"),
                // The error's category and place only: its text may quote a value (a number).
                reason: format!("not a contact flow event ({:?} error)", e.classify()),
            },
        };
        match request {
            FlowRequest::Outbound(dial) => {
                let (dialed, from) = (dial.dialed.clone(), dial.from.to_string());
                // On its own task: a panic below fails open too.
                let service = self.dial.clone();
                let work = tokio::spawn(async move { service.dial(dial).await });
                match tokio::time::timeout(ANSWER_BUDGET, work).await {
                    Ok(Ok(answer)) => outbound_attributes(&answer),
                    Ok(Err(e)) => {
                        tracing::error!(error = %e, "outbound whisper failed; failing open");
                        fail_open_outbound(
                            Some(&dialed),
                            Some(&from),
                            &self.prefix,
                            "internal_error",
                        )
                    }
                    Err(_) => {
                        tracing::error!("outbound whisper over its budget; failing open");
                        fail_open_outbound(Some(&dialed), Some(&from), &self.prefix, "timeout")
                    }
                }
            }
            FlowRequest::Inbound(call) => {
                let instance = str_at(&payload, "/Details/ContactData/InstanceARN");
                match tokio::time::timeout(ANSWER_BUDGET, self.callback.route(call)).await {
                    Ok(answer) => {
                        log_fallbacks(&answer, instance.as_deref());
                        inbound_attributes(&answer, instance.as_deref())
                    }
                    Err(_) => {
                        tracing::error!("inbound flow over its budget; normal routing");
                        inbound_attributes(&InboundAnswer::Continue {}, None)
                    }
                }
            }
            FlowRequest::Unusable {
                flow: Flow::OutboundWhisper,
                dialed,
                caller_id,
                reason,
            } => {
                tracing::error!(%reason, "unusable outbound whisper invocation; failing open");
                fail_open_outbound(
                    dialed.as_deref(),
                    caller_id.as_deref(),
                    &self.prefix,
                    "invalid_event",
                )
            }
            FlowRequest::Unusable {
                flow: Flow::Inbound,
                reason,
                ..
            } => {
                tracing::error!(%reason, "unusable inbound flow invocation; normal routing");
                inbound_attributes(&InboundAnswer::Continue {}, None)
            }
        }
    }

    /// `DISCONNECTED`: ends the call if it is an emergency call (idempotent).
    async fn on_contact_event(&self, payload: Value) -> Result<Value, ConnectError> {
        let detail: ContactEventDetail = serde_json::from_value(
            payload.get("detail").cloned().unwrap_or_default(),
        )
        .map_err(|e| {
            ConnectError::Unrecognised(format!("contact event detail ({:?} error)", e.classify()))
        })?;
        if detail.event_type != "DISCONNECTED" {
            return Ok(json!({"ended": false, "reason": "not_a_disconnect"}));
        }
        let agent = detail
            .agent_info
            .and_then(|a| a.agent_arn)
            .as_deref()
            .and_then(agent_from_param);
        let (Ok(call_id), Some(agent_id)) = (detail.contact_id.parse(), agent) else {
            // No agent on the contact: it never reached one, so it is no agent's emergency call.
            return Ok(json!({"ended": false, "reason": "no_agent"}));
        };
        let ended = CallEnded {
            call_id,
            agent_id,
            timestamp: None,
        };
        match self.end.end(ended).await {
            Ok(EndOutcome::Ended) => Ok(json!({"ended": true})),
            Ok(EndOutcome::AlreadyEnded) => Ok(json!({"ended": true, "alreadyEnded": true})),
            Err(EndCallError::UnknownCall(_)) => {
                Ok(json!({"ended": false, "reason": "not_an_emergency_call"}))
            }
            Err(e @ EndCallError::WrongAgent { .. }) => {
                tracing::warn!(error = %e, "disconnect names another agent; ignored");
                Ok(json!({"ended": false, "reason": "wrong_agent"}))
            }
            Err(e) => Err(ConnectError::EndNotRecorded(e.to_string())),
        }
    }
}

/// How the Lambda runtime reports a failed invocation (EventBridge's
/// asynchronous invocation then retries, then the on-failure destination).
impl From<ConnectError> for lambda_runtime::Diagnostic {
    fn from(e: ConnectError) -> Self {
        let error_type = match e {
            ConnectError::EndNotRecorded(_) => "StoreUnavailable",
            ConnectError::Unrecognised(_) => "UnrecognisedEvent",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: e.to_string(),
        }
    }
}

/// What the flow will try after the agent: kinds and counts only (the
/// targets are colleagues' numbers and ids, never logged).
fn log_fallbacks(answer: &InboundAnswer, instance_arn: Option<&str>) {
    if let InboundAnswer::ConnectAgent {
        agent_id, fallback, ..
    } = answer
    {
        let instance = instance_arn.filter(|i| i.contains(":instance/"));
        let (usable, unusable) = connect_fallbacks(agent_id, fallback, instance);
        let kinds: Vec<&str> = usable.iter().map(ConnectFallback::kind).collect();
        if usable.is_empty() {
            tracing::warn!(unusable, "callback with no fallback the Connect flow can use: after the agent, the fallback queue");
        } else if unusable > 0 {
            tracing::warn!(fallbacks = %kinds.join(","), unusable,
                "some lease fallbacks are neither an E.164 number, an agent id nor a queue id or ARN; the Connect flow skips them");
        } else {
            tracing::info!(fallbacks = %kinds.join(","), "callback fallbacks for the Connect flow");
        }
    }
}

fn str_at(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer).and_then(Value::as_str).map(String::from)
}

#[cfg(test)]
mod tests;
