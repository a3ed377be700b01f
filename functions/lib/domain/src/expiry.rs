//! The scheduled end of a lease (pure): one one-time schedule per lease, named
//! from it, moved whenever the lease's hold moves; a firing releases the lease
//! only if it is still the same lease (by identity: its version may have moved
//! without its hold) and past its hold, so early, duplicate and stale firings
//! change nothing and a late one still cleans up.

use chrono::{DurationRound, TimeDelta};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::lease::Lease;

pub mod check;
pub use check::{PresenceCheck, ScheduleInput};

/// What a schedule carries to the expiry handler (its input).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseExpiry {
    pub lease_id: String,
    pub number: String,
    /// The version when scheduled: for the logs only (a release goes by
    /// identity and hold, so a version that moved without the hold does not
    /// leave the lease unreleasable).
    pub version: u64,
    /// The agent who held it: the firing also lifts an emergency override
    /// whose calls never reported an end (absent on older schedules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
}

/// A one-time schedule to create or move: a lease's expiry, or an agent's
/// presence check (`check`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpirySchedule {
    /// Deterministic, so a retried record never makes a second schedule.
    pub name: String,
    /// When the lease stops being live (the check is due), rounded up to the
    /// next whole minute: Scheduler fires within the minute of `at()`,
    /// possibly before it.
    pub at: DateTime<Utc>,
    pub input: ScheduleInput,
    /// The schedule already exists (the lease's hold moved): update first.
    pub moved: bool,
}

pub fn schedule_name(lease_id: &str) -> String {
    format!("lease-{lease_id}")
}

/// The schedule a change of a number's lease calls for: a new lease, or a
/// hold that moved. `None` when nothing about the expiry changed (a release,
/// a duplicate record) or there is no live lease to expire.
pub fn schedule_change(old: Option<&Lease>, new: Option<&Lease>) -> Option<ExpirySchedule> {
    let new = new.filter(|l| l.released_at.is_none())?;
    let same_lease = old.is_some_and(|o| o.lease_id == new.lease_id && o.released_at.is_none());
    if same_lease && old.is_some_and(|o| o.hold_until == new.hold_until) {
        return None;
    }
    Some(ExpirySchedule {
        name: schedule_name(new.lease_id.as_str()),
        at: minute_at_or_after(new.hold_until),
        input: ScheduleInput::Lease(LeaseExpiry {
            lease_id: new.lease_id.to_string(),
            number: new.number.to_string(),
            version: new.version,
            agent_id: Some(new.agent.to_string()),
        }),
        moved: same_lease,
    })
}

/// `t` or the next whole minute after it.
pub fn minute_at_or_after(t: DateTime<Utc>) -> DateTime<Utc> {
    match t.duration_trunc(TimeDelta::minutes(1)) {
        Ok(floor) if floor == t => t,
        Ok(floor) => floor + TimeDelta::minutes(1),
        Err(_) => t,
    }
}

/// Whether a firing may release `lease` (what the store's condition checks):
/// the same lease, not released yet, past its hold.
pub fn may_release(lease: &Lease, expiry: &LeaseExpiry, now: DateTime<Utc>) -> bool {
    lease.lease_id.as_str() == expiry.lease_id
        && lease.released_at.is_none()
        && lease.hold_until <= now
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lease::{LeasePolicy, NewLease};
    use crate::numbers::Country;
    use chrono::Duration;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_496_400, 0).unwrap() + Duration::minutes(min)
    }

    fn lease() -> Lease {
        LeasePolicy::default().start(
            NewLease {
                id: "l-1".parse().unwrap(),
                number: "+14255550199".parse().unwrap(),
                country: Country::US,
                agent: "a-42".parse().unwrap(),
                call: "c-1".parse().unwrap(),
                fallback: vec![],
            },
            t(0),
        )
    }

    #[test]
    fn a_new_lease_and_a_moved_hold_schedule_the_same_name() {
        let p = LeasePolicy::default();
        let l = lease();
        let first = schedule_change(None, Some(&l)).unwrap();
        assert_eq!(first.name, format!("lease-{}", l.lease_id));
        assert_eq!(first.at, t(240), "held while the call is active");
        let ended = p.on_end(&l, &"c-1".parse().unwrap(), t(10)).unwrap();
        let moved = schedule_change(Some(&l), Some(&ended)).unwrap();
        assert_eq!(moved.name, first.name, "one schedule per lease, moved");
        assert!(!first.moved && moved.moved);
        assert_eq!(moved.at, t(70));
        // A hold off the minute is scheduled at the next whole minute.
        let off = p
            .on_end(&l, &"c-1".parse().unwrap(), t(10) + Duration::seconds(1))
            .unwrap();
        let at = schedule_change(Some(&l), Some(&off)).unwrap().at;
        assert_eq!(at, t(71), "never before the hold");
        assert!(at >= off.hold_until);
        assert_eq!(moved.input.lease().map(|e| e.version), Some(ended.version));
        assert_eq!(
            schedule_change(Some(&ended), Some(&ended)),
            None,
            "a duplicate record"
        );
        let mut released = ended.clone();
        released.released_at = Some(t(70));
        assert_eq!(
            schedule_change(Some(&ended), Some(&released)),
            None,
            "a release"
        );
        assert_eq!(schedule_change(Some(&ended), None), None);
    }

    #[test]
    fn only_the_same_lease_past_its_hold_is_released() {
        let p = LeasePolicy::default();
        let l = p.on_end(&lease(), &"c-1".parse().unwrap(), t(10)).unwrap();
        let e = LeaseExpiry {
            lease_id: l.lease_id.to_string(),
            number: l.number.to_string(),
            version: l.version,
            agent_id: None,
        };
        assert!(!may_release(&l, &e, t(69)), "not before the window closes");
        assert!(may_release(&l, &e, t(70)));
        assert!(may_release(&l, &e, t(500)), "a late firing still cleans up");
        let redialed = p.on_dial(&l, "c-2".parse().unwrap(), t(30));
        assert!(
            !may_release(&redialed, &e, t(70)),
            "the old firing after a re-dial: the hold moved on"
        );
        // A version that moved without the hold moving does not strand the
        // lease: past the hold, the same lease goes.
        let mut bumped = l.clone();
        bumped.version += 3;
        assert!(may_release(&bumped, &e, t(70)));
        let other = LeaseExpiry {
            lease_id: "l-other".into(),
            ..e.clone()
        };
        assert!(!may_release(&l, &other, t(500)), "another lease's firing");
        let mut released = l.clone();
        released.released_at = Some(t(70));
        assert!(!may_release(&released, &e, t(80)), "a duplicate firing");
    }
}
