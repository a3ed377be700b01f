//! Presence override (pure): Do Not Disturb while any of the agent's emergency
//! calls is in progress, then back to the status to restore.
//!
//! The state is a set algebra over call ids, so duplicate, late and
//! out-of-order events end in the same state: a call is *active* if its start
//! was seen and its end was not; an end seen first leaves a tombstone that
//! makes a late start a no-op. The status to restore is simply the last status
//! the platform reported: it is the status before the override unless the
//! platform reported a new one during it.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::call::CallChange;
use super::types::{AgentId, CallId, Invalid};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Available,
    Busy,
    Away,
    DoNotDisturb,
    Offline,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Available,
        Status::Busy,
        Status::Away,
        Status::DoNotDisturb,
        Status::Offline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Available => "available",
            Status::Busy => "busy",
            Status::Away => "away",
            Status::DoNotDisturb => "do_not_disturb",
            Status::Offline => "offline",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Status::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                let allowed: Vec<&str> = Status::ALL.iter().map(|v| v.as_str()).collect();
                Invalid(format!(
                    "`{s}` is not a status: use one of {}",
                    allowed.join(", ")
                ))
            })
    }
}

/// What an agent's presence is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceState {
    /// The status the platform last reported: shown when no override is in
    /// force, and the one restored when it ends.
    pub reported: Status,
    /// Emergency calls in progress, by dial time.
    pub active: BTreeMap<CallId, DateTime<Utc>>,
    /// Calls whose end was seen, by end time (a late start is then ignored).
    pub ended: BTreeMap<CallId, DateTime<Utc>>,
    /// The signed time (unix seconds) of the last report applied: an older
    /// request is a replay or a straggler, and must not undo a newer one.
    pub reported_signed_at: Option<i64>,
    /// Optimistic-concurrency version of the stored item.
    pub version: u64,
}

/// What the table says of a call an event names: whose it is, and whether
/// its end is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedCall {
    pub agent_id: AgentId,
    pub ended: bool,
}

/// Why a call event is not acted on: the table does not bear it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unconfirmed {
    /// No such call recorded (forged, or its record long expired).
    #[error("no such call is recorded")]
    UnknownCall,
    /// The call is another agent's.
    #[error("the call is another agent's")]
    WrongAgent,
    /// An end for a call whose record says it is still on.
    #[error("the call's end is not recorded")]
    NotEnded,
}

impl Unconfirmed {
    pub fn as_str(self) -> &'static str {
        match self {
            Unconfirmed::UnknownCall => "unknown_call",
            Unconfirmed::WrongAgent => "wrong_agent",
            Unconfirmed::NotEnded => "not_ended",
        }
    }
}

/// Whether the call's record bears `change` out. The stream publishes a
/// start after the record is written and an end after the end is, so a
/// genuine event always finds them; a forged one does not.
pub fn confirm(change: &CallChange, record: Option<&RecordedCall>) -> Result<(), Unconfirmed> {
    let record = record.ok_or(Unconfirmed::UnknownCall)?;
    if &record.agent_id != change.agent() {
        return Err(Unconfirmed::WrongAgent);
    }
    match change {
        CallChange::Ended { .. } if !record.ended => Err(Unconfirmed::NotEnded),
        _ => Ok(()),
    }
}

/// A report signed before the last one applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a report signed at {signed_at} is older than the one applied (signed at {applied})")]
pub struct StaleReport {
    pub signed_at: i64,
    pub applied: i64,
}

impl Default for PresenceState {
    /// An agent nobody reported on is taken as available.
    fn default() -> Self {
        PresenceState {
            reported: Status::Available,
            active: BTreeMap::new(),
            ended: BTreeMap::new(),
            reported_signed_at: None,
            version: 0,
        }
    }
}

/// What a reader is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresenceView {
    pub status: Status,
    pub override_active: bool,
}

