//! Lifeline's own template (three parts an admin edits), its rendering with
//! HTML auto-escaping that no template can turn off and work that is bounded
//! ([`super::guard`]), and the checks an edited one passes before it is saved.

use minijinja::{AutoEscape, Environment, ErrorKind, Template, UndefinedBehavior};
use std::collections::BTreeSet;

use super::data::{NotificationData, VARIABLES};
use super::guard::{forbidden_construct, harden};
use super::sample::sample_data;

pub const TEMPLATE_NAME: &str = "EmergencyCallNotification";

/// The three parts of the template, as files an admin edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationTemplate {
    pub subject: String,
    pub html: String,
    pub text: String,
    /// 0 for the built-in default; stored versions count from 1.
    pub version: u64,
}

impl NotificationTemplate {
    /// The default compiled into the binaries (`infra/templates/`).
    pub fn builtin() -> Self {
        NotificationTemplate {
            subject: include_str!(
                "../../../../../infra/templates/emergency-call-notification/subject.txt"
            )
            .into(),
            html: include_str!(
                "../../../../../infra/templates/emergency-call-notification/body.html"
            )
            .into(),
            text: include_str!(
                "../../../../../infra/templates/emergency-call-notification/body.txt"
            )
            .into(),
            version: 0,
        }
    }
}

/// What a fallback e-mail says about its recipients, whatever the template:
/// a stored template that does not use `sent_to_fallback` gets this line on
/// top of its text and HTML parts.
pub const FALLBACK_NOTE: &str = "You receive this as a fallback recipient: the agent's own notification list could not be used.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// A template that does not render, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{part}{}: {detail}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct TemplateError {
    pub part: &'static str,
    pub line: Option<usize>,
    pub kind: TemplateErrorKind,
    pub detail: String,
}

/// Why a template does not render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateErrorKind {
    /// It does not parse, names an unknown variable, or fails on the data.
    Invalid,
    /// It uses a construct that would turn HTML escaping off (`|safe`,
    /// `{% autoescape false %}`).
    Forbidden,
    /// It needs more work than a render may do: a loop, a recursion or a
    /// value that grows too much.
    TooCostly,
}

pub(super) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    harden(&mut env);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // HTML-escape everything in the HTML part; the subject and text stay text.
    env.set_auto_escape_callback(|name| {
        if name == "html" {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env
}

fn part_error(part: &'static str, e: minijinja::Error) -> TemplateError {
    if e.kind() == ErrorKind::OutOfFuel {
        return TemplateError {
            part,
            line: e.line(),
            kind: TemplateErrorKind::TooCostly,
            detail: "needs more work than a render may do (a loop, a recursion or a value \
                     that grows too much): out of fuel"
                .into(),
        };
    }
    TemplateError {
        part,
        line: e.line(),
        kind: TemplateErrorKind::Invalid,
        detail: e
            .detail()
            .map_or_else(|| e.kind().to_string(), String::from),
    }
}

/// One part, compiled, once it is known to keep HTML escaping on.
pub(super) fn compile<'env>(
    env: &'env Environment<'static>,
    part: &'static str,
    source: &'env str,
) -> Result<Template<'env, 'env>, TemplateError> {
    let tmpl = env
        .template_from_named_str(part, source)
        .map_err(|e| part_error(part, e))?;
    match forbidden_construct(source) {
        Some(f) => Err(TemplateError {
            part,
            line: Some(f.line),
            kind: TemplateErrorKind::Forbidden,
            detail: f.detail,
        }),
        None => Ok(tmpl),
    }
}

/// One part, rendered: `part` names it (`html` is escaped, the others not).
pub(super) fn render_part(
    env: &Environment<'static>,
    part: &'static str,
    source: &str,
    data: &NotificationData,
) -> Result<String, TemplateError> {
    compile(env, part, source)?
        .render(minijinja::value::Serde(data))
        .map_err(|e| part_error(part, e))
}

/// Renders the three parts. The subject is one line.
pub fn render(
    t: &NotificationTemplate,
    data: &NotificationData,
) -> Result<RenderedEmail, TemplateError> {
    render_email(t, data, FALLBACK_NOTE)
}

/// [`render`], a fallback message saying `note` (in its locale's words)
/// when the template does not say it itself.
pub(super) fn render_email(
    t: &NotificationTemplate,
    data: &NotificationData,
    note: &str,
) -> Result<RenderedEmail, TemplateError> {
    let env = environment();
    let one = |part: &'static str, source: &str| render_part(&env, part, source, data);
    let subject = one("subject", &t.subject)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if subject.is_empty() {
        return Err(TemplateError {
            part: "subject",
            line: None,
            kind: TemplateErrorKind::Invalid,
            detail: "renders empty".into(),
        });
    }
    let mut html = one("html", &t.html)?;
    let mut text = one("text", &t.text)?;
    // A fallback e-mail must say so, even through a template that predates
    // the variable.
    if data.sent_to_fallback {
        if !t.text.contains("sent_to_fallback") {
            text = format!("{note}\n\n{text}");
        }
        if !t.html.contains("sent_to_fallback") {
            html = with_html_note(&html, note);
        }
    }
    Ok(RenderedEmail {
        subject,
        html,
        text,
    })
}

/// `note` (plain text, escaped here) as the first paragraph of the body.
fn with_html_note(html: &str, note: &str) -> String {
    let escaped = note
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&#x27;");
    let paragraph = format!("<p style=\"font-weight:700;\">{escaped}</p>");
    // Just inside <body ...>, else first.
    match html
        .to_ascii_lowercase()
        .find("<body")
        .and_then(|start| html[start..].find('>').map(|end| start + end + 1))
    {
        Some(at) => format!("{}\n{paragraph}{}", &html[..at], &html[at..]),
        None => format!("{paragraph}\n{html}"),
    }
}

/// Checks an edited template before it is saved: HTML escaping stays on,
/// only known variables, and it renders sample data of every shape (test or
/// not, with or without location) within the work a render may do.
pub fn validate(t: &NotificationTemplate) -> Result<(), TemplateError> {
    let env = environment();
    for (part, source) in [
        ("subject", &t.subject),
        ("html", &t.html),
        ("text", &t.text),
    ] {
        check_part(&env, part, source)?;
    }
    for (test, location) in [(false, true), (true, true), (false, false), (true, false)] {
        render(t, &sample_data(test, location))?;
    }
    render(
        t,
        &NotificationData {
            sent_to_fallback: true,
            ..sample_data(false, true)
        },
    )?;
    // The call had already ended when the e-mail was written.
    render(
        t,
        &NotificationData {
            callback_valid_until: Some("2026-11-24 06:10 UTC".into()),
            ..sample_data(false, true)
        },
    )?;
    Ok(())
}

/// What a part must be before any render: it compiles, keeps HTML escaping
/// on and names only known variables.
pub(super) fn check_part(
    env: &Environment<'static>,
    part: &'static str,
    source: &str,
) -> Result<(), TemplateError> {
    let known: BTreeSet<&str> = VARIABLES.into_iter().collect();
    let tmpl = compile(env, part, source)?;
    let unknown: Vec<String> = tmpl
        .undeclared_variables(false)
        .into_iter()
        .filter(|v| !known.contains(v.as_str()))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let line = unknown
        .first()
        .and_then(|v| source.lines().position(|l| l.contains(v.as_str())))
        .map(|i| i + 1);
    Err(TemplateError {
        part,
        line,
        kind: TemplateErrorKind::Invalid,
        detail: format!(
            "unknown variable {}; known: {}",
            unknown.join(", "),
            VARIABLES.join(", ")
        ),
    })
}
