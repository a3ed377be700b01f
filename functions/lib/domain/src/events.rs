//! Lifeline's domain events (pure): what a committed change of the table
//! means, published on Lifeline's event bus for its own side effects and for
//! any rule a customer adds (SIEM, chat, paging).
//!
//! Each event is `source: lifeline`, a `detail-type` naming it, and a
//! `detail` whose `version` is its schema's (README "Events"). A new field
//! is added within a version; a removed or re-typed one makes a new version.
//! No event carries an agent's own number, an address or an e-mail address:
//! pool numbers (the contact center's) are the only phone numbers in them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::lease::Lease;
use crate::numbers::Country;
use crate::types::{AgentId, CallId, LeaseId, E164};

/// Every event's `source`.
pub const SOURCE: &str = "lifeline";
/// The schema version the events published now carry.
pub const VERSION: u32 = 1;

pub const CALL_STARTED: &str = "lifeline.call.started";
pub const CALL_ENDED: &str = "lifeline.call.ended";
pub const LEASE_CHANGED: &str = "lifeline.lease.changed";
pub const NOTIFICATION_SENT: &str = "lifeline.notification.sent";
pub const NOTIFICATION_FAILED: &str = "lifeline.notification.failed";
pub const PRESENCE_OVERRIDDEN: &str = "lifeline.presence.overridden";
pub const PRESENCE_RESTORED: &str = "lifeline.presence.restored";

/// Every detail-type, in the README's order.
pub const DETAIL_TYPES: [&str; 7] = [
    CALL_STARTED,
    CALL_ENDED,
    LEASE_CHANGED,
    NOTIFICATION_SENT,
    NOTIFICATION_FAILED,
    PRESENCE_OVERRIDDEN,
    PRESENCE_RESTORED,
];

// A lease change is the big one (two leases); events are handled one at a
// time, never stored in bulk, so boxing it would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainEvent {
    CallStarted(CallEvent),
    CallEnded(CallEvent),
    LeaseChanged(LeaseChanged),
    NotificationSent(NotificationEvent),
    NotificationFailed(NotificationEvent),
    PresenceOverridden(PresenceEvent),
    PresenceRestored(PresenceEvent),
}

/// `lifeline.call.started` (at = when dialed) and `lifeline.call.ended` (at =
/// when it ended).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallEvent {
    pub version: u32,
    pub call_id: CallId,
    pub agent_id: AgentId,
    pub at: DateTime<Utc>,
}

/// `lifeline.lease.changed`: a pool number's lease before and after one
/// change (created, extended, ended, released). `before` is absent for a
/// new lease on a number that had none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseChanged {
    pub version: u32,
    /// The pool number (the contact center's own, presented as caller ID).
    pub number: E164,
    pub country: Country,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<LeaseSnapshot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<LeaseSnapshot>,
}

/// A lease as an event shows it: everything but its fallback targets (which
/// may be people's own numbers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseSnapshot {
    pub lease_id: LeaseId,
    pub agent_id: AgentId,
    pub leased_at: DateTime<Utc>,
    pub last_dial_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub hold_until: DateTime<Utc>,
    #[serde(default)]
    pub active_calls: Vec<CallId>,
    pub lease_version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_at: Option<DateTime<Utc>>,
}

impl LeaseSnapshot {
    pub fn of(lease: &Lease) -> Self {
        LeaseSnapshot {
            lease_id: lease.lease_id.clone(),
            agent_id: lease.agent.clone(),
            leased_at: lease.leased_at,
            last_dial_at: lease.last_dial_at,
            expires_at: lease.expires_at,
            hold_until: lease.hold_until,
            active_calls: lease.active_calls.iter().cloned().collect(),
            lease_version: lease.version,
            released_at: lease.released_at,
        }
    }

    /// The lease again, for the rules that read one (its fallbacks empty:
    /// an event does not carry them).
    pub fn lease(&self, number: &E164, country: Country) -> Lease {
        Lease {
            number: number.clone(),
            country,
            agent: self.agent_id.clone(),
            lease_id: self.lease_id.clone(),
            leased_at: self.leased_at,
            last_dial_at: self.last_dial_at,
            expires_at: self.expires_at,
            hold_until: self.hold_until,
            active_calls: self.active_calls.iter().cloned().collect(),
            fallback: Vec::new(),
            version: self.lease_version,
            released_at: self.released_at,
        }
    }
}