/// How long tombstones are kept: longer than a stream keeps records (24 h).
pub const TOMBSTONE_RETENTION_HOURS: i64 = 48;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresencePolicy {
    /// An override whose calls never end is lifted after this long.
    pub stuck_limit: Duration,
}

impl Default for PresencePolicy {
    fn default() -> Self {
        PresencePolicy {
            stuck_limit: Duration::hours(4),
        }
    }
}

impl PresencePolicy {
    /// The override is in force while a call started less than the limit ago is active.
    pub fn view(&self, s: &PresenceState, now: DateTime<Utc>) -> PresenceView {
        let override_active = s.active.values().any(|at| *at + self.stuck_limit > now);
        PresenceView {
            status: if override_active {
                Status::DoNotDisturb
            } else {
                s.reported
            },
            override_active,
        }
    }

    /// Active calls past the limit (a crashed desktop never reported their end).
    pub fn stuck_calls(&self, s: &PresenceState, now: DateTime<Utc>) -> Vec<CallId> {
        s.active
            .iter()
            .filter(|(_, at)| **at + self.stuck_limit <= now)
            .map(|(c, _)| c.clone())
            .collect()
    }
}

impl PresenceState {
    /// An emergency call started. `false` when it changes nothing.
    pub fn start(&mut self, call: &CallId, at: DateTime<Utc>) -> bool {
        if self.ended.contains_key(call) || self.active.contains_key(call) {
            return false;
        }
        self.active.insert(call.clone(), at);
        true
    }

    /// An emergency call ended. `false` when it changes nothing.
    pub fn end(&mut self, call: &CallId, at: DateTime<Utc>) -> bool {
        if self.ended.contains_key(call) {
            return false;
        }
        self.active.remove(call);
        self.ended.insert(call.clone(), at);
        true
    }

    /// The platform reports a status. During an override it only changes the
    /// status to restore. `false` when it changes nothing.
    pub fn report(&mut self, status: Status) -> bool {
        let changed = self.reported != status;
        self.reported = status;
        changed
    }

    /// A report signed at `signed_at`: applied unless a later-signed one
    /// already was (the same second is not older: a retry, or two changes
    /// within it).
    pub fn report_signed(&mut self, status: Status, signed_at: i64) -> Result<bool, StaleReport> {
        if let Some(applied) = self.reported_signed_at.filter(|a| *a > signed_at) {
            return Err(StaleReport { signed_at, applied });
        }
        let newer = self.reported_signed_at != Some(signed_at);
        self.reported_signed_at = Some(signed_at);
        Ok(self.report(status) || newer)
    }

