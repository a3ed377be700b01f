//! An event → the timeline entry it adds, and which incidents it goes to.

use chrono::{DateTime, Utc};

use super::entry::{Entry, EntryDetail, EntryKind};
use crate::call::EmergencyCall;
use crate::events::DomainEvent;
use crate::types::{AgentId, CallId, LeaseId};

/// Which incidents an entry goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// These calls' incidents (the agent's).
    Calls(AgentId, Vec<CallId>),
    /// The agent's open incidents whose Do Not Disturb is held and that
    /// were dialed by `at` (`Incident::restored_by`): the override is per
    /// agent, its end names no call.
    HeldBy(AgentId, DateTime<Utc>),
    /// The incidents whose call names this lease, dialed since it was
    /// leased (`Incident::released_by`).
    Lease {
        agent: AgentId,
        lease: LeaseId,
        since: DateTime<Utc>,
    },
}

/// What an event adds: an entry, to the incidents of its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub target: Target,
    pub entry: Entry,
}

/// The entry `event` adds, if any. A call's start plans a bare `dialed`
/// entry: the caller ID, degraded reason and location quality are the
/// record's ([`dialed_entry`]), not the event's.
pub fn plan(event: &DomainEvent) -> Option<Planned> {
    let calls = |agent: &AgentId, call: &CallId, entry| Planned {
        target: Target::Calls(agent.clone(), vec![call.clone()]),
        entry,
    };
    match event {
        DomainEvent::CallStarted(c) => Some(calls(
            &c.agent_id,
            &c.call_id,
            Entry::new(c.at, EntryKind::Dialed, "call"),
        )),
        DomainEvent::CallEnded(c) => Some(calls(
            &c.agent_id,
            &c.call_id,
            Entry::new(c.at, EntryKind::Ended, "call"),
        )),
        DomainEvent::NotificationSent(n) | DomainEvent::NotificationFailed(n) => {
            let (kind, reason) = match event {
                DomainEvent::NotificationSent(_) => (EntryKind::Alerted, None),
                _ => (EntryKind::Failed, Some(n.state.clone())),
            };
            Some(calls(
                &n.agent_id,
                &n.call_id,
                // The alert's outcome over every recipient and channel
                // (each recipient's is an entry of the notifier's own).
                Entry::new(n.at, kind, "email").with(EntryDetail {
                    reason,
                    note: Some(n.detail.clone()).filter(|d| !d.is_empty()),
                    ..EntryDetail::default()
                }),
            ))
        }
        DomainEvent::PresenceOverridden(p) => Some(Planned {
            target: Target::Calls(p.agent_id.clone(), p.active_calls.clone()),
            entry: Entry::new(p.at, EntryKind::DndOn, "presence").with(EntryDetail {
                status: Some(p.status.clone()),
                ..EntryDetail::default()
            }),
        })
        .filter(|_| !p.active_calls.is_empty()),
        DomainEvent::PresenceRestored(p) => Some(Planned {
            target: Target::HeldBy(p.agent_id.clone(), p.at),
            entry: Entry::new(p.at, EntryKind::Restored, "presence").with(EntryDetail {
                status: Some(p.status.clone()),
                ..EntryDetail::default()
            }),
        }),
        DomainEvent::LeaseChanged(l) => {
            let after = l.after.as_ref()?;
            let released = after.released_at?;
            if l.before.as_ref().is_some_and(|b| b.released_at.is_some()) {
                return None; // released before: not this change
            }
            Some(Planned {
                target: Target::Lease {
                    agent: after.agent_id.clone(),
                    lease: after.lease_id.clone(),
                    since: after.leased_at,
                },
                entry: Entry::new(released, EntryKind::Released, after.lease_id.to_string()).with(
                    EntryDetail {
                        lease_id: Some(after.lease_id.clone()),
                        ..EntryDetail::default()
                    },
                ),
            })
        }
        DomainEvent::CallbackRouted(c) => Some(Planned {
            target: Target::Lease {
                agent: c.agent_id.clone(),
                lease: c.lease_id.clone(),
                since: c.leased_at,
            },
            entry: Entry::new(c.at, EntryKind::Callback, c.lease_id.to_string()).with(
                EntryDetail {
                    lease_id: Some(c.lease_id.clone()),
                    note: Some("routed to the agent".into()),
                    ..EntryDetail::default()
                },
            ),
        }),
        // What the incident's own head publishes, and corrections (the
        // dial's entry is the record's, read when it is written).
        _ => None,
    }
}

/// The `dialed` entry of a recorded call: the answer given.
pub fn dialed_entry(call: &EmergencyCall) -> Entry {
    Entry::new(call.dialed_at, EntryKind::Dialed, "call").with(EntryDetail {
        caller_id: Some(call.caller_id.clone()),
        degraded: call.reason.filter(|_| call.degraded),
        location_quality: call.location_quality(),
        test: call.test,
        lease_id: call.lease_id.clone(),
        ..EntryDetail::default()
    })
}