impl LeaseChanged {
    /// The leases before and after, for the expiry rules.
    pub fn leases(&self) -> (Option<Lease>, Option<Lease>) {
        let lease =
            |s: &Option<LeaseSnapshot>| s.as_ref().map(|s| s.lease(&self.number, self.country));
        (lease(&self.before), lease(&self.after))
    }
}

/// `lifeline.notification.sent` (every recipient has it) and
/// `lifeline.notification.failed` (some or all could not be sent, or there
/// was no one to send to). Counts and SES error codes only, no address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationEvent {
    pub version: u32,
    pub call_id: CallId,
    pub agent_id: AgentId,
    /// `sent`, `partial`, `failed` or `no_recipients`.
    pub state: String,
    /// E.g. `sent 2 of 3; refused 1 (MessageRejected)`.
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// `lifeline.presence.overridden` (Do Not Disturb set for an emergency call)
/// and `lifeline.presence.restored` (the agent's last one ended: `status` is
/// the one restored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresenceEvent {
    pub version: u32,
    pub agent_id: AgentId,
    /// The status now shown.
    pub status: String,
    /// The status the platform last reported (restored when the override ends).
    pub reported: String,
    /// Emergency calls in progress.
    #[serde(default)]
    pub active_calls: Vec<CallId>,
    pub at: DateTime<Utc>,
}

impl DomainEvent {
    pub fn detail_type(&self) -> &'static str {
        match self {
            DomainEvent::CallStarted(_) => CALL_STARTED,
            DomainEvent::CallEnded(_) => CALL_ENDED,
            DomainEvent::LeaseChanged(_) => LEASE_CHANGED,
            DomainEvent::NotificationSent(_) => NOTIFICATION_SENT,
            DomainEvent::NotificationFailed(_) => NOTIFICATION_FAILED,
            DomainEvent::PresenceOverridden(_) => PRESENCE_OVERRIDDEN,
            DomainEvent::PresenceRestored(_) => PRESENCE_RESTORED,
        }
    }

    /// What the event is about, for logs and dead-letter listings: a call,
    /// lease or agent id, never a phone number.
    pub fn subject(&self) -> String {
        match self {
            DomainEvent::CallStarted(c) | DomainEvent::CallEnded(c) => {
                format!("call {}", c.call_id)
            }
            DomainEvent::LeaseChanged(l) => match l.after.as_ref().or(l.before.as_ref()) {
                Some(s) => format!("lease {}", s.lease_id),
                None => format!("number {}", l.number.redacted()),
            },
            DomainEvent::NotificationSent(n) | DomainEvent::NotificationFailed(n) => {
                format!("call {}", n.call_id)
            }
            DomainEvent::PresenceOverridden(p) | DomainEvent::PresenceRestored(p) => {
                format!("agent {}", p.agent_id)
            }
        }
    }
}

/// Which detail schema a detail-type names (to decode a `detail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    CallStarted,
    CallEnded,
    LeaseChanged,
    NotificationSent,
    NotificationFailed,
    PresenceOverridden,
    PresenceRestored,
}

impl Kind {
    pub fn of(detail_type: &str) -> Option<Kind> {
        Some(match detail_type {
            CALL_STARTED => Kind::CallStarted,
            CALL_ENDED => Kind::CallEnded,
            LEASE_CHANGED => Kind::LeaseChanged,
            NOTIFICATION_SENT => Kind::NotificationSent,
            NOTIFICATION_FAILED => Kind::NotificationFailed,
            PRESENCE_OVERRIDDEN => Kind::PresenceOverridden,
            PRESENCE_RESTORED => Kind::PresenceRestored,
            _ => return None,
        })
    }
}

/// A call record as its stream image shows it, for the events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFacts {
    pub call_id: CallId,
    pub agent_id: AgentId,
    pub dialed_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// The notification's recorded outcome: state, detail, when.
    pub notification: Option<(String, String, DateTime<Utc>)>,
}

/// An agent's presence item as its stream image shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceFacts {
    pub agent_id: AgentId,
    pub override_active: bool,
    pub status: String,
    pub reported: String,
    pub active_calls: Vec<CallId>,
    pub updated_at: DateTime<Utc>,
}

/// One committed change of an item the events describe: the item before and
/// after (`None`: absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemChange {
    Call {
        before: Option<CallFacts>,
        after: Option<CallFacts>,
    },
    Number {
        number: E164,
        country: Country,
        before: Option<Lease>,
        after: Option<Lease>,
    },
    Presence {
        before: Option<PresenceFacts>,
        after: Option<PresenceFacts>,
    },
}

