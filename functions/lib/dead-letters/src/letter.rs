//! What a dead letter is (pure): a failure queue's message or a failure
//! bucket's object, recognised by its shape, with what it concerns and how
//! it goes back: through the stage's own function that its place belongs to
//! ([`Owners`]), or not at all.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use lifeline_aws::dlq::{PeekedMessage, QueueRef, StoredObject};
use serde_json::Value;

use super::owner::Owners;
pub use super::plan::{ReplayPlan, Stage};

/// Where a dead letter is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Queue(QueueRef),
    Bucket(String),
}

impl Source {
    /// As people name it: the queue's name, or `s3://bucket`.
    pub fn name(&self) -> String {
        match self {
            Source::Queue(q) => q.name.clone(),
            Source::Bucket(b) => format!("s3://{b}"),
        }
    }

    /// Whether `--queue NAME` means this source (a bucket by name or `s3://` name).
    pub fn is_named(&self, name: &str) -> bool {
        match self {
            Source::Queue(q) => q.name == name,
            Source::Bucket(b) => b == name || name.strip_prefix("s3://") == Some(b.as_str()),
        }
    }
}

/// The shapes a dead letter is recognised by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Lambda's record of an asynchronous invocation that failed (or the
    /// stream reader's record of a stream record it could not translate).
    AsyncInvocation,
    /// An EventBridge rule's target dead letter: the event itself.
    EventBridgeRule,
    /// An EventBridge Scheduler dead letter: the schedule's target input.
    Schedule,
    /// The dial's outbox message its consumer gave up on.
    CallOutbox,
    /// A stream batch an event source mapping gave up on, with its records
    /// (the S3 on-failure destination keeps them).
    StreamBatch,
    /// The same failure sent to SQS or SNS: only the stream position, no records.
    StreamPosition,
    Unknown,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::AsyncInvocation => "async-invocation",
            Kind::EventBridgeRule => "eventbridge-rule",
            Kind::Schedule => "schedule",
            Kind::CallOutbox => "call-outbox",
            Kind::StreamBatch => "stream-batch",
            Kind::StreamPosition => "stream-position",
            Kind::Unknown => "unknown",
        }
    }
}

/// One dead letter, as recognised.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    /// The SQS MessageId, or the S3 object key.
    pub id: String,
    pub source: Source,
    pub kind: Kind,
    /// When it failed: the record's timestamp, else when SQS got it (or S3 stored it).
    pub at: Option<DateTime<Utc>>,
    /// The function or target that failed, by name.
    pub target: Option<String>,
    /// Why, as the record says (untrimmed).
    pub reason: Option<String>,
    /// Which call, lease, agent or item it concerns.
    pub subject: Option<String>,
    /// The message body or object as stored (JSON where it is JSON; a
    /// record's string-encoded payload decoded in place).
    pub payload: Value,
    /// SQS system and message attributes.
    pub attributes: BTreeMap<String, String>,
    pub replay: ReplayPlan,
}

impl DeadLetter {
    /// What a listing shows as its id: a MessageId's first 8 characters, an
    /// S3 key's last 8 (the end of its random UUID).
    pub fn short_id(&self) -> String {
        let chars: Vec<char> = self.id.chars().collect();
        let n = chars.len().min(8);
        match self.source {
            Source::Queue(_) => chars[..n].iter().collect(),
            Source::Bucket(_) => chars[chars.len() - n..].iter().collect(),
        }
    }
}

/// What the shape of a body says, before it is placed in its source.
struct Recognised {
    kind: Kind,
    at: Option<DateTime<Utc>>,
    target: Option<String>,
    reason: Option<String>,
    subject: Option<String>,
    payload: Value,
    replay: ReplayPlan,
}

/// A failure queue's message.
pub fn classify_message(stage: &Stage, queue: &QueueRef, message: &PeekedMessage) -> DeadLetter {
    let sent_at = message
        .attributes
        .get("SentTimestamp")
        .and_then(|ms| ms.parse::<i64>().ok())
        .and_then(DateTime::from_timestamp_millis);
    let body: Option<Value> = serde_json::from_str(&message.body).ok();
    let attribute = |name: &str| message.message_attributes.get(name).map(String::as_str);
    let owners = Owners::of_queue(stage, queue);
    let recognised = match (&body, attribute("TARGET_ARN")) {
        (_, Some(target_arn)) if attribute("ERROR_CODE").is_some() => target_dead_letter(
            &owners,
            body.as_ref(),
            &message.body,
            target_arn,
            &message.message_attributes,
        ),
        (Some(b), _) if queue.name == stage.outbox_dead_letter_queue() && is_outbox_message(b) => {
            Recognised {
                kind: Kind::CallOutbox,
                at: None,
                target: Some(stage.outbox_queue()),
                reason: Some("the outbox's consumer did not record it (moved here by the outbox's redrive policy)".into()),
                subject: subject_of(b),
                payload: b.clone(),
                replay: ReplayPlan::SendBack {
                    queue: stage.outbox_queue(),
                    body: message.body.clone(),
                },
            }
        }
        (Some(b), _) => recognise_record(&owners, b)
            .unwrap_or_else(|| unknown(body.clone(), &message.body)),
        (None, _) => unknown(None, &message.body),
    };
    let mut attributes = message.attributes.clone();
    attributes.extend(message.message_attributes.clone());
    DeadLetter {
        id: message.message_id.clone(),
        source: Source::Queue(queue.clone()),
        kind: recognised.kind,
        at: recognised.at.or(sent_at),
        target: recognised.target,
        reason: recognised.reason,
        subject: recognised.subject,
        payload: recognised.payload,
        attributes,
        replay: recognised.replay,
    }
}

