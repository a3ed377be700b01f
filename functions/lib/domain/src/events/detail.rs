//! Each event's `detail`: its schema, as published (camelCase JSON).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::incident::IncidentState;
use crate::lease::Lease;
use crate::numbers::Country;
use crate::types::{AgentId, CallId, LeaseId, E164};

/// The schema version the events published now carry.
pub const VERSION: u32 = 1;

/// `lifeline.call.started` (at = when dialed) and `lifeline.call.ended` (at =
/// when it ended).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallEvent {
    pub version: u32,
    pub call_id: CallId,
    pub agent_id: AgentId,
    pub at: DateTime<Utc>,
    /// The callback-number lease the call's record names. Absent: the call
    /// presented the agent's own number (a degraded answer), so no lease's
    /// expiry will end its override if its end never comes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_id: Option<LeaseId>,
}

impl CallEvent {
    pub fn subject(&self) -> String {
        format!("call {}", self.call_id)
    }
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
    /// The lease's id (after the change, else before), or the redacted pool
    /// number when neither side has a lease.
    pub fn subject(&self) -> String {
        match self.after.as_ref().or(self.before.as_ref()) {
            Some(s) => format!("lease {}", s.lease_id),
            None => format!("number {}", self.number.redacted()),
        }
    }

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

impl NotificationEvent {
    pub fn subject(&self) -> String {
        format!("call {}", self.call_id)
    }
}

/// `lifeline.callback.routed`: a call to a leased callback number was
/// routed to the agent who holds the lease (the emergency service called
/// back). No number: the lease names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallbackEvent {
    pub version: u32,
    pub lease_id: LeaseId,
    pub agent_id: AgentId,
    /// When the lease began: the incidents it can belong to opened since.
    pub leased_at: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

impl CallbackEvent {
    pub fn subject(&self) -> String {
        format!("lease {}", self.lease_id)
    }
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

impl PresenceEvent {
    pub fn subject(&self) -> String {
        format!("agent {}", self.agent_id)
    }
}

/// `lifeline.incident.opened`, `.acknowledged`, `.escalated`, `.closed`: a
/// change of an emergency call's incident (its head). No acknowledger's
/// name or address: the channel only (`lifeline incident show` has the rest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentEvent {
    pub version: u32,
    pub call_id: CallId,
    pub agent_id: AgentId,
    pub state: IncidentState,
    /// A test call's incident (933): an exercise.
    pub drill: bool,
    /// opened: when dialed; acknowledged: when acknowledged; escalated: when
    /// escalated; closed: when closed.
    pub at: DateTime<Utc>,
    /// acknowledged: the channel the acknowledgement came through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

impl IncidentEvent {
    pub fn subject(&self) -> String {
        format!("incident {}", self.call_id)
    }
}