/// The events one change means, in order. A redelivered change means the
/// same events again: subscribers are idempotent, and every event says
/// which state it describes.
pub fn events_of(change: &ItemChange) -> Vec<DomainEvent> {
    match change {
        ItemChange::Call { before, after } => call_events(before.as_ref(), after.as_ref()),
        ItemChange::Number {
            number,
            country,
            before,
            after,
        } => lease_events(number, *country, before.as_ref(), after.as_ref()),
        ItemChange::Presence { before, after } => presence_events(before.as_ref(), after.as_ref()),
    }
}

fn call_events(before: Option<&CallFacts>, after: Option<&CallFacts>) -> Vec<DomainEvent> {
    let Some(after) = after else {
        return Vec::new(); // deleted (TTL): nothing happened to the call
    };
    let call = |at| CallEvent {
        version: VERSION,
        call_id: after.call_id.clone(),
        agent_id: after.agent_id.clone(),
        at,
    };
    let mut out = Vec::new();
    if before.is_none() {
        out.push(DomainEvent::CallStarted(call(after.dialed_at)));
    }
    if let Some(ended) = after.ended_at {
        if before.is_none_or(|b| b.ended_at.is_none()) {
            out.push(DomainEvent::CallEnded(call(ended)));
        }
    }
    if let Some((state, detail, at)) = &after.notification {
        if before.is_none_or(|b| b.notification.as_ref() != after.notification.as_ref()) {
            let n = NotificationEvent {
                version: VERSION,
                call_id: after.call_id.clone(),
                agent_id: after.agent_id.clone(),
                state: state.clone(),
                detail: detail.clone(),
                at: *at,
            };
            out.push(if state == "sent" {
                DomainEvent::NotificationSent(n)
            } else {
                DomainEvent::NotificationFailed(n)
            });
        }
    }
    out
}

fn lease_events(
    number: &E164,
    country: Country,
    before: Option<&Lease>,
    after: Option<&Lease>,
) -> Vec<DomainEvent> {
    // Only a change of the lease itself (a number's other attributes, or a
    // rewrite of the same lease, are not one).
    if before == after || after.is_none() {
        return Vec::new();
    }
    vec![DomainEvent::LeaseChanged(LeaseChanged {
        version: VERSION,
        number: number.clone(),
        country,
        before: before.map(LeaseSnapshot::of),
        after: after.map(LeaseSnapshot::of),
    })]
}

