//! A contact flow's invocation, translated for the core (pure): which flow
//! it is, and the canonical dial or callback it asks for.

use aws_lambda_events::event::connect::ConnectEvent;
use lifeline_domain::call::{InboundCall, Location, OutboundDial};
use lifeline_domain::numbers::short_code_from_e164;
use lifeline_domain::types::{AgentId, E164};
use serde_json::Value;
use std::collections::HashMap;

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
fn location_from(params: &HashMap<String, String>) -> Option<Location> {
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

/// The invocation `payload` translated: an event that is no contact flow
/// event is unusable, naming the flow it claims and what it says was dialed.
pub fn flow_request(payload: &Value) -> FlowRequest {
    match serde_json::from_value::<ConnectEvent>(payload.clone()) {
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
            dialed: str_at(payload, "/Details/ContactData/CustomerEndpoint/Address"),
            caller_id: str_at(payload, "/Details/ContactData/SystemEndpoint/Address"),
            // The error's category and place only: its text may quote a value (a number).
            reason: format!("not a contact flow event ({:?} error)", e.classify()),
        },
    }
}

/// The string at `pointer` in `v`, if there is one.
pub(crate) fn str_at(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer).and_then(Value::as_str).map(String::from)
}