/// A failure bucket's object (the stage's stream failure bucket).
pub fn classify_object(stage: &Stage, bucket: &str, object: &StoredObject) -> DeadLetter {
    let body: Option<Value> = serde_json::from_str(&object.body).ok();
    let owners = Owners::of_bucket(stage, bucket);
    let recognised = body
        .as_ref()
        .and_then(|b| recognise_record(&owners, b))
        .unwrap_or_else(|| unknown(body.clone(), &object.body));
    DeadLetter {
        id: object.key.clone(),
        source: Source::Bucket(bucket.to_string()),
        kind: recognised.kind,
        at: recognised.at.or(object.last_modified),
        target: recognised.target,
        reason: recognised.reason,
        subject: recognised.subject,
        payload: recognised.payload,
        attributes: BTreeMap::new(),
        replay: recognised.replay,
    }
}

fn unknown(body: Option<Value>, raw: &str) -> Recognised {
    Recognised {
        kind: Kind::Unknown,
        at: None,
        target: None,
        reason: None,
        subject: body.as_ref().and_then(subject_of),
        payload: body.unwrap_or_else(|| Value::String(raw.to_string())),
        replay: ReplayPlan::Never {
            why: "unknown shape".into(),
        },
    }
}

/// An EventBridge rule's or Scheduler's dead letter: the body is what the
/// target was to receive; the attributes say which target and why.
fn target_dead_letter(
    owners: &Owners,
    body: Option<&Value>,
    raw: &str,
    target_arn: &str,
    attributes: &BTreeMap<String, String>,
) -> Recognised {
    let attribute = |name: &str| attributes.get(name).map(String::as_str);
    let is_event =
        body.is_some_and(|b| b.get("detail-type").is_some() && b.get("source").is_some());
    let kind = if attribute("RULE_ARN").is_some() {
        Kind::EventBridgeRule
    } else if attribute("SCHEDULE_ARN").is_some() || !is_event {
        Kind::Schedule
    } else {
        Kind::EventBridgeRule
    };
    let replay = match body {
        None => ReplayPlan::Never {
            why: "the body is not JSON".into(),
        },
        Some(_) if !is_lambda_function_arn(target_arn) => ReplayPlan::Never {
            why: format!("the target is not a Lambda function: {target_arn}"),
        },
        Some(b) => owners.invoke(target_arn, b.clone(), is_stream_batch(b)),
    };
    Recognised {
        kind,
        at: None,
        target: Some(target_name(target_arn)),
        reason: joined(&[attribute("ERROR_CODE"), attribute("ERROR_MESSAGE")], ": "),
        subject: body.and_then(subject_of),
        payload: body
            .cloned()
            .unwrap_or_else(|| Value::String(raw.to_string())),
        replay,
    }
}

/// Lambda's own records: an asynchronous invocation's failure (with its
/// `requestPayload`), or a stream batch's (with its `payload` in S3, only
/// its position in SQS).
fn recognise_record(owners: &Owners, body: &Value) -> Option<Recognised> {
    let function_arn = body.pointer("/requestContext/functionArn")?.as_str()?;
    let at = body
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let reason = failure_reason(body);
    let target = Some(target_name(function_arn));
    let batch_info = ["DDBStreamBatchInfo", "KinesisBatchInfo"]
        .iter()
        .any(|k| body.get(*k).is_some());
    if batch_info || body.get("payload").is_some() {
        return Some(stream_batch(owners, body, function_arn, at, target, reason));
    }
    let (replay, subject) = match body.get("requestPayload") {
        Some(request) => (
            owners.invoke(function_arn, request.clone(), is_stream_batch(request)),
            subject_of(request),
        ),
        None => (
            ReplayPlan::Never {
                why: "the record does not carry the request's payload".into(),
            },
            None,
        ),
    };
    Some(Recognised {
        kind: Kind::AsyncInvocation,
        at,
        target,
        reason,
        subject,
        payload: body.clone(),
        replay,
    })
}