fn presence_events(
    before: Option<&PresenceFacts>,
    after: Option<&PresenceFacts>,
) -> Vec<DomainEvent> {
    let Some(after) = after else {
        return Vec::new();
    };
    let was = before.is_some_and(|b| b.override_active);
    let event = || PresenceEvent {
        version: VERSION,
        agent_id: after.agent_id.clone(),
        status: after.status.clone(),
        reported: after.reported.clone(),
        active_calls: after.active_calls.clone(),
        at: after.updated_at,
    };
    match (was, after.override_active) {
        (false, true) => vec![DomainEvent::PresenceOverridden(event())],
        (true, false) => vec![DomainEvent::PresenceRestored(event())],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn call(ended: Option<&str>, notification: Option<&str>) -> CallFacts {
        CallFacts {
            call_id: "c-1".parse().unwrap(),
            agent_id: "a-42".parse().unwrap(),
            dialed_at: t("2026-11-24T05:00:00Z"),
            ended_at: ended.map(t),
            notification: notification.map(|s| {
                (
                    s.to_string(),
                    "sent 1 of 1".to_string(),
                    t("2026-11-24T05:00:02Z"),
                )
            }),
        }
    }

    fn lease(hold: &str, version: u64, released: bool) -> Lease {
        Lease {
            number: "+14255550199".parse().unwrap(),
            country: Country::US,
            agent: "a-42".parse().unwrap(),
            lease_id: "l-1".parse().unwrap(),
            leased_at: t("2026-11-24T05:00:00Z"),
            last_dial_at: t("2026-11-24T05:00:00Z"),
            expires_at: t("2026-11-24T06:00:00Z"),
            hold_until: t(hold),
            active_calls: BTreeSet::from(["c-1".parse().unwrap()]),
            fallback: vec!["+14255550111".into()],
            version,
            released_at: released.then(|| t("2026-11-24T09:00:00Z")),
        }
    }

    fn types(events: &[DomainEvent]) -> Vec<&'static str> {
        events.iter().map(DomainEvent::detail_type).collect()
    }

    #[test]
    fn a_call_record_starts_ends_and_is_notified_once_each() {
        let insert = ItemChange::Call {
            before: None,
            after: Some(call(None, None)),
        };
        assert_eq!(types(&events_of(&insert)), [CALL_STARTED]);
        let notified = ItemChange::Call {
            before: Some(call(None, None)),
            after: Some(call(None, Some("sent"))),
        };
        assert_eq!(types(&events_of(&notified)), [NOTIFICATION_SENT]);
        let ended = ItemChange::Call {
            before: Some(call(None, Some("sent"))),
            after: Some(call(Some("2026-11-24T05:10:00Z"), Some("sent"))),
        };
        let e = events_of(&ended);
        assert_eq!(types(&e), [CALL_ENDED]);
        let DomainEvent::CallEnded(c) = &e[0] else {
            panic!()
        };
        assert_eq!(c.at, t("2026-11-24T05:10:00Z"));
        // A later change of an ended call (the e-mail's outcome recorded
        // after the end) is not a second end.
        let late = ItemChange::Call {
            before: Some(call(Some("2026-11-24T05:10:00Z"), None)),
            after: Some(call(Some("2026-11-24T05:10:00Z"), Some("partial"))),
        };
        assert_eq!(types(&events_of(&late)), [NOTIFICATION_FAILED]);
        // TTL deletion: nothing.
        let gone = ItemChange::Call {
            before: Some(call(None, None)),
            after: None,
        };
        assert!(events_of(&gone).is_empty());
    }

    #[test]
    fn a_record_written_already_ended_starts_and_ends() {
        let both = ItemChange::Call {
            before: None,
            after: Some(call(Some("2026-11-24T05:00:00Z"), None)),
        };
        assert_eq!(types(&events_of(&both)), [CALL_STARTED, CALL_ENDED]);
    }

    #[test]
    fn a_lease_changes_only_when_its_lease_does() {
        let number: E164 = "+14255550199".parse().unwrap();
        let change = |before: Option<Lease>, after: Option<Lease>| ItemChange::Number {
            number: number.clone(),
            country: Country::US,
            before,
            after,
        };
        let created = events_of(&change(None, Some(lease("2026-11-24T09:00:00Z", 1, false))));
        assert_eq!(types(&created), [LEASE_CHANGED]);
        let same = lease("2026-11-24T09:00:00Z", 1, false);
        assert!(events_of(&change(Some(same.clone()), Some(same))).is_empty());
        let DomainEvent::LeaseChanged(l) = &created[0] else {
            panic!()
        };
        let (before, after) = l.leases();
        assert_eq!(before, None);
        let after = after.unwrap();
        assert_eq!(after.hold_until, t("2026-11-24T09:00:00Z"));
        assert!(
            after.fallback.is_empty(),
            "events carry no fallback numbers"
        );
        assert_eq!(l.after.as_ref().unwrap().active_calls.len(), 1);
    }

    #[test]
    fn presence_overridden_and_restored_on_the_transitions_only() {
        let p = |on: bool, status: &str| PresenceFacts {
            agent_id: "a-42".parse().unwrap(),
            override_active: on,
            status: status.into(),
            reported: "busy".into(),
            active_calls: Vec::new(),
            updated_at: t("2026-11-24T05:00:01Z"),
        };
        let on = ItemChange::Presence {
            before: None,
            after: Some(p(true, "do_not_disturb")),
        };
        assert_eq!(types(&events_of(&on)), [PRESENCE_OVERRIDDEN]);
        let still = ItemChange::Presence {
            before: Some(p(true, "do_not_disturb")),
            after: Some(p(true, "do_not_disturb")),
        };
        assert!(events_of(&still).is_empty());
        let off = ItemChange::Presence {
            before: Some(p(true, "do_not_disturb")),
            after: Some(p(false, "busy")),
        };
        assert_eq!(types(&events_of(&off)), [PRESENCE_RESTORED]);
        let reported = ItemChange::Presence {
            before: Some(p(false, "busy")),
            after: Some(p(false, "away")),
        };
        assert!(events_of(&reported).is_empty());
    }

    #[test]
    fn subjects_name_no_phone_number() {
        let number: E164 = "+14255550199".parse().unwrap();
        let e = events_of(&ItemChange::Number {
            number,
            country: Country::US,
            before: None,
            after: Some(lease("2026-11-24T09:00:00Z", 1, false)),
        });
        assert_eq!(e[0].subject(), "lease l-1");
        assert_eq!(Kind::of(CALL_STARTED), Some(Kind::CallStarted));
        assert_eq!(Kind::of("lifeline.other"), None);
    }
}
