//! The incident of an emergency call (pure): one per call record (its
//! `callId`; a reused platform id's later records, `c-1~2`, are incidents of
//! their own), its head (state, drill, acknowledgement, when it opened and
//! closed) and its timeline (what happened, each entry once).
//!
//! The head is a fold of the timeline ([`Incident::fold`]), so entries that
//! arrive late, twice or out of order end in the same head. Only the
//! acknowledgement is not folded: the first one recorded wins
//! ([`acknowledge`]), as the store's conditional write decides.
//!
//! **Closed** when the call has ended and its Do Not Disturb is off again
//! (`restored`), or when the call has ended and no Do Not Disturb was
//! recorded for it (an agent without an override has nothing to restore).
//! A `dnd_on` that arrives after the end (delivery out of order) reopens
//! the incident until its `restored` comes.

mod entry;
mod plan;

pub use entry::{hashed, Entry, EntryDetail, EntryKind, UnknownKind};
pub use plan::{dialed_entry, plan, Planned, Target};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::types::{AgentId, CallId, LeaseId};

/// Open until the call has ended and its Do Not Disturb is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    Open,
    Closed,
}

impl IncidentState {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentState::Open => "open",
            IncidentState::Closed => "closed",
        }
    }
}

impl std::str::FromStr for IncidentState {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, UnknownKind> {
        match s {
            "open" => Ok(IncidentState::Open),
            "closed" => Ok(IncidentState::Closed),
            other => Err(UnknownKind(other.to_string())),
        }
    }
}

/// Who acknowledged the alert, when, through which channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Acknowledgement {
    pub by: String,
    pub at: DateTime<Utc>,
    pub channel: String,
}

impl Acknowledgement {
    /// Its timeline entry (every acknowledgement has one, first or not).
    pub fn entry(&self) -> Entry {
        Entry::new(
            self.at,
            EntryKind::Acknowledged,
            hashed(&[&self.by, &self.channel]),
        )
        .with(EntryDetail {
            by: Some(self.by.clone()),
            channel: Some(self.channel.clone()),
            ..EntryDetail::default()
        })
    }
}

/// The incident's head: what its timeline adds up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Incident {
    pub call_id: CallId,
    pub agent_id: AgentId,
    pub state: IncidentState,
    /// A test call (933, `urn:service:test.sos`): an exercise.
    pub drill: bool,
    /// When dialed (the earliest entry until the dial's entry is there).
    pub opened_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// The first acknowledgement (later ones are only in the timeline).
    pub acknowledged: Option<Acknowledgement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated_at: Option<DateTime<Utc>>,
    /// The callback-number lease the call's record names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_id: Option<LeaseId>,
    /// Do Not Disturb was set for the call and is not yet off again.
    #[serde(default)]
    pub dnd_held: bool,
}

impl Incident {
    /// The head `timeline` adds up to, `acknowledged` as stored. `None` for
    /// an empty timeline (no incident yet).
    pub fn fold(
        call_id: &CallId,
        agent_id: &AgentId,
        acknowledged: Option<Acknowledgement>,
        timeline: &[Entry],
    ) -> Option<Incident> {
        let first = |kind: EntryKind| {
            timeline
                .iter()
                .filter(|e| e.kind == kind)
                .min_by_key(|e| e.at)
        };
        let last = |kind: EntryKind| {
            timeline
                .iter()
                .filter(|e| e.kind == kind)
                .max_by_key(|e| e.at)
        };
        let earliest = timeline.iter().map(|e| e.at).min()?;
        let dialed = first(EntryKind::Dialed);
        let ended = first(EntryKind::Ended).map(|e| e.at);
        let dnd_on = last(EntryKind::DndOn).map(|e| e.at);
        let restored = last(EntryKind::Restored).map(|e| e.at);
        // Held while the last DND on is later than the last DND off: a
        // restore read before its DND on (out of order) still counts.
        let dnd_held = match (dnd_on, restored) {
            (Some(on), Some(off)) => on > off,
            (on, _) => on.is_some(),
        };
        let closed_at = match (ended, dnd_on, restored) {
            (Some(_), Some(_), _) if dnd_held => None,
            (Some(end), Some(_), Some(off)) => Some(end.max(off)),
            (Some(end), _, _) => Some(end),
            _ => None,
        };
        Some(Incident {
            call_id: call_id.clone(),
            agent_id: agent_id.clone(),
            state: match closed_at {
                Some(_) => IncidentState::Closed,
                None => IncidentState::Open,
            },
            drill: dialed.is_some_and(|d| d.detail.test),
            opened_at: dialed.map_or(earliest, |d| d.at),
            closed_at,
            acknowledged,
            escalated_at: first(EntryKind::Escalated).map(|e| e.at),
            lease_id: dialed.and_then(|d| d.detail.lease_id.clone()),
            dnd_held,
        })
    }

    pub fn is_open(&self) -> bool {
        self.state == IncidentState::Open
    }

    /// Whether the agent's Do Not Disturb lifted at `at` concerns this
    /// incident: the agent's, dialed before, and open or dialed since
    /// `since` (the override's reach: the active-call limit). Not only those
    /// whose DND on is recorded, nor only open ones: a DND on read late
    /// (out of order) reopens an incident its restore must close again.
    pub fn restored_by(&self, agent: &AgentId, at: DateTime<Utc>, since: DateTime<Utc>) -> bool {
        &self.agent_id == agent
            && self.opened_at <= at
            && (self.is_open() || self.opened_at >= since)
    }

    /// Whether the release of `lease` (of `agent`) ends this call's callback number.
    pub fn released_by(&self, agent: &AgentId, lease: &LeaseId) -> bool {
        &self.agent_id == agent && self.lease_id.as_ref() == Some(lease)
    }
}

/// A timeline in order: by time, then by kind in the order things happen
/// (stored times may be whole seconds: a dial and its e-mail can share one).
pub fn sort_timeline(timeline: &mut [Entry]) {
    timeline.sort_by_key(|e| (e.at, e.kind));
}

/// What an acknowledgement does to the head: whether it is the first, and
/// the one that stands (the earlier one when it is not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckDecision {
    pub first: bool,
    /// Who acknowledged before (none when this one is the first).
    pub previous: Option<Acknowledgement>,
    pub standing: Acknowledgement,
}

/// First acknowledgement wins: a later one (even one with an earlier `at`,
/// delivered late) is recorded in the timeline but does not replace it.
pub fn acknowledge(current: Option<&Acknowledgement>, new: &Acknowledgement) -> AckDecision {
    match current {
        None => AckDecision {
            first: true,
            previous: None,
            standing: new.clone(),
        },
        Some(c) => AckDecision {
            first: false,
            previous: Some(c.clone()),
            standing: c.clone(),
        },
    }
}

#[cfg(test)]
mod tests;
