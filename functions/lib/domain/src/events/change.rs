//! What a committed change of the table means: the domain events of one
//! item's change (the stream reader publishes them).

use chrono::{DateTime, Utc};

use super::detail::{
    CallEvent, CallbackEvent, IncidentEvent, LeaseChanged, LeaseSnapshot, NotificationEvent,
    PresenceEvent, VERSION,
};
use super::event::DomainEvent;
use crate::incident::Incident;
use crate::lease::Lease;
use crate::numbers::Country;
use crate::types::{AgentId, CallId, LeaseId, E164};

/// A call record as its stream image shows it, for the events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFacts {
    pub call_id: CallId,
    pub agent_id: AgentId,
    pub dialed_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// The caller ID the record names (what the PSAP saw).
    pub caller_id: Option<E164>,
    /// The lease the record names (none on a degraded call).
    pub lease_id: Option<LeaseId>,
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
    /// A callback routed to the agent holding a number's lease (marked on
    /// the number's item, its lease unchanged).
    Callback {
        lease: Box<Lease>,
        at: DateTime<Utc>,
    },
    /// An incident's head.
    Incident {
        before: Option<Box<Incident>>,
        after: Option<Box<Incident>>,
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
        ItemChange::Callback { lease, at } => vec![DomainEvent::CallbackRouted(CallbackEvent {
            version: VERSION,
            lease_id: lease.lease_id.clone(),
            agent_id: lease.agent.clone(),
            leased_at: lease.leased_at,
            at: *at,
        })],
        ItemChange::Incident { before, after } => {
            incident_events(before.as_deref(), after.as_deref())
        }
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
        lease_id: after.lease_id.clone(),
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
    // The record now names another number than it did (the platform
    // presented another): an e-mail that named the old one is corrected.
    if let Some(b) = before {
        if b.caller_id.is_some() && after.caller_id.is_some() && b.caller_id != after.caller_id {
            out.push(DomainEvent::CallerIdCorrected(call(after.dialed_at)));
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

/// An incident's head changed: opened (the head's first write), its first
/// acknowledgement, its first escalation, closed (open before, or new and
/// closed at once: an end read before the start).
fn incident_events(before: Option<&Incident>, after: Option<&Incident>) -> Vec<DomainEvent> {
    let Some(after) = after else {
        return Vec::new(); // expired (TTL)
    };
    let event = |at, channel| IncidentEvent {
        version: VERSION,
        call_id: after.call_id.clone(),
        agent_id: after.agent_id.clone(),
        state: after.state,
        drill: after.drill,
        at,
        channel,
    };
    let mut out = Vec::new();
    if before.is_none() {
        out.push(DomainEvent::IncidentOpened(event(after.opened_at, None)));
    }
    if let Some(ack) = &after.acknowledged {
        if before.is_none_or(|b| b.acknowledged.is_none()) {
            out.push(DomainEvent::IncidentAcknowledged(event(
                ack.at,
                Some(ack.channel.clone()),
            )));
        }
    }
    if let Some(at) = after.escalated_at {
        if before.is_none_or(|b| b.escalated_at.is_none()) {
            out.push(DomainEvent::IncidentEscalated(event(at, None)));
        }
    }
    if let Some(at) = after.closed_at.filter(|_| !after.is_open()) {
        if before.is_none_or(|b| b.is_open()) {
            out.push(DomainEvent::IncidentClosed(event(at, None)));
        }
    }
    out
}
