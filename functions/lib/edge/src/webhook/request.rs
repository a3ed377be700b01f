//! The canonical webhooks' JSON bodies, checked: a value, or a problem
//! naming the field at fault.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use lifeline_domain::call::{CallEnded, InboundCall, Location, OutboundDial};
use lifeline_domain::location::LocationInput;
use lifeline_domain::presented::CallPresented;
use lifeline_domain::types::{CallId, Invalid};

use super::problem::{Problem, MAX_BODY_BYTES};

fn field<T: std::str::FromStr<Err = Invalid>>(name: &str, v: Option<String>) -> Result<T, Problem> {
    let v = v.ok_or_else(|| Problem::invalid_field(name, format!("`{name}` is required")))?;
    v.parse::<T>()
        .map_err(|e| Problem::invalid_field(name, format!("`{name}`: {e}")))
}

/// A platform's `callId`: Lifeline's ids with no record position (`c-1~2`
/// names a record Lifeline made, never a platform's call).
pub(crate) fn call_id(v: Option<String>) -> Result<CallId, Problem> {
    let v = v.ok_or_else(|| Problem::invalid_field("callId", "`callId` is required"))?;
    CallId::from_platform(&v)
        .map_err(|e| Problem::invalid_field("callId", format!("`callId`: {e}")))
}

fn timestamp(v: Option<String>) -> Result<Option<DateTime<Utc>>, Problem> {
    v.map(|s| {
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                Problem::invalid_field("timestamp", "`timestamp` must be an RFC 3339 date-time")
            })
    })
    .transpose()
}

/// Parses JSON into `T`, answering a problem naming the field when the body is
/// not JSON or a field has the wrong type.
pub fn parse_json<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Problem> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Problem::too_large());
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() || path == "." {
            Problem::new(
                400,
                "invalid-request",
                "Invalid request",
                format!("body must be a JSON object: {inner}"),
            )
        } else {
            Problem::invalid_field(&path, format!("`{path}`: {inner}"))
        }
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OutboundBody {
    call_id: Option<String>,
    agent_id: Option<String>,
    dialed: Option<String>,
    from: Option<String>,
    location: Option<LocationInput>,
    timestamp: Option<String>,
}

pub fn parse_outbound(body: &[u8]) -> Result<OutboundDial, Problem> {
    let b: OutboundBody = parse_json(body)?;
    let dialed = b
        .dialed
        .ok_or_else(|| Problem::invalid_field("dialed", "`dialed` is required"))?;
    if dialed.trim().is_empty() || dialed.len() > 64 {
        return Err(Problem::invalid_field(
            "dialed",
            "`dialed` must be 1 to 64 characters",
        ));
    }
    let location = match b.location {
        Some(l) => parse_location(l)?,
        None => None,
    };
    Ok(OutboundDial {
        call_id: call_id(b.call_id)?,
        agent_id: field("agentId", b.agent_id)?,
        dialed,
        from: field("from", b.from)?,
        location,
        registered_location: false,
        timestamp: timestamp(b.timestamp)?,
    })
}

/// A checked location (a location with nothing in it is none), or a
/// problem naming the field (`location.civic.XYZ`).
pub fn parse_location(l: LocationInput) -> Result<Option<Location>, Problem> {
    l.validate()
        .map_err(|e| Problem::invalid_field(&format!("location.{}", e.field), e.to_string()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EndedBody {
    call_id: Option<String>,
    agent_id: Option<String>,
    timestamp: Option<String>,
}

pub fn parse_ended(body: &[u8]) -> Result<CallEnded, Problem> {
    let b: EndedBody = parse_json(body)?;
    Ok(CallEnded {
        call_id: call_id(b.call_id)?,
        agent_id: field("agentId", b.agent_id)?,
        timestamp: timestamp(b.timestamp)?,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PresentedBody {
    call_id: Option<String>,
    agent_id: Option<String>,
    dialed: Option<String>,
    caller_id: Option<String>,
    reason: Option<String>,
}

/// `POST /calls/presented`: every field required; `reason` one of the four.
pub fn parse_presented(body: &[u8]) -> Result<CallPresented, Problem> {
    let b: PresentedBody = parse_json(body)?;
    let dialed = b
        .dialed
        .filter(|d| !d.trim().is_empty() && d.len() <= 64)
        .ok_or_else(|| Problem::invalid_field("dialed", "`dialed` must be 1 to 64 characters"))?;
    let reason = b
        .reason
        .ok_or_else(|| Problem::invalid_field("reason", "`reason` is required"))?
        .parse()
        .map_err(|e: String| Problem::invalid_field("reason", e))?;
    Ok(CallPresented {
        call_id: call_id(b.call_id)?,
        agent_id: field("agentId", b.agent_id)?,
        dialed,
        caller_id: field("callerId", b.caller_id)?,
        reason,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InboundBody {
    call_id: Option<String>,
    to: Option<String>,
    from: Option<String>,
    sip_priority: Option<String>,
    timestamp: Option<String>,
}

pub fn parse_inbound(body: &[u8]) -> Result<InboundCall, Problem> {
    let b: InboundBody = parse_json(body)?;
    timestamp(b.timestamp)?;
    Ok(InboundCall {
        call_id: call_id(b.call_id)?,
        to: field("to", b.to)?,
        // Caller ids from the PSTN can be withheld or odd: never refuse a callback for it.
        from: b.from.and_then(|f| f.parse().ok()),
        sip_priority: b.sip_priority,
    })
}