/// A stream batch's failure record. The S3 destination adds `payload`: the
/// invocation's whole event, as a JSON string (taken as an object too).
fn stream_batch(
    owners: &Owners,
    body: &Value,
    function_arn: &str,
    at: Option<DateTime<Utc>>,
    target: Option<String>,
    reason: Option<String>,
) -> Recognised {
    let payload = match body.get("payload") {
        Some(Value::String(s)) => serde_json::from_str::<Value>(s).ok(),
        Some(v @ Value::Object(_)) | Some(v @ Value::Array(_)) => Some(v.clone()),
        _ => None,
    };
    let records = payload.as_ref().and_then(|p| match p {
        Value::Array(records) => Some(records.clone()),
        p => p.get("Records")?.as_array().cloned(),
    });
    let mut shown = body.clone();
    if let (Some(p), Some(slot)) = (&payload, shown.get_mut("payload")) {
        *slot = p.clone();
    }
    match records {
        Some(records) => {
            let event = serde_json::json!({ "Records": records });
            Recognised {
                kind: Kind::StreamBatch,
                at,
                target,
                reason,
                subject: subject_of(&event),
                payload: shown,
                replay: owners.invoke(function_arn, event, true),
            }
        }
        None => Recognised {
            kind: Kind::StreamPosition,
            at,
            target,
            reason,
            subject: None,
            payload: shown,
            replay: ReplayPlan::Never {
                why: "the record holds only the stream position (shard and sequence numbers), \
                      not the records"
                    .into(),
            },
        },
    }
}

/// `{"v":…,"item":{…}}`: the call's record, in the table's item format.
fn is_outbox_message(body: &Value) -> bool {
    body.get("v").is_some_and(Value::is_u64) && body.get("item").is_some_and(Value::is_object)
}

fn is_stream_batch(payload: &Value) -> bool {
    payload.get("Records").is_some_and(Value::is_array)
}

/// Why, from a Lambda record: its condition, and the function's error.
fn failure_reason(body: &Value) -> Option<String> {
    let text = |p: &str| body.pointer(p).and_then(Value::as_str);
    let error = joined(
        &[
            text("/responsePayload/errorType"),
            text("/responsePayload/errorMessage"),
        ],
        ": ",
    )
    .or_else(|| text("/responseContext/functionError").map(|e| format!("function error {e}")));
    joined(&[text("/requestContext/condition"), error.as_deref()], "; ")
}

fn joined(parts: &[Option<&str>], separator: &str) -> Option<String> {
    let present: Vec<&str> = parts
        .iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    (!present.is_empty()).then(|| present.join(separator))
}

/// What a payload concerns: an event's call, lease or agent; a schedule
/// input's lease; a stream batch's item keys; an outbox record's call.
/// Redaction of any number in it is the caller's (the output's) job.
pub fn subject_of(payload: &Value) -> Option<String> {
    if let Some(request) = payload.get("requestPayload") {
        return subject_of(request);
    }
    if let Some(records) = payload.get("Records").and_then(Value::as_array) {
        let mut keys: Vec<&str> = Vec::new();
        for key in records
            .iter()
            .filter_map(|r| r.pointer("/dynamodb/Keys/pk/S").and_then(Value::as_str))
        {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        return match keys.len() {
            0 => None,
            1..=3 => Some(keys.join(", ")),
            n => Some(format!("{}, and {} more", keys[..3].join(", "), n - 3)),
        };
    }
    if let Some(item) = payload.get("item") {
        return item
            .pointer("/callId/S")
            .and_then(Value::as_str)
            .map(|c| format!("call {c}"))
            .or_else(|| {
                item.pointer("/pk/S")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
    }
    let mut parts: Vec<String> = Vec::new();
    let mut add = |label: &str, v: Option<&Value>| {
        if let Some(s) = v.and_then(Value::as_str).filter(|s| !s.is_empty()) {
            let part = format!("{label} {s}");
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
    };
    // An event's detail, else the payload itself (a schedule's input).
    let scope = payload
        .get("detail")
        .filter(|d| d.is_object())
        .unwrap_or(payload);
    add("call", scope.get("callId"));
    add("lease", scope.get("leaseId"));
    add("lease", scope.pointer("/after/leaseId"));
    add("lease", scope.pointer("/before/leaseId"));
    add("agent", scope.get("agentId"));
    add("agent", scope.pointer("/after/agentId"));
    add("agent", scope.pointer("/before/agentId"));
    add("agent", scope.pointer("/presenceCheck/agentId"));
    add("contact", scope.get("contactId"));
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`.
fn is_lambda_function_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    parts.len() >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function"
}

/// A target as people name it: a function's name, else the ARN's last part.
pub fn target_name(arn: &str) -> String {
    if is_lambda_function_arn(arn) {
        return arn.split(':').nth(6).unwrap_or(arn).to_string();
    }
    arn.rsplit([':', '/']).next().unwrap_or(arn).to_string()
}
