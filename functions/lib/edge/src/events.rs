//! Lifeline's event bus as the functions see it: the one reader of the
//! table's stream (its filter and retry limits), the rules that deliver
//! domain events to the side-effect functions (their patterns and Lambda's
//! asynchronous retry limits), and the events in and out as JSON. The
//! template holds the same strings and numbers (tests check), and the local
//! runner applies these.

use serde::de::value::MapDeserializer;
use serde::Deserialize;
use serde_json::{json, Value};

use lifeline_domain::events::{DomainEvent, DETAIL_TYPES, SOURCE, VERSION};

/// The filter of stream-events' one event source mapping on the table's
/// stream: changes of the items the events describe (a TTL deletion has no
/// new image and is not one).
pub const STREAM_FILTERS: [&str; 1] =
    [r#"{"dynamodb":{"NewImage":{"type":{"S":["call","number","presence","incident"]}}}}"#];

/// How a mapping or an asynchronous invocation gives up on a failing event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub max_retries: u32,
    pub max_age_secs: u64,
}

/// stream-events' mapping (`MaximumRetryAttempts`, `MaximumRecordAgeInSeconds`).
pub const STREAM_DELIVERY: Delivery = Delivery {
    max_retries: 10,
    max_age_secs: 3600,
};

/// Every asynchronously invoked function's `EventInvokeConfig`
/// (`MaximumRetryAttempts`, `MaximumEventAgeInSeconds`): the bus rules'
/// targets, the schedules' target, the Connect rule's target.
pub const ASYNC_DELIVERY: Delivery = Delivery {
    max_retries: 2,
    max_age_secs: 3600,
};

/// A rule on Lifeline's bus: the function it invokes and its event pattern
/// (the template's `Pattern`, character for character).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub function: &'static str,
    pub pattern: &'static str,
}

/// presence-override: a call's start sets Do Not Disturb, its end may restore.
pub const PRESENCE_RULE: Rule = Rule {
    function: "presence-override",
    pattern: r#"{"source":["lifeline"],"detail-type":["lifeline.call.started","lifeline.call.ended"]}"#,
};
/// notifier: a call's start sends the alert; a corrected caller ID, its
/// correction; a call's end, the follow-up.
pub const NOTIFY_RULE: Rule = Rule {
    function: "notifier",
    pattern: r#"{"source":["lifeline"],"detail-type":["lifeline.call.started","lifeline.call.caller_id_corrected","lifeline.call.ended"]}"#,
};
/// callback-lease: a lease's change creates or moves its expiry schedule; a
/// call's start without a lease, or its correction to a number without one,
/// schedules its agent's presence check.
pub const LEASE_RULE: Rule = Rule {
    function: "callback-lease",
    pattern: r#"{"source":["lifeline"],"detail-type":["lifeline.lease.changed","lifeline.call.started","lifeline.call.caller_id_corrected"]}"#,
};

/// platform-presence (when a platform is configured): Lifeline's override
/// and its end, applied to the agent's status on the voice platform.
pub const PLATFORM_RULE: Rule = Rule {
    function: "platform-presence",
    pattern: r#"{"source":["lifeline"],"detail-type":["lifeline.presence.overridden","lifeline.presence.restored"]}"#,
};

/// incident-log: what happens to a call, as its incident's timeline (the
/// start, Do Not Disturb on and off, the e-mail's outcome, the end, the
/// lease's release).
pub const INCIDENT_RULE: Rule = Rule {
    function: "incident-log",
    pattern: r#"{"source":["lifeline"],"detail-type":["lifeline.call.started","lifeline.call.ended","lifeline.lease.changed","lifeline.callback.routed","lifeline.notification.sent","lifeline.notification.failed","lifeline.presence.overridden","lifeline.presence.restored"]}"#,
};

pub const RULES: [Rule; 5] = [
    PRESENCE_RULE,
    NOTIFY_RULE,
    LEASE_RULE,
    PLATFORM_RULE,
    INCIDENT_RULE,
];

/// Whether an EventBridge event (its JSON) matches a rule's pattern:
/// EventBridge's syntax for what Lifeline uses (nested objects, lists of
/// allowed values, `{"exists": bool}`, `{"prefix": "…"}`).
pub fn pattern_matches(pattern: &str, event: &Value) -> bool {
    serde_json::from_str::<Value>(pattern).is_ok_and(|p| matches(&p, Some(event)))
}

