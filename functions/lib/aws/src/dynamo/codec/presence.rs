//! An agent's presence (`AGENT#<id>`/`PRESENCE`): the reported status, the
//! emergency calls holding an override, and what readers were shown.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use lifeline_app::ports::StoreError;
use lifeline_domain::events::PresenceFacts;
use lifeline_domain::presence::{PresenceState, PresenceView};
use lifeline_domain::types::{AgentId, CallId};

use super::time::rfc3339;
use super::{decode_item, encode_item, parse, Item};
use crate::dynamo::keys::presence_key;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PresenceItem {
    agent_id: String,
    reported: String,
    /// What readers were shown at this write: for people and stream consumers.
    status: String,
    #[serde(default)]
    r#override: bool,
    /// Call → epoch seconds. Empty maps are left out: the Rust Streams SDK
    /// cannot parse an empty `M` in DynamoDB Local's GetRecords answers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    active_calls: BTreeMap<String, i64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    ended_calls: BTreeMap<String, i64>,
    /// The signed time (epoch seconds) of the last report applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reported_signed_at: Option<i64>,
    #[serde(with = "rfc3339")]
    updated_at: DateTime<Utc>,
    version: i64,
}

/// The state alone: what the presence port needs (older fields may be absent).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PresenceStateItem {
    reported: String,
    #[serde(default)]
    active_calls: BTreeMap<String, i64>,
    #[serde(default)]
    ended_calls: BTreeMap<String, i64>,
    #[serde(default)]
    reported_signed_at: Option<i64>,
    version: i64,
}

fn calls(name: &str, m: &BTreeMap<String, i64>) -> Result<BTreeMap<CallId, DateTime<Utc>>, String> {
    m.iter()
        .map(|(c, secs)| {
            let call = c.parse::<CallId>().map_err(|e| format!("{name}: {e}"))?;
            let at = DateTime::from_timestamp(*secs, 0).ok_or(format!("{name}: bad time"))?;
            Ok((call, at))
        })
        .collect()
}

fn epochs(m: &BTreeMap<CallId, DateTime<Utc>>) -> BTreeMap<String, i64> {
    m.iter()
        .map(|(c, t)| (c.to_string(), t.timestamp()))
        .collect()
}

impl TryFrom<PresenceStateItem> for PresenceState {
    type Error = String;
    fn try_from(p: PresenceStateItem) -> Result<Self, String> {
        Ok(PresenceState {
            reported: parse("reported", &p.reported)?,
            active: calls("activeCalls", &p.active_calls)?,
            ended: calls("endedCalls", &p.ended_calls)?,
            reported_signed_at: p.reported_signed_at,
            version: p.version.max(0) as u64,
        })
    }
}

/// `state` as written at `now`, shown as `view`: the stored version is the
/// next one.
pub(crate) fn encode_presence(
    agent: &AgentId,
    state: &PresenceState,
    view: PresenceView,
    now: DateTime<Utc>,
) -> Result<Item, StoreError> {
    let body = PresenceItem {
        agent_id: agent.to_string(),
        reported: state.reported.as_str().to_string(),
        status: view.status.as_str().to_string(),
        r#override: view.override_active,
        active_calls: epochs(&state.active),
        ended_calls: epochs(&state.ended),
        reported_signed_at: state.reported_signed_at,
        updated_at: now,
        version: state.version as i64 + 1,
    };
    encode_item(presence_key(agent), "presence", &body)
}

pub(crate) fn decode_presence(item: &Item) -> Result<PresenceState, StoreError> {
    decode_item::<PresenceStateItem, _>(item)
}

/// What the stream's events say of a presence item.
impl TryFrom<PresenceItem> for PresenceFacts {
    type Error = String;
    fn try_from(p: PresenceItem) -> Result<Self, String> {
        let state = PresenceState::try_from(PresenceStateItem {
            reported: p.reported,
            active_calls: p.active_calls,
            ended_calls: p.ended_calls,
            reported_signed_at: p.reported_signed_at,
            version: p.version,
        })?;
        Ok(PresenceFacts {
            agent_id: parse("agentId", &p.agent_id)?,
            override_active: p.r#override,
            status: p.status,
            reported: state.reported.as_str().to_string(),
            active_calls: state.active.into_keys().collect(),
            updated_at: p.updated_at,
        })
    }
}

pub(crate) fn decode_presence_facts(item: &Item) -> Result<PresenceFacts, StoreError> {
    decode_item::<PresenceItem, _>(item)
}
