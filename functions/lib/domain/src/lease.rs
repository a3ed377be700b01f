//! The callback-number lease state machine (pure).
//!
//! A lease stays live while any of the agent's emergency calls is active (up to
//! a limit, for desktops that crash and never report an end) and for the
//! callback window after the end of the last one — never less than the window
//! from the dial. After it, the number is quarantined before another agent can
//! have it, so a late callback never reaches a stranger.

use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeSet;

use super::numbers::Country;
use super::types::{AgentId, CallId, LeaseId, E164};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub number: E164,
    pub country: Country,
    pub agent: AgentId,
    pub lease_id: LeaseId,
    pub leased_at: DateTime<Utc>,
    pub last_dial_at: DateTime<Utc>,
    /// End of the callback window (what the answer reports).
    pub expires_at: DateTime<Utc>,
    /// End of liveness: the window, or longer while calls are active.
    pub hold_until: DateTime<Utc>,
    pub active_calls: BTreeSet<CallId>,
    /// Fallback targets for a callback the agent does not answer.
    pub fallback: Vec<String>,
    /// Optimistic-concurrency version, bumped on every change.
    pub version: u64,
    /// When the scheduled expiry released it (cleanup; a lease past its hold
    /// is over whether or not this is set).
    pub released_at: Option<DateTime<Utc>>,
}

impl Lease {
    /// Whether a callback to this number still belongs to the agent.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.released_at.is_none() && now < self.hold_until
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeasePolicy {
    pub window: Duration,
    pub quarantine: Duration,
    pub active_call_limit: Duration,
}

impl Default for LeasePolicy {
    fn default() -> Self {
        LeasePolicy {
            window: Duration::minutes(60),
            quarantine: Duration::minutes(60),
            active_call_limit: Duration::hours(4),
        }
    }
}

/// What a new lease is made of; its id comes from the caller (the domain
/// generates nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct NewLease {
    pub id: LeaseId,
    pub number: E164,
    pub country: Country,
    pub agent: AgentId,
    pub call: CallId,
    pub fallback: Vec<String>,
}

impl LeasePolicy {
    /// A fresh lease for the first emergency call of a window.
    pub fn start(&self, new: NewLease, now: DateTime<Utc>) -> Lease {
        let expires_at = now + self.window;
        Lease {
            number: new.number,
            country: new.country,
            agent: new.agent,
            lease_id: new.id,
            leased_at: now,
            last_dial_at: now,
            expires_at,
            hold_until: expires_at.max(now + self.active_call_limit),
            active_calls: BTreeSet::from([new.call]),
            fallback: new.fallback,
            version: 1,
            released_at: None,
        }
    }

    /// Another emergency call by the holder while the lease is live.
    pub fn on_dial(&self, lease: &Lease, call: CallId, now: DateTime<Utc>) -> Lease {
        let mut next = lease.clone();
        next.last_dial_at = next.last_dial_at.max(now);
        next.expires_at = next.expires_at.max(now + self.window);
        next.active_calls.insert(call);
        next.hold_until = self.hold(&next);
        next.version += 1;
        next
    }

    /// The end of one of the holder's calls; `None` when it changes nothing
    /// (a duplicate end, or a call this lease never carried).
    pub fn on_end(&self, lease: &Lease, call: &CallId, now: DateTime<Utc>) -> Option<Lease> {
        if !lease.active_calls.contains(call) {
            return None;
        }
        let mut next = lease.clone();
        next.active_calls.remove(call);
        next.expires_at = next.expires_at.max(now + self.window);
        next.hold_until = self.hold(&next);
        next.version += 1;
        Some(next)
    }

