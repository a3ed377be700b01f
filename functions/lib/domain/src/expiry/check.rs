//! The presence check (pure): time ends an emergency override whose calls
//! never report an end, for calls no lease's expiry covers (a degraded call
//! presented the agent's own number and has no lease). One check per agent,
//! a one-time schedule at the earliest time the agent's override could be
//! stuck (a call's dial time + the active-call limit + a margin). A firing
//! lifts what is stuck and schedules the next check while calls not yet past
//! the limit still hold the override, so events in any order, duplicate and
//! late firings all end with the override lifted and nothing harmful done.
//!
//! Each agent has two schedule names, the firing one and the other: a
//! firing re-schedules under the other, because the scheduler deletes the
//! one that fired after it invoked its target (it could delete the new time
//! too if it were written to the same schedule).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{minute_at_or_after, ExpirySchedule, LeaseExpiry};
use crate::presence::{PresencePolicy, PresenceState};
use crate::types::{AgentId, CallId};

/// After a call's limit before its check fires: Scheduler fires within the
/// minute of its time, possibly before it, and the call must be past it.
pub const CHECK_MARGIN_SECS: i64 = 60;

/// What a presence check's schedule carries to callback-lease (its input).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresenceCheck {
    pub agent_id: AgentId,
    /// The limit of the call the check was first scheduled for: checked up
    /// to then even if that call's start is not stored yet when it fires.
    pub until: DateTime<Utc>,
    /// Under the agent's second schedule name (made by a firing).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub again: bool,
}

/// A schedule's input, as a firing hands it over: a lease's expiry (its own
/// shape, as ever), `{"presenceCheck": {...}}` (both callback-lease's), or
/// `{"escalation": {...}}` (the notifier's). Anything else is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ScheduleInput {
    Lease(LeaseExpiry),
    Presence {
        #[serde(rename = "presenceCheck")]
        check: PresenceCheck,
    },
    Escalation {
        #[serde(rename = "escalation")]
        firing: crate::escalation::EscalationFiring,
    },
}

impl ScheduleInput {
    /// The lease's expiry, if this is one.
    pub fn lease(&self) -> Option<&LeaseExpiry> {
        match self {
            ScheduleInput::Lease(e) => Some(e),
            _ => None,
        }
    }

    /// The presence check, if this is one.
    pub fn presence_check(&self) -> Option<&PresenceCheck> {
        match self {
            ScheduleInput::Presence { check } => Some(check),
            _ => None,
        }
    }
}

/// The longest agent id a schedule name spells out; a longer one, or one
/// with `:` or `@` (not allowed in a name), is named by its hash.
const READABLE_AGENT_MAX: usize = 40;

/// The agent's check's schedule name (`again`: the second one). Schedule
/// names allow letters, digits, `-`, `_`, `.`, up to 64 characters.
pub fn check_name(agent: &AgentId, again: bool) -> String {
    let a = agent.as_str();
    let readable = a.len() <= READABLE_AGENT_MAX
        && a.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    let key = if readable {
        format!("a-{a}")
    } else {
        let digest = Sha256::digest(a.as_bytes());
        format!("h-{}", &hex::encode(digest)[..32])
    };
    let slot = if again { "presence-again" } else { "presence" };
    format!("{slot}-{key}")
}

/// When a call dialed at `dialed_at` is past the limit.
pub fn limit_of(policy: &PresencePolicy, dialed_at: DateTime<Utc>) -> DateTime<Utc> {
    dialed_at + policy.stuck_limit
}

/// The earliest limit of a stored active call still ahead of `now` (a call
/// already past it is stuck: the next firing lifts it).
fn earliest_ahead(
    policy: &PresencePolicy,
    state: &PresenceState,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    state
        .active
        .values()
        .map(|at| limit_of(policy, *at))
        .filter(|limit| *limit > now)
        .min()
}

fn schedule(check: PresenceCheck, due: DateTime<Utc>, now: DateTime<Utc>) -> ExpirySchedule {
    let margin = Duration::seconds(CHECK_MARGIN_SECS);
    ExpirySchedule {
        name: check_name(&check.agent_id, check.again),
        at: minute_at_or_after(due.max(now) + margin),
        input: ScheduleInput::Presence { check },
        // Usually none pending (the last one fired and was deleted): create.
        moved: false,
    }
}

/// The check a call's start calls for, for a call with no lease: at its own
/// limit, or earlier if a stored call of the agent's reaches it first (so a
/// call whose end never comes is lifted at its limit even when a later call
/// ended). `None` when the call's end is already stored (a late start).
pub fn check_on_start(
    policy: &PresencePolicy,
    agent: &AgentId,
    call: &CallId,
    dialed_at: DateTime<Utc>,
    stored: Option<&PresenceState>,
    now: DateTime<Utc>,
) -> Option<ExpirySchedule> {
    if stored.is_some_and(|s| s.ended.contains_key(call)) {
        return None;
    }
    let own = limit_of(policy, dialed_at);
    let due = stored
        .and_then(|s| earliest_ahead(policy, s, now))
        .map_or(own, |other| other.min(own));
    let check = PresenceCheck {
        agent_id: agent.clone(),
        until: own,
        again: false,
    };
    Some(schedule(check, due, now))
}

/// The next check after `fired` lifted what was stuck (`state`: the stored
/// presence after): while a stored call not yet past the limit holds the
/// override, or the fired check's own call may still be on its way, under
/// the other name. `None`: nothing left for time to end.
pub fn check_after_firing(
    policy: &PresencePolicy,
    fired: &PresenceCheck,
    state: &PresenceState,
    now: DateTime<Utc>,
) -> Option<ExpirySchedule> {
    let pending = (fired.until > now).then_some(fired.until);
    let stored = earliest_ahead(policy, state, now);
    let due = match (stored, pending) {
        (Some(s), Some(p)) => s.min(p),
        (one, other) => one.or(other)?,
    };
    let check = PresenceCheck {
        agent_id: fired.agent_id.clone(),
        until: pending.unwrap_or(due).max(due),
        again: !fired.again,
    };
    Some(schedule(check, due, now))
}

#[cfg(test)]
mod tests;
