//! The acknowledgement page, and its JSON for clients that ask for it. A
//! recipient sees the incident and who acknowledged, never another
//! recipient's full address (each alert is addressed to one person only).

use lambda_http::{Body, Response};
use serde_json::{json, Value};

use lifeline_app::service::ack::{AckPage, Acknowledged};
use lifeline_domain::ack::Acknowledgement;
use lifeline_domain::call::{rfc3339, EmergencyCall};
use lifeline_domain::recipient::Channel;

pub(crate) enum Answer {
    Summary(AckPage),
    Acknowledged(Acknowledged),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No such link, incident or route (a forged link says no more).
    NotFound,
    Expired,
    /// The link's recipient was not alerted for this incident.
    NotAlerted,
    MethodNotAllowed,
    Unavailable,
}

impl Failure {
    fn status_and_text(self) -> (u16, &'static str, &'static str) {
        match self {
            Failure::NotFound => (404, "not-found", "This acknowledgement link is not valid."),
            Failure::Expired => (
                410,
                "link-expired",
                "This acknowledgement link has expired (links work for 24 hours).",
            ),
            Failure::NotAlerted => (
                403,
                "not-alerted",
                "This link's recipient was not alerted for this incident.",
            ),
            Failure::MethodNotAllowed => (
                405,
                "method-not-allowed",
                "Open the link, then press Acknowledge.",
            ),
            Failure::Unavailable => (
                503,
                "unavailable",
                "Lifeline cannot record this right now; try again in a minute.",
            ),
        }
    }
}

pub(crate) fn refuse(f: Failure, json_wanted: bool) -> Response<Body> {
    let (status, slug, text) = f.status_and_text();
    if json_wanted {
        let problem = json!({"type": format!("urn:lifeline:problem:{slug}"), "title": text, "status": status});
        return respond(status, "application/problem+json", problem.to_string());
    }
    respond(
        status,
        "text/html; charset=utf-8",
        document("Lifeline", &format!("<p>{}</p>", escape(text))),
    )
}

pub(crate) fn render(answer: &Answer, json_wanted: bool) -> Response<Body> {
    match answer {
        Answer::Summary(view) if json_wanted => respond(
            200,
            "application/json",
            summary_json(&view.call, &view.acks).to_string(),
        ),
        Answer::Summary(view) => respond(200, "text/html; charset=utf-8", summary_html(view)),
        Answer::Acknowledged(done) if json_wanted => {
            let mut v = summary_json(&done.call, &done.others);
            v["acknowledged"] = json!(true);
            v["first"] = json!(done.first);
            v["you"] = ack_json(&done.ack);
            respond(200, "application/json", v.to_string())
        }
        Answer::Acknowledged(done) => {
            respond(200, "text/html; charset=utf-8", acknowledged_html(done))
        }
    }
}

/// A recipient as others see them: `d***@example.com`, `+*******0111`, a chat channel.
pub(crate) fn masked(a: &Acknowledgement) -> String {
    match a.channel {
        Channel::Email => match a.by.split_once('@') {
            Some((user, domain)) => format!("{}***@{domain}", user.chars().next().unwrap_or('*')),
            None => "an e-mail recipient".into(),
        },
        Channel::Sms => {
            a.by.parse::<lifeline_domain::types::E164>()
                .map(|n| n.redacted())
                .unwrap_or_else(|_| "a phone".into())
        }
        Channel::Chat => "a chat channel".into(),
    }
}

fn ack_json(a: &Acknowledgement) -> Value {
    json!({"by": masked(a), "at": rfc3339(a.at), "channel": a.channel})
}

fn summary_json(call: &EmergencyCall, acks: &[Acknowledgement]) -> Value {
    json!({
        "incident": call.call_id.to_string(),
        "agentId": call.agent_id.to_string(),
        "emergencyNumber": call.emergency_number,
        "test": call.test,
        "dialedAt": rfc3339(call.dialed_at),
        "callbackNumber": call.caller_id.to_string(),
        "callbackExpiresAt": call.callback_expires_at.map(rfc3339),
        "ended": call.ended_at.is_some(),
        "acknowledgements": acks.iter().map(ack_json).collect::<Vec<_>>(),
    })
}

fn facts(call: &EmergencyCall) -> String {
    let test = if call.test {
        "<p class=\"test\">TEST CALL (a drill)</p>"
    } else {
        ""
    };
    let window = call
        .callback_expires_at
        .map(|t| format!("<dt>Callback window until</dt><dd>{}</dd>", rfc3339(t)))
        .unwrap_or_default();
    format!(
        "{test}<dl><dt>Agent</dt><dd>{}</dd><dt>Dialed</dt><dd>{} at {}</dd>\
         <dt>Callback number</dt><dd>{}</dd>{window}<dt>Call</dt><dd>{}</dd></dl>",
        escape(call.agent_id.as_str()),
        escape(&call.emergency_number),
        rfc3339(call.dialed_at),
        escape(call.caller_id.as_str()),
        if call.ended_at.is_some() {
            "ended"
        } else {
            "in progress"
        },
    )
}

fn acks_html(acks: &[Acknowledgement]) -> String {
    if acks.is_empty() {
        return "<p>Nobody has acknowledged yet.</p>".into();
    }
    let items: String = acks
        .iter()
        .map(|a| {
            format!(
                "<li>{} ({}) at {}</li>",
                escape(&masked(a)),
                a.channel.as_str(),
                rfc3339(a.at)
            )
        })
        .collect();
    format!("<p>Acknowledged by:</p><ul>{items}</ul>")
}

fn summary_html(view: &AckPage) -> String {
    document(
        "Emergency call: acknowledge",
        &format!(
            "{}{}<form method=\"post\"><button type=\"submit\">Acknowledge</button></form>",
            facts(&view.call),
            acks_html(&view.acks)
        ),
    )
}

fn acknowledged_html(done: &Acknowledged) -> String {
    let lead = if done.first {
        "<p role=\"status\">Acknowledged. You are the first: the escalation stops.</p>".to_string()
    } else {
        "<p role=\"status\">Acknowledged. Others had already:</p>".to_string()
    };
    let others = if done.others.is_empty() {
        String::new()
    } else {
        acks_html(&done.others)
    };
    document(
        "Emergency call: acknowledged",
        &format!("{lead}{others}{}", facts(&done.call)),
    )
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#111}}\
         .test{{font-weight:bold;color:#8a4b00}}button{{font-size:1.25rem;padding:.75rem 1.5rem;background:#b00020;color:#fff;border:0;border-radius:.4rem}}\
         button:focus{{outline:3px solid #111;outline-offset:2px}}dt{{font-weight:bold}}</style></head>\
         <body><main><h1>{t}</h1>{body}</main></body></html>",
        t = escape(title)
    )
}

/// HTML text: what the page shows comes from the table, never as markup.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn respond(status: u16, content_type: &str, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        // The link is the credential: never cached, never sent on as a referrer, never framed.
        .header("cache-control", "no-store")
        .header("referrer-policy", "no-referrer")
        .header("x-frame-options", "DENY")
        .header("x-content-type-options", "nosniff")
        .header(
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        )
        .body(Body::Text(body))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}
