//! A timeline entry: when, what kind, its details, and the discriminator
//! that tells two entries of one kind at one time apart (the store's sort
//! key is made of the three, so a redelivered event writes the same key).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::degraded::DegradedReason;
use crate::location::LocationQuality;
use crate::types::{LeaseId, E164};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// The dial was answered (caller ID, degraded reason, location quality).
    Dialed,
    /// Do Not Disturb set for the call.
    DndOn,
    /// An alert went out on a channel to a recipient.
    Alerted,
    /// An alert could not be sent (why).
    Failed,
    Acknowledged,
    Escalated,
    /// A callback to the leased number reached the agent.
    Callback,
    Ended,
    /// Do Not Disturb off again.
    Restored,
    /// The callback number's lease released.
    Released,
    FollowUp,
}

impl EntryKind {
    pub const ALL: [EntryKind; 11] = [
        EntryKind::Dialed,
        EntryKind::DndOn,
        EntryKind::Alerted,
        EntryKind::Failed,
        EntryKind::Acknowledged,
        EntryKind::Escalated,
        EntryKind::Callback,
        EntryKind::Ended,
        EntryKind::Restored,
        EntryKind::Released,
        EntryKind::FollowUp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Dialed => "dialed",
            EntryKind::DndOn => "dnd_on",
            EntryKind::Alerted => "alerted",
            EntryKind::Failed => "failed",
            EntryKind::Acknowledged => "acknowledged",
            EntryKind::Escalated => "escalated",
            EntryKind::Callback => "callback",
            EntryKind::Ended => "ended",
            EntryKind::Restored => "restored",
            EntryKind::Released => "released",
            EntryKind::FollowUp => "follow_up",
        }
    }
}

impl std::fmt::Display for EntryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind (or state) this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown incident kind `{0}`")]
pub struct UnknownKind(pub String);

impl std::str::FromStr for EntryKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, UnknownKind> {
        EntryKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

/// An entry's details: those of its kind set, the others absent. A
/// recipient may be an address or a number (JSON carries it; the CLI's
/// table masks it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryDetail {
    /// dialed: the caller ID the PSAP was shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_id: Option<E164>,
    /// dialed: why the answer was degraded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degraded: Option<DegradedReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_quality: Option<LocationQuality>,
    /// dialed: a test call (933).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
    /// dialed, released: the callback number's lease.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_id: Option<LeaseId>,
    /// alerted, failed, acknowledged: the channel's name (`email`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// failed: why; alerted: what the sender reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// acknowledged, escalated: who.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// dnd_on, restored: the presence status shown after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// callback: whether it connected to the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connected: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One timeline entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub kind: EntryKind,
    /// Tells entries of one kind at one time apart (a channel and
    /// recipient, an acknowledger, a lease): part of the store's key only.
    #[serde(skip)]
    pub discriminator: String,
    #[serde(flatten)]
    pub detail: EntryDetail,
}

impl Entry {
    pub fn new(at: DateTime<Utc>, kind: EntryKind, discriminator: impl Into<String>) -> Entry {
        Entry {
            at,
            kind,
            discriminator: discriminator.into(),
            detail: EntryDetail::default(),
        }
    }

    pub fn with(mut self, detail: EntryDetail) -> Entry {
        self.detail = detail;
        self
    }

    /// The entry's sort key: `T#<at>#<kind>#<discriminator>`, `at` in
    /// RFC 3339 with milliseconds (fixed width, so keys sort by time).
    pub fn sort_key(&self) -> String {
        format!(
            "T#{}#{}#{}",
            self.at.to_rfc3339_opts(SecondsFormat::Millis, true),
            self.kind,
            self.discriminator
        )
    }
}

/// A discriminator for free text (a recipient, an acknowledger): a short
/// hash, so no address or number ends up in a key.
pub fn hashed(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..6])
}