    /// Ends stuck calls as of `now` and drops old tombstones; the calls lifted.
    pub fn tidy(&mut self, policy: &PresencePolicy, now: DateTime<Utc>) -> Vec<CallId> {
        let stuck = policy.stuck_calls(self, now);
        for call in &stuck {
            self.active.remove(call);
            self.ended.insert(call.clone(), now);
        }
        let horizon = now - Duration::hours(TOMBSTONE_RETENTION_HOURS);
        self.ended.retain(|_, at| *at > horizon);
        stuck
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_496_400, 0).unwrap() + Duration::minutes(min)
    }
    fn c(s: &str) -> CallId {
        s.parse().unwrap()
    }
    fn p() -> PresencePolicy {
        PresencePolicy::default()
    }

    #[test]
    fn override_and_restore() {
        let mut s = PresenceState {
            reported: Status::Busy,
            ..Default::default()
        };
        assert_eq!(
            p().view(&s, t(0)),
            PresenceView {
                status: Status::Busy,
                override_active: false
            }
        );
        assert!(s.start(&c("c-1"), t(0)));
        assert_eq!(
            p().view(&s, t(1)),
            PresenceView {
                status: Status::DoNotDisturb,
                override_active: true
            }
        );
        assert!(s.end(&c("c-1"), t(5)));
        assert_eq!(p().view(&s, t(6)).status, Status::Busy);
    }

    #[test]
    fn second_call_keeps_the_first_saved_status_and_the_last_end_restores() {
        let mut s = PresenceState {
            reported: Status::Available,
            ..Default::default()
        };
        s.start(&c("c-1"), t(0));
        s.start(&c("c-2"), t(1));
        s.end(&c("c-1"), t(2));
        assert_eq!(
            p().view(&s, t(3)).status,
            Status::DoNotDisturb,
            "c-2 still live"
        );
        s.end(&c("c-2"), t(4));
        assert_eq!(p().view(&s, t(5)).status, Status::Available);
    }

    #[test]
    fn a_report_during_the_override_is_what_gets_restored() {
        let mut s = PresenceState::default();
        s.start(&c("c-1"), t(0));
        s.report(Status::Away);
        assert_eq!(
            p().view(&s, t(1)).status,
            Status::DoNotDisturb,
            "the report does not lift it"
        );
        s.end(&c("c-1"), t(2));
        assert_eq!(p().view(&s, t(3)).status, Status::Away);
    }

    #[test]
    fn end_before_start_and_duplicates() {
        let mut s = PresenceState::default();
        assert!(s.end(&c("c-1"), t(5)));
        assert!(
            !s.start(&c("c-1"), t(0)),
            "a late start after its end changes nothing"
        );
        assert!(!s.end(&c("c-1"), t(5)));
        assert!(!p().view(&s, t(6)).override_active);
        assert!(s.start(&c("c-2"), t(0)));
        assert!(!s.start(&c("c-2"), t(0)));
    }

    #[test]
    fn stuck_override_is_lifted_after_the_limit() {
        let mut s = PresenceState {
            reported: Status::Busy,
            ..Default::default()
        };
        s.start(&c("c-1"), t(0));
        assert!(p().view(&s, t(239)).override_active);
        let v = p().view(&s, t(240));
        assert_eq!(
            v,
            PresenceView {
                status: Status::Busy,
                override_active: false
            }
        );
        assert_eq!(s.tidy(&p(), t(240)), vec![c("c-1")]);
        assert!(s.active.is_empty());
        assert!(s.tidy(&p(), t(240 + 60 * 48 + 1)).is_empty());
        assert!(s.ended.is_empty(), "old tombstones dropped");
    }

    #[test]
    fn statuses_parse_and_name_the_allowed_values() {
        for st in Status::ALL {
            assert_eq!(st.as_str().parse::<Status>(), Ok(st));
        }
        let e = "lunch".parse::<Status>().unwrap_err();
        assert!(
            e.0.contains("available, busy, away, do_not_disturb, offline"),
            "{e}"
        );
    }

    #[test]
    fn a_call_event_acts_only_when_its_record_bears_it_out() {
        let a42: AgentId = "a-42".parse().unwrap();
        let started = CallChange::Started {
            agent: a42.clone(),
            call: c("c-1"),
            at: t(0),
        };
        let ended = CallChange::Ended {
            agent: a42.clone(),
            call: c("c-1"),
            at: t(5),
        };
        let on = RecordedCall {
            agent_id: a42.clone(),
            ended: false,
        };
        let over = RecordedCall {
            ended: true,
            ..on.clone()
        };
        let stranger = RecordedCall {
            agent_id: "a-9".parse().unwrap(),
            ended: true,
        };
        assert_eq!(confirm(&started, None), Err(Unconfirmed::UnknownCall));
        assert_eq!(
            confirm(&started, Some(&stranger)),
            Err(Unconfirmed::WrongAgent)
        );
        assert_eq!(confirm(&started, Some(&on)), Ok(()));
        // A start delivered after the end: borne out (the tombstone handles it).
        assert_eq!(confirm(&started, Some(&over)), Ok(()));
        assert_eq!(confirm(&ended, Some(&on)), Err(Unconfirmed::NotEnded));
        assert_eq!(confirm(&ended, Some(&over)), Ok(()));
        assert_eq!(
            confirm(&ended, Some(&stranger)),
            Err(Unconfirmed::WrongAgent)
        );
    }
}
