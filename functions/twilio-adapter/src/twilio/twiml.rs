//! TwiML: the documents the adapter answers with. Recording is always off.

use std::borrow::Cow;

/// `<Dial>` one number, e.g. the emergency number for a forwarded call.
/// `action` receives the outcome (POST); `record_off` forbids recording.
pub fn dial_number(
    number: &str,
    caller_id: Option<&str>,
    action: Option<&str>,
    record_off: bool,
) -> String {
    let mut attrs = Vec::new();
    attrs.extend(caller_id.map(|c| ("callerId", c)));
    if record_off {
        attrs.push(("record", DO_NOT_RECORD));
    }
    attrs.extend(
        action
            .into_iter()
            .flat_map(|a| [("action", a), ("method", "POST")]),
    );
    response(&element(
        "Dial",
        &attrs,
        &element("Number", &[], &escape(number)),
    ))
}

/// `<Dial>` several parties at once, the first to answer wins: a
/// `<Client>` per app identity, a `<Number>` for an E.164 number. Never
/// recorded. Callers pass at least one identity (Twilio refuses an empty dial).
pub fn dial_clients(identities: &[&str], timeout_secs: u32, action: Option<&str>) -> String {
    response(&dial_clients_verb(identities, timeout_secs, action))
}

/// The `<Dial>` of [`dial_clients`], to compose with other verbs in [`document`].
pub fn dial_clients_verb(identities: &[&str], timeout_secs: u32, action: Option<&str>) -> String {
    let timeout = timeout_secs.to_string();
    let mut attrs = vec![("timeout", timeout.as_str())];
    attrs.extend(
        action
            .into_iter()
            .flat_map(|a| [("action", a), ("method", "POST")]),
    );
    attrs.push(("record", DO_NOT_RECORD));
    let nouns: String = identities
        .iter()
        .map(|id| {
            let noun = if is_e164(id) { "Number" } else { "Client" };
            element(noun, &[], &escape(id))
        })
        .collect();
    element("Dial", &attrs, &nouns)
}

/// `<Enqueue>` the call as a TaskRouter task with these attributes (JSON),
/// for at most `timeout_secs`; `action` (POST) hears how it left the queue.
pub fn enqueue_task(
    workflow_sid: &str,
    task_attributes_json: &str,
    priority: u32,
    timeout_secs: u32,
    action: Option<&str>,
) -> String {
    response(&enqueue_task_verb(
        workflow_sid,
        task_attributes_json,
        priority,
        timeout_secs,
        action,
    ))
}

/// The `<Enqueue>` of [`enqueue_task`], to compose in [`document`].
pub fn enqueue_task_verb(
    workflow_sid: &str,
    task_attributes_json: &str,
    priority: u32,
    timeout_secs: u32,
    action: Option<&str>,
) -> String {
    let (priority, timeout) = (priority.to_string(), timeout_secs.to_string());
    let task = element(
        "Task",
        &[("priority", &priority), ("timeout", &timeout)],
        &escape(task_attributes_json),
    );
    let mut attrs = vec![("workflowSid", workflow_sid)];
    attrs.extend(
        action
            .into_iter()
            .flat_map(|a| [("action", a), ("method", "POST")]),
    );
    element("Enqueue", &attrs, &task)
}

/// `<Say>` a short message (Twilio's default voice and language).
pub fn say_verb(text: &str) -> String {
    element("Say", &[], &escape(text))
}

/// `<Hangup>`, to compose in [`document`].
pub fn hangup_verb() -> String {
    element("Hangup", &[], "")
}

/// A TwiML document of these verbs, in order.
pub fn document(verbs: &[String]) -> String {
    response(&verbs.concat())
}

/// `<Redirect>` the call to other TwiML (POST).
pub fn redirect(url: &str) -> String {
    response(&element("Redirect", &[("method", "POST")], &escape(url)))
}

/// `<Hangup>`: end an answered call.
pub fn hangup() -> String {
    response(&hangup_verb())
}

const DO_NOT_RECORD: &str = "do-not-record";

pub(crate) fn is_e164(s: &str) -> bool {
    s.strip_prefix('+')
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

pub(crate) fn response(verbs: &str) -> String {
    format!(r#"<?xml version="1.0" encoding="UTF-8"?><Response>{verbs}</Response>"#)
}

/// One element. Attribute values are escaped here; `content` is markup
/// already (an [`escape`]d text or child elements); empty content self-closes.
pub(crate) fn element(name: &str, attrs: &[(&str, &str)], content: &str) -> String {
    let mut out = format!("<{name}");
    for (key, value) in attrs {
        out.push_str(&format!(r#" {key}="{}""#, escape(value)));
    }
    if content.is_empty() {
        out.push_str("/>");
    } else {
        out.push_str(&format!(">{content}</{name}>"));
    }
    out
}

/// Escapes text and attribute values. Characters XML 1.0 cannot hold at all
/// (most control characters) are dropped so the document stays well formed.
pub(crate) fn escape(s: &str) -> Cow<'_, str> {
    let special = |c: char| matches!(c, '&' | '<' | '>' | '"' | '\'') || !xml_char(c);
    if !s.contains(special) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if xml_char(c) => out.push(c),
            _ => {}
        }
    }
    Cow::Owned(out)
}

pub(crate) fn xml_char(c: char) -> bool {
    !matches!(c, '\0'..='\x08' | '\x0B' | '\x0C' | '\x0E'..='\x1F' | '\u{FFFE}' | '\u{FFFF}')
}
