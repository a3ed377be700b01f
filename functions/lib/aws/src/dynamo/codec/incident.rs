//! Incident items: the head (`INCIDENT#<callId>`/`HEAD`, type `incident`,
//! in the sparse `incidents` index by `incidentState` and `openedAt`) and
//! the timeline's entries (`T#<at>#<kind>#<discriminator>`, type
//! `incident_entry`). Times are RFC 3339 with nanoseconds: fixed width, so
//! `openedAt` sorts in the index, and exact, so a head read back equals the
//! fold it was saved from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use lifeline_app::ports::StoreError;
use lifeline_domain::incident::{
    Acknowledgement, Entry, EntryDetail, EntryKind, Incident, IncidentState,
};

use super::{decode_stored, encode_item, parse, parse_opt, Item};
use crate::dynamo::keys::{incident_entry_key, incident_head_key};

pub(crate) const HEAD_TYPE: &str = "incident";
const ENTRY_TYPE: &str = "incident_entry";

/// A stored incident time.
pub(crate) fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

mod nanos {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::stamp(*t))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| serde::de::Error::custom(format!("`{text}`: {e}")))
    }
}

mod nanos_opt {
    use chrono::{DateTime, Utc};
    use serde::{Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        t: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::nanos::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        super::nanos::deserialize(d).map(Some)
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AckItem {
    by: String,
    #[serde(with = "nanos")]
    at: DateTime<Utc>,
    channel: String,
}

impl AckItem {
    pub(crate) fn of(a: &Acknowledgement) -> Self {
        AckItem {
            by: a.by.clone(),
            at: a.at,
            channel: a.channel.clone(),
        }
    }
    fn ack(self) -> Acknowledgement {
        Acknowledgement {
            by: self.by,
            at: self.at,
            channel: self.channel,
        }
    }
}

/// The head as stored; `acknowledged` is written only by the conditional
/// acknowledgement, never with the rest.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HeadItem {
    call_id: String,
    agent_id: String,
    incident_state: IncidentState,
    drill: bool,
    #[serde(with = "nanos")]
    opened_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nanos_opt")]
    closed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nanos_opt")]
    escalated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease_id: Option<String>,
    #[serde(default)]
    dnd_held: bool,
    #[serde(default, skip_serializing)]
    acknowledged: Option<AckItem>,
    #[serde(default)]
    version: u64,
    /// Epoch seconds (the table's TTL).
    ttl: i64,
}

/// The head's optional attributes: removed when the head no longer has them.
pub(crate) const HEAD_OPTIONAL: [&str; 3] = ["closedAt", "escalatedAt", "leaseId"];

/// The head's item (without `acknowledged`), at `version`.
pub(crate) fn encode_head(
    head: &Incident,
    version: u64,
    ttl: DateTime<Utc>,
) -> Result<Item, StoreError> {
    let item = HeadItem {
        call_id: head.call_id.to_string(),
        agent_id: head.agent_id.to_string(),
        incident_state: head.state,
        drill: head.drill,
        opened_at: head.opened_at,
        closed_at: head.closed_at,
        escalated_at: head.escalated_at,
        lease_id: head.lease_id.as_ref().map(ToString::to_string),
        dnd_held: head.dnd_held,
        acknowledged: None,
        version,
        ttl: ttl.timestamp(),
    };
    encode_item(incident_head_key(&head.call_id), HEAD_TYPE, &item)
}

/// The head and its version.
pub(crate) fn decode_head(item: &Item) -> Result<(Incident, u64), StoreError> {
    let h: HeadItem = decode_stored(item)?;
    let corrupt = |detail: String| StoreError::Corrupt {
        key: super::item_key(item),
        detail,
    };
    Ok((
        Incident {
            call_id: parse("callId", &h.call_id).map_err(corrupt)?,
            agent_id: parse("agentId", &h.agent_id).map_err(corrupt)?,
            state: h.incident_state,
            drill: h.drill,
            opened_at: h.opened_at,
            closed_at: h.closed_at,
            acknowledged: h.acknowledged.map(AckItem::ack),
            escalated_at: h.escalated_at,
            lease_id: parse_opt("leaseId", h.lease_id.as_deref()).map_err(corrupt)?,
            dnd_held: h.dnd_held,
        },
        h.version,
    ))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntryItem {
    call_id: String,
    #[serde(with = "nanos")]
    at: DateTime<Utc>,
    kind: EntryKind,
    discriminator: String,
    /// Absent when empty: DynamoDB Local's stream writes an empty map as
    /// `{}` without its type, which no SDK reads (the stream stops there).
    #[serde(default, skip_serializing_if = "is_empty")]
    detail: EntryDetail,
    ttl: i64,
}

fn is_empty(d: &EntryDetail) -> bool {
    d == &EntryDetail::default()
}

pub(crate) fn encode_entry(
    call: &lifeline_domain::types::CallId,
    entry: &Entry,
    ttl: DateTime<Utc>,
) -> Result<Item, StoreError> {
    let item = EntryItem {
        call_id: call.to_string(),
        at: entry.at,
        kind: entry.kind,
        discriminator: entry.discriminator.clone(),
        detail: entry.detail.clone(),
        ttl: ttl.timestamp(),
    };
    encode_item(incident_entry_key(call, entry), ENTRY_TYPE, &item)
}

pub(crate) fn decode_entry(item: &Item) -> Result<Entry, StoreError> {
    let e: EntryItem = decode_stored(item)?;
    Ok(Entry {
        at: e.at,
        kind: e.kind,
        discriminator: e.discriminator,
        detail: e.detail,
    })
}
