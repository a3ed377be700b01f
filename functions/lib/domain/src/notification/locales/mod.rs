//! The built-in template family of each locale. Each locale gives its words
//! ([`Phrases`], one file per locale); the e-mail's HTML and text, the chat
//! text and the subject are laid out here from them, once for every locale,
//! so a fix to the layout reaches them all. The SMS texts are written per
//! locale, to fit two segments in that language. English's alert e-mail is
//! today's template (`infra/templates/emergency-call-notification/`).

mod da;
mod de;
mod en;
mod es;
mod fr;

use std::borrow::Cow;

use super::kind::{MessageKind, Part, PartKey};
use crate::locale::Locale;

/// A locale's words. Each is template source: it may use the variables
/// (`{{ agent_name }}`) and `{% if %}`; none holds `<` or `&`, since the
/// HTML part uses them as they are.
pub(crate) struct Phrases {
    /// What a drill's message says first, in every part (`TEST`).
    pub test: &'static str,
    /// After it: what a drill is.
    pub test_banner: &'static str,
    /// A message to the fallback recipients says so first.
    pub fallback_note: &'static str,
    /// Per kind (alert, escalation, follow-up, correction): the subject
    /// (after the drill's marker) and the heading.
    pub subject: [&'static str; 4],
    pub heading: [&'static str; 4],
    /// Who dialed what.
    pub who: &'static str,
    /// An escalation's first line.
    pub escalated: &'static str,
    /// A follow-up's first line.
    pub ended: &'static str,
    /// A correction's lines: which message it corrects, what changed, and
    /// that nothing else did.
    pub correction_intro: &'static str,
    pub corrected: &'static str,
    pub stands: &'static str,
    pub labels: Labels,
    /// Between a label and its value (French puts a space before the colon).
    pub colon: &'static str,
    /// After a local time: `(local)`.
    pub local: &'static str,
    /// How long the callback number stays the agent's.
    pub window: &'static str,
    /// No number could be leased: the agent's own was presented.
    pub own_number: &'static str,
    pub no_location: &'static str,
    pub profile_country: &'static str,
    /// The coordinates' radius: `within {{ radius_m }} m`.
    pub within: &'static str,
    pub callback_came: &'static str,
    pub callback_none: &'static str,
    pub misdial: &'static str,
    pub callback_note: &'static str,
    /// The acknowledgement link's words: above it in the e-mail's HTML.
    pub ack_note: &'static str,
    /// Per kind: the SMS, whole (two segments at most with long values).
    pub sms: [&'static str; 4],
    /// The words the data holds.
    pub data: DataWords,
}

pub(crate) struct Labels {
    pub when: &'static str,
    pub callback: &'static str,
    pub location: &'static str,
    pub route: &'static str,
    pub duration: &'static str,
    pub source: &'static str,
    pub reference: &'static str,
    pub ack: &'static str,
}

/// The descriptions [`super::NotificationData::localized`] puts in the data.
pub(crate) struct DataWords {
    /// Dispatchable, partial, country only.
    pub quality: [&'static str; 3],
    /// Call, registered, profile country.
    pub source: [&'static str; 3],
    /// Direct offer, direct routing.
    pub route: [&'static str; 2],
    pub unknown_number: &'static str,
}

pub(crate) fn phrases(locale: Locale) -> &'static Phrases {
    match locale {
        Locale::En => &en::PHRASES,
        Locale::Es => &es::PHRASES,
        Locale::Fr => &fr::PHRASES,
        Locale::De => &de::PHRASES,
        Locale::Da => &da::PHRASES,
    }
}

fn index(kind: MessageKind) -> usize {
    match kind {
        MessageKind::Alert => 0,
        MessageKind::Escalation => 1,
        MessageKind::FollowUp => 2,
        MessageKind::Correction => 3,
    }
}

/// The built-in source of one part of `locale`'s family.
pub(crate) fn builtin_source(locale: Locale, key: PartKey) -> Cow<'static, str> {
    if locale == Locale::En && key.kind == MessageKind::Alert {
        match key.part {
            Part::Subject => return Cow::Borrowed(en::ALERT_SUBJECT),
            Part::Html => return Cow::Borrowed(en::ALERT_HTML),
            Part::Text => return Cow::Borrowed(en::ALERT_TEXT),
            Part::Sms | Part::Chat => {}
        }
    }
    let p = phrases(locale);
    Cow::Owned(match key.part {
        Part::Subject => format!(
            "{{% if test %}}{} - {{% endif %}}{}",
            p.test,
            p.subject[index(key.kind)]
        ),
        Part::Html => html(locale, p, key.kind),
        Part::Text => text(p, key.kind),
        Part::Sms => p.sms[index(key.kind)].to_string(),
        Part::Chat => chat(p, key.kind),
    })
}

/// The location, on one line.
fn location(p: &Phrases) -> String {
    format!(
        "{{% if location_provided %}}{{% if location_lines %}}{{{{ location_lines|join(\", \") }}}}\
         {{% elif country %}}{{{{ country }}}}{{% endif %}}{{% if latitude is not none %}} \
         ({{{{ latitude }}}}, {{{{ longitude }}}}{{% if radius_m is not none %}}, {within}{{% endif %}}){{% endif %}}{{% else %}}{no}{{% if country %}} \
         ({country}{colon}{{{{ country }}}}){{% endif %}}{{% endif %}}",
        colon = p.colon,
        within = p.within,
        no = p.no_location,
        country = p.profile_country,
    )
}

/// The callback number and how long it stays the agent's.
fn callback(p: &Phrases) -> String {
    format!(
        "{{{{ callback_number }}}}{{% if callback_is_agent_number %}} ({own}){{% else %}}, \
         {window}{{% endif %}}",
        own = p.own_number,
        window = p.window
    )
}

fn when(p: &Phrases) -> String {
    format!(
        "{{{{ dialed_at_utc }}}}{{% if dialed_at_local %}} ({{{{ dialed_at_local }}}}, {}){{% endif %}}",
        p.local
    )
}

/// What a follow-up says after the duration.
fn outcome(p: &Phrases) -> String {
    format!(
        "{{% if callback_received %}}{}{{% else %}}{}{{% endif %}}",
        p.callback_came, p.callback_none
    )
}

/// Label and value pairs, per kind (not the correction's: it is short).
fn facts(p: &Phrases, kind: MessageKind) -> Vec<(&'static str, String)> {
    let l = &p.labels;
    let mut rows = vec![(l.when, when(p)), (l.callback, callback(p))];
    if kind == MessageKind::FollowUp {
        rows.insert(0, (l.duration, "{{ duration }}".to_string()));
        return rows;
    }
    let quality = format!(
        "{{% if location_quality_description %}}. {{{{ location_quality_description }}}}{{% endif %}}\
         {{% if location_source_description %}}. {}{}{{{{ location_source_description }}}}{{% endif %}}",
        l.source, p.colon
    );
    rows.push((l.location, format!("{}{quality}", location(p))));
    rows.push((l.route, "{{ route_description }}".to_string()));
    rows
}

/// One of a kind's own lines, and the variable it is shown on (none: always).
struct Line {
    when: Option<&'static str>,
    text: String,
}

impl Line {
    fn always(text: String) -> Self {
        Line { when: None, text }
    }

    /// The line as template source, with `end` after it when shown.
    fn source(&self, start: &str, end: &str) -> String {
        match self.when {
            None => format!("{start}{}{end}", self.text),
            Some(v) => format!("{{% if {v} %}}{start}{}{end}{{% endif %}}", self.text),
        }
    }
}

/// The kind's own lines, before the facts.
fn lead(p: &Phrases, kind: MessageKind) -> Vec<Line> {
    match kind {
        MessageKind::Alert => vec![Line::always(format!("{}.", p.who))],
        MessageKind::Escalation => vec![
            Line::always(p.escalated.to_string()),
            Line::always(format!("{}.", p.who)),
        ],
        MessageKind::FollowUp => vec![
            Line::always(format!("{} {}.", p.ended, p.who)),
            Line::always(outcome(p)),
            Line {
                when: Some("possible_misdial"),
                text: p.misdial.to_string(),
            },
        ],
        MessageKind::Correction => vec![
            Line::always(p.correction_intro.to_string()),
            Line::always(p.corrected.to_string()),
            Line::always(p.stands.to_string()),
        ],
    }
}

fn text(p: &Phrases, kind: MessageKind) -> String {
    let mut out = format!(
        "{{% if test %}}{}{}{}\n\n{{% endif %}}{{% if sent_to_fallback %}}{}\n\n{{% endif %}}{}\n\n",
        p.test,
        p.colon,
        p.test_banner,
        p.fallback_note,
        p.heading[index(kind)].to_uppercase()
    );
    for line in lead(p, kind) {
        out.push_str(&line.source("", "\n"));
    }
    out.push('\n');
    if kind != MessageKind::Correction {
        for (label, value) in facts(p, kind) {
            out.push_str(&format!("{label}{}{value}\n", p.colon));
        }
        out.push('\n');
        out.push_str(p.callback_note);
        out.push_str("\n\n");
    }
    out.push_str(&format!(
        "{{% if ack_link %}}{ack}{colon}{{{{ ack_link }}}}\n\n{{% endif %}}{reference}{colon}{{{{ reference }}}}\n",
        ack = p.labels.ack,
        reference = p.labels.reference,
        colon = p.colon
    ));
    out
}

fn chat(p: &Phrases, kind: MessageKind) -> String {
    let mut out = format!(
        "{{% if test %}}{}{}{}\n{{% endif %}}{{% if sent_to_fallback %}}{}\n{{% endif %}}*{}*\n",
        p.test,
        p.colon,
        p.test_banner,
        p.fallback_note,
        p.heading[index(kind)]
    );
    for line in lead(p, kind) {
        out.push_str(&line.source("", "\n"));
    }
    if kind != MessageKind::Correction {
        for (label, value) in facts(p, kind) {
            out.push_str(&format!("{label}{}{value}\n", p.colon));
        }
    }
    out.push_str(&format!(
        "{{% if ack_link %}}{ack}{colon}{{{{ ack_link }}}}\n{{% endif %}}{reference}{colon}{{{{ reference }}}}",
        ack = p.labels.ack,
        reference = p.labels.reference,
        colon = p.colon
    ));
    out
}

fn html(locale: Locale, p: &Phrases, kind: MessageKind) -> String {
    let k = index(kind);
    let mut out = format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{{% if test %}}{test} - {{% endif %}}{subject}</title>\n</head>\n\
         <body style=\"margin:0;padding:0;background:#f4f4f5;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#111827;\">\n\
         <div style=\"max-width:560px;margin:0 auto;padding:16px;\">\n\
         {{% if test %}}<div style=\"background:#1d4ed8;color:#ffffff;font-weight:700;font-size:18px;text-align:center;padding:12px;border-radius:8px 8px 0 0;\">{test}{colon}{banner}</div>\n{{% endif %}}\
         {{% if sent_to_fallback %}}<p style=\"font-size:14px;font-weight:700;color:#374151;margin:12px 4px;\">{fallback}</p>\n{{% endif %}}\
         <div style=\"background:#b91c1c;color:#ffffff;padding:16px;\">\n\
         <div style=\"font-size:22px;font-weight:700;\">{heading}</div>\n</div>\n\
         <div style=\"background:#ffffff;padding:8px 16px;font-size:15px;\">\n",
        lang = locale.as_str(),
        colon = p.colon,
        test = p.test,
        subject = p.subject[k],
        banner = p.test_banner,
        fallback = p.fallback_note,
        heading = p.heading[k],
    );
    for line in lead(p, kind) {
        out.push_str(&line.source("<p style=\"margin:8px 0;\">", "</p>\n"));
    }
    out.push_str("</div>\n");
    if kind != MessageKind::Correction {
        out.push_str("<table role=\"presentation\" style=\"width:100%;background:#ffffff;border-collapse:collapse;font-size:15px;\">\n");
        for (label, value) in facts(p, kind) {
            out.push_str(&format!(
                "<tr><td style=\"padding:8px 16px;color:#6b7280;width:34%;vertical-align:top;\">{label}</td>\
                 <td style=\"padding:8px 16px;\">{value}</td></tr>\n"
            ));
        }
        out.push_str("</table>\n");
        out.push_str(&format!(
            "<p style=\"font-size:13px;color:#6b7280;margin:12px 4px;\">{}</p>\n",
            p.callback_note
        ));
    }
    out.push_str(&format!(
        "{{% if ack_link %}}<p style=\"margin:16px 4px;\">{note}<br>\
         <a href=\"{{{{ ack_link }}}}\" style=\"color:#1d4ed8;font-weight:700;\">{{{{ ack_link }}}}</a></p>\n{{% endif %}}\
         <p style=\"font-size:13px;color:#6b7280;margin:12px 4px;\">{reference}{colon}{{{{ reference }}}}</p>\n</div>\n</body>\n</html>\n",
        note = p.ack_note,
        reference = p.labels.reference,
        colon = p.colon
    ));
    out
}
