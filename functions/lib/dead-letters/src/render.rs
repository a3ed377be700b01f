//! How dead letters are shown: one line each (or JSON) for `list`,
//! everything for `show`. Every output passes through the redaction last, so
//! no full phone number gets out whatever field carried it, and through
//! [`printable`], so that no control character a letter carries acts on the
//! admin's terminal.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::letter::{DeadLetter, ReplayPlan, Source};
use super::redact::{mask_personal, redact_text};
use crate::printable;

/// A listing's reason and subject are cut to this many characters.
const LIST_FIELD_CHARS: usize = 80;

fn when(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

fn trimmed(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

/// One dead letter as a line of `list` shows it: every field on one line,
/// the subject and reason cut, redacted and made printable; `-` when absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    pub short_id: String,
    /// The queue's name, or `s3://bucket`.
    pub source: String,
    /// RFC 3339, to the second.
    pub at: String,
    pub kind: String,
    pub target: String,
    pub subject: String,
    pub reason: String,
}

impl ListRow {
    pub fn of(letter: &DeadLetter) -> Self {
        let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        let cut = |v: &Option<String>| v.as_deref().map(|s| trimmed(s, LIST_FIELD_CHARS));
        let [short_id, source, at, kind, target, subject, reason] = [
            letter.short_id(),
            letter.source.name(),
            or_dash(when(letter.at)),
            letter.kind.as_str().to_string(),
            or_dash(letter.target.clone()),
            or_dash(cut(&letter.subject)),
            or_dash(cut(&letter.reason)),
        ]
        .map(|cell| redact_text(&printable::line(&cell)));
        ListRow {
            short_id,
            source,
            at,
            kind,
            target,
            subject,
            reason,
        }
    }

    /// In the listing's column order.
    fn cells(self) -> [String; 7] {
        [
            self.short_id,
            self.source,
            self.at,
            self.kind,
            self.target,
            self.subject,
            self.reason,
        ]
    }
}

/// `list`: a header and one line per dead letter (each a [`ListRow`]).
pub fn list_text(letters: &[DeadLetter]) -> String {
    let rows: Vec<[String; 7]> = letters.iter().map(|l| ListRow::of(l).cells()).collect();
    let header = ["ID", "SOURCE", "WHEN", "KIND", "TARGET", "SUBJECT", "WHY"].map(String::from);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String; 7]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (c, w))| match i {
                6 => c.clone(),
                _ => format!("{c:<w$}"),
            })
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = line(&header) + "\n";
    for row in &rows {
        out.push_str(&line(row));
        out.push('\n');
    }
    out
}

/// `list --json`: one object per dead letter (see [`list_entry`]), as an array.
pub fn list_json(letters: &[DeadLetter]) -> String {
    let entries: Vec<Value> = letters.iter().map(list_entry).collect();
    let text = serde_json::to_string_pretty(&entries).unwrap_or_else(|_| "[]".into());
    redact_text(&printable::json(&text))
}

/// One dead letter in `list --json`:
/// `{"id","shortId","source","sourceType","kind","at","target","reason",
/// "subject","replayable","replay"}` (absent values are `null`).
pub fn list_entry(letter: &DeadLetter) -> Value {
    json!({
        "id": letter.id,
        "shortId": letter.short_id(),
        "source": match &letter.source {
            Source::Queue(q) => q.name.clone(),
            Source::Bucket(b) => b.clone(),
        },
        "sourceType": match letter.source {
            Source::Queue(_) => "queue",
            Source::Bucket(_) => "bucket",
        },
        "kind": letter.kind.as_str(),
        "at": when(letter.at),
        "target": letter.target,
        "reason": letter.reason.as_deref().map(|s| trimmed(s, LIST_FIELD_CHARS * 2)),
        "subject": letter.subject,
        "replayable": letter.replay.is_replayable(),
        "replay": letter.replay.describe(),
    })
}

/// `show`: everything about one dead letter. Unless `raw`, addresses,
/// coordinates, e-mail addresses and phone numbers are masked.
pub fn show_text(letter: &DeadLetter, raw: bool) -> String {
    let mut out = String::new();
    let mut field = |name: &str, value: &str| {
        out.push_str(&format!("{name:<10} {}\n", printable::line(value)));
    };
    field("id:", &letter.id);
    field("source:", &letter.source.name());
    field("kind:", letter.kind.as_str());
    field("when:", &when(letter.at).unwrap_or_else(|| "-".into()));
    field("target:", letter.target.as_deref().unwrap_or("-"));
    field("why:", letter.reason.as_deref().unwrap_or("-"));
    field("subject:", letter.subject.as_deref().unwrap_or("-"));
    let replay = match &letter.replay {
        ReplayPlan::Invoke {
            function,
            stream_batch,
            ..
        } => format!(
            "invoke {} synchronously{}",
            function.name(),
            if *stream_batch {
                " (a stream batch: no record may fail)"
            } else {
                ""
            }
        ),
        ReplayPlan::SendBack { queue, .. } => format!("send the body back to {queue}"),
        ReplayPlan::Refused { why } => format!("refused (never invoked): {why}"),
        ReplayPlan::Never { why } => format!("not replayable: {why}"),
    };
    field("replay:", &replay);
    if !letter.attributes.is_empty() {
        out.push_str("attributes:\n");
        for (k, v) in &letter.attributes {
            let (k, v) = (printable::line(k), printable::line(v));
            out.push_str(&format!("  {k}: {v}\n"));
        }
    }
    let payload = if raw {
        letter.payload.clone()
    } else {
        mask_personal(&letter.payload)
    };
    let pretty = match &payload {
        Value::String(s) => printable::text(s).into_owned(),
        v => printable::json(&serde_json::to_string_pretty(v).unwrap_or_default()).into_owned(),
    };
    out.push_str("payload:\n");
    out.push_str(&pretty);
    out.push('\n');
    if raw {
        out
    } else {
        redact_text(&out)
    }
}