    /// The PSAP never saw this lease's number on `call` (the platform
    /// presented another): a lease that call alone started is released now,
    /// with no quarantine (nobody can call back a number they never saw);
    /// one that other calls presented loses the call and keeps its window.
    /// `None` when the lease does not carry the call.
    pub fn on_unseen(
        &self,
        lease: &Lease,
        call: &CallId,
        dialed_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<(Lease, DateTime<Utc>)> {
        if !lease.active_calls.contains(call) {
            return None;
        }
        let mut next = lease.clone();
        next.active_calls.remove(call);
        next.version += 1;
        if next.active_calls.is_empty() && lease.leased_at >= dialed_at {
            next.expires_at = now;
            next.hold_until = now;
            next.released_at = Some(now);
            return Some((next, now));
        }
        next.hold_until = self.hold(&next);
        let available_at = self.available_at(&next);
        Some((next, available_at))
    }

    fn hold(&self, lease: &Lease) -> DateTime<Utc> {
        if lease.active_calls.is_empty() {
            lease.expires_at
        } else {
            lease
                .expires_at
                .max(lease.last_dial_at + self.active_call_limit)
        }
    }

    /// When the number may go to another agent.
    pub fn available_at(&self, lease: &Lease) -> DateTime<Utc> {
        lease.hold_until + self.quarantine
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T05:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + Duration::minutes(min)
    }
    fn c(s: &str) -> CallId {
        s.parse().unwrap()
    }
    fn fresh(p: &LeasePolicy) -> Lease {
        p.start(
            NewLease {
                id: "l-1".parse().unwrap(),
                number: "+14255550199".parse().unwrap(),
                country: Country::US,
                agent: "a-42".parse().unwrap(),
                call: c("c-1"),
                fallback: vec![],
            },
            t(0),
        )
    }

    #[test]
    fn window_runs_from_end_of_last_call() {
        let p = LeasePolicy::default();
        let l = fresh(&p);
        assert_eq!(l.expires_at, t(60));
        assert!(l.is_live(t(200)), "active call keeps it live");
        assert!(!l.is_live(t(240)), "but not past the active-call limit");
        let ended = p.on_end(&l, &c("c-1"), t(10)).unwrap();
        assert_eq!(ended.expires_at, t(70));
        assert!(ended.is_live(t(69)));
        assert!(!ended.is_live(t(70)));
        assert_eq!(p.available_at(&ended), t(130));
        assert_eq!(ended.version, 2);
    }

    #[test]
    fn a_number_only_its_own_unseen_call_carried_is_free_at_once() {
        let p = LeasePolicy::default();
        let l = fresh(&p);
        let (next, available) = p.on_unseen(&l, &c("c-1"), t(0), t(1)).unwrap();
        assert_eq!(available, t(1), "no quarantine: nobody saw it");
        assert_eq!(next.released_at, Some(t(1)));
        assert!(!next.is_live(t(1)));
        assert_eq!(next.version, l.version + 1);
        assert_eq!(p.on_unseen(&l, &c("c-9"), t(0), t(1)), None);
    }

    #[test]
    fn a_number_another_call_presented_keeps_its_window_without_the_unseen_call() {
        let p = LeasePolicy::default();
        let first = p.on_end(&fresh(&p), &c("c-1"), t(10)).unwrap();
        let both = p.on_dial(&first, c("c-2"), t(20));
        let (next, available) = p.on_unseen(&both, &c("c-2"), t(20), t(21)).unwrap();
        assert!(next.active_calls.is_empty());
        assert_eq!(next.released_at, None);
        assert_eq!(
            next.hold_until, both.expires_at,
            "the window the PSAP of c-1 was given"
        );
        assert_eq!(available, p.available_at(&next));
    }

    #[test]
    fn never_shorter_than_window_from_dial() {
        let p = LeasePolicy::default();
        let l = fresh(&p);
        let ended = p.on_end(&l, &c("c-1"), t(0)).unwrap();
        assert_eq!(ended.expires_at, t(60));
    }

    #[test]
    fn overlapping_calls_keep_it_live_until_the_last_ends() {
        let p = LeasePolicy::default();
        let l = p.on_dial(&fresh(&p), c("c-2"), t(5));
        assert_eq!(l.active_calls.len(), 2);
        let l = p.on_end(&l, &c("c-1"), t(100)).unwrap();
        assert!(l.is_live(t(200)), "c-2 still active");
        let l = p.on_end(&l, &c("c-2"), t(120)).unwrap();
        assert_eq!(l.expires_at, t(180));
        assert_eq!(l.hold_until, t(180));
    }

    #[test]
    fn duplicate_end_changes_nothing() {
        let p = LeasePolicy::default();
        let l = p.on_end(&fresh(&p), &c("c-1"), t(10)).unwrap();
        assert!(p.on_end(&l, &c("c-1"), t(20)).is_none());
        assert!(p.on_end(&l, &c("c-other"), t(20)).is_none());
    }

    #[test]
    fn a_later_dial_extends_and_an_earlier_window_never_shrinks() {
        let p = LeasePolicy::default();
        let l = p.on_end(&fresh(&p), &c("c-1"), t(30)).unwrap();
        let l2 = p.on_dial(&l, c("c-2"), t(40));
        assert_eq!(l2.expires_at, t(100));
        assert_eq!(l2.lease_id, l.lease_id);
        assert_eq!(l2.version, 3);
    }
}