pub(crate) fn matches(pattern: &Value, value: Option<&Value>) -> bool {
    match pattern {
        Value::Object(fields) => fields
            .iter()
            .all(|(k, p)| matches(p, value.and_then(|v| v.get(k)))),
        Value::Array(allowed) => allowed.iter().any(|a| match (a, value) {
            (Value::Object(o), v) if o.contains_key("exists") => {
                o.get("exists").and_then(Value::as_bool) == Some(v.is_some_and(|v| !v.is_null()))
            }
            (Value::Object(o), Some(Value::String(s))) if o.contains_key("prefix") => o
                .get("prefix")
                .and_then(Value::as_str)
                .is_some_and(|p| s.starts_with(p)),
            // A list in the event matches when any element does.
            (a, Some(Value::Array(items))) => items.contains(a),
            (a, Some(v)) => a == v,
            (_, None) => false,
        }),
        other => value == Some(other),
    }
}

/// An event's `detail` as published (its schema's JSON).
pub fn detail(event: &DomainEvent) -> Value {
    match serde_json::to_value(event) {
        Ok(Value::Object(mut tagged)) => tagged.remove("detail").unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// The event as EventBridge delivers it to a rule's target (and as the
/// local bus does): the envelope around the detail.
pub fn envelope(
    event: &DomainEvent,
    id: &str,
    time: chrono::DateTime<chrono::Utc>,
    region: &str,
    account: &str,
) -> Value {
    json!({
        "version": "0",
        "id": id,
        "detail-type": event.detail_type(),
        "source": SOURCE,
        "account": account,
        "time": lifeline_domain::call::rfc3339(time),
        "region": region,
        "resources": [],
        "detail": detail(event),
    })
}

/// Why a delivered event cannot be read: never retried usefully, so its
/// invocation fails and Lambda keeps it (with its payload) after its retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadEvent {
    #[error("not a Lifeline event (source `{0}`)")]
    NotLifeline(String),
    #[error("unknown detail-type `{0}`")]
    UnknownDetailType(String),
    #[error("{detail_type} detail does not match its schema: {reason}")]
    Detail { detail_type: String, reason: String },
    #[error("{detail_type} detail version {version} is newer than this function reads ({known})")]
    NewerVersion {
        detail_type: String,
        version: u64,
        known: u32,
    },
}

/// A delivered EventBridge event as the domain event it carries.
pub fn decode(event: &Value) -> Result<DomainEvent, BadEvent> {
    let source = event.get("source").and_then(Value::as_str).unwrap_or("");
    if source != SOURCE {
        return Err(BadEvent::NotLifeline(source.to_string()));
    }
    let detail_type = event
        .get("detail-type")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !DETAIL_TYPES.contains(&detail_type) {
        return Err(BadEvent::UnknownDetailType(detail_type.into()));
    }
    let detail = event.get("detail").cloned().unwrap_or(Value::Null);
    let version = detail.get("version").and_then(Value::as_u64).unwrap_or(0);
    if version > u64::from(VERSION) {
        return Err(BadEvent::NewerVersion {
            detail_type: detail_type.into(),
            version,
            known: VERSION,
        });
    }
    // The tag before the detail: serde then reads the detail straight into
    // its schema, and its error is the schema's own.
    let tagged = MapDeserializer::new(
        [
            (Value::from("detail-type"), Value::from(detail_type)),
            (Value::from("detail"), detail),
        ]
        .into_iter(),
    );
    DomainEvent::deserialize(tagged).map_err(|e: serde_json::Error| BadEvent::Detail {
        detail_type: detail_type.into(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests;

/// Whether a stream record (as Lambda delivers it) matches any of `filters`
/// (the mapping's filter criteria: Lambda filters already; this keeps a
/// mis-configured mapping harmless).
pub fn stream_record_matches(
    filters: &[&str],
    record: &aws_lambda_events::event::dynamodb::EventRecord,
) -> bool {
    let Ok(json) = serde_json::to_value(record) else {
        return false;
    };
    filters.iter().any(|f| pattern_matches(f, &json))
}

/// A call's start or end as the presence rules read it; `None` for other events.
pub fn call_change(event: &DomainEvent) -> Option<lifeline_domain::call::CallChange> {
    use lifeline_domain::call::CallChange;
    match event {
        DomainEvent::CallStarted(c) => Some(CallChange::Started {
            agent: c.agent_id.clone(),
            call: c.call_id.clone(),
            at: c.at,
        }),
        DomainEvent::CallEnded(c) => Some(CallChange::Ended {
            agent: c.agent_id.clone(),
            call: c.call_id.clone(),
            at: c.at,
        }),
        _ => None,
    }
}
