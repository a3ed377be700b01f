//! What a message is about, and the parts of a template family that write it.

use std::fmt;

/// What a message says. A drill (933, `urn:service:test.sos`) is no kind of
/// its own: every kind says TEST first when the call was one (`test`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageKind {
    /// The first alert: who dialed, when, the callback number, the location.
    Alert,
    /// The same alert, not acknowledged within a while, to the next tier.
    Escalation,
    /// At the call's end: how long it lasted, whether the callback came.
    FollowUp,
    /// The platform presented another caller ID than the alert named.
    Correction,
}

impl MessageKind {
    pub const ALL: [MessageKind; 4] = [
        MessageKind::Alert,
        MessageKind::Escalation,
        MessageKind::FollowUp,
        MessageKind::Correction,
    ];

    /// Its name in stored items and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            MessageKind::Alert => "alert",
            MessageKind::Escalation => "escalation",
            MessageKind::FollowUp => "follow-up",
            MessageKind::Correction => "correction",
        }
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a message goes: the recipient's channel.
pub use crate::recipient::Channel;

/// One template source of a message kind. The HTML part is HTML-escaped;
/// the others are text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    Subject,
    Html,
    Text,
    Sms,
    Chat,
}

impl Part {
    pub const ALL: [Part; 5] = [Part::Subject, Part::Html, Part::Text, Part::Sms, Part::Chat];

    /// The name the engine knows the part by: it escapes `html` only.
    pub const fn as_str(self) -> &'static str {
        match self {
            Part::Subject => "subject",
            Part::Html => "html",
            Part::Text => "text",
            Part::Sms => "sms",
            Part::Chat => "chat",
        }
    }

    /// The file an admin edits (today's three for the e-mail, as before).
    pub const fn file_name(self) -> &'static str {
        match self {
            Part::Subject => "subject.txt",
            Part::Html => "body.html",
            Part::Text => "body.txt",
            Part::Sms => "sms.txt",
            Part::Chat => "chat.txt",
        }
    }
}

/// One source of a family: which message, which part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartKey {
    pub kind: MessageKind,
    pub part: Part,
}

impl PartKey {
    pub const fn new(kind: MessageKind, part: Part) -> Self {
        PartKey { kind, part }
    }

    /// Every source of a family, the alert's e-mail first.
    pub fn all() -> impl Iterator<Item = PartKey> {
        MessageKind::ALL
            .into_iter()
            .flat_map(|k| Part::ALL.into_iter().map(move |p| PartKey::new(k, p)))
    }

    /// Its path in a template folder: the alert's parts at the top (today's
    /// layout), the other kinds' in a folder each (`escalation/sms.txt`).
    pub fn path(self) -> String {
        match self.kind {
            MessageKind::Alert => self.part.file_name().to_string(),
            k => format!("{}/{}", k.as_str(), self.part.file_name()),
        }
    }

    /// Its name in a stored item (`escalation.sms`).
    pub fn name(self) -> String {
        format!("{}.{}", self.kind.as_str(), self.part.as_str())
    }

    /// The key a stored name stands for.
    pub fn from_name(name: &str) -> Option<PartKey> {
        PartKey::all().find(|k| k.name() == name)
    }
}

impl fmt::Display for PartKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.part.as_str())
    }
}
