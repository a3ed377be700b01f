//! The incident of each emergency call: Lifeline's events (and later the
//! alert senders and the acknowledgement route) add entries to its
//! timeline; its head is the timeline's fold, saved over the version read.
//!
//! An event is written only for a call the table has recorded for that
//! agent: anyone with `events:PutEvents` could otherwise open incidents.
//! Every write is idempotent (an entry's key is its time, kind and
//! discriminator), and the head is recomputed from the whole timeline, so
//! duplicate, late and out-of-order events leave the same incident.

use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

use crate::clock::Clock;
use crate::ports::{
    AckRecordError, AckRecorded, HeadError, IncidentFilter, IncidentRecord, IncidentStore,
    StoreError,
};
use crate::settings::Settings;
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::events::DomainEvent;
use lifeline_domain::incident::{
    dialed_entry, plan, sort_timeline, Acknowledgement, Entry, EntryKind, Incident, Target,
};
use lifeline_domain::lease::LeasePolicy;
use lifeline_domain::types::{AgentId, CallId};

mod board;
pub use board::BoardEntry;

/// How many times a head save is tried against concurrent writers.
const HEAD_TRIES: usize = 5;
/// The most incidents a restore or a lease's release looks through.
const SCAN_LIMIT: usize = 200;

#[derive(Debug, Clone, thiserror::Error)]
pub enum IncidentError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Others kept saving the head in between, every try.
    #[error("the head of incident {0} kept changing; retry")]
    Contention(CallId),
    /// No incident for the call (not opened yet, or expired).
    #[error("no incident for call {0}")]
    NoIncident(CallId),
}

impl From<AckRecordError> for IncidentError {
    fn from(e: AckRecordError) -> Self {
        match e {
            AckRecordError::NoIncident(c) => IncidentError::NoIncident(c),
            AckRecordError::Store(s) => IncidentError::Store(s),
        }
    }
}

/// What an event did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    /// The incidents it went to.
    pub incidents: Vec<CallId>,
    /// Entries new to their timelines (0 for a redelivered event).
    pub added: usize,
    /// Calls the table has not recorded for the event's agent: ignored.
    pub unconfirmed: Vec<CallId>,
}

pub struct IncidentService<S: ?Sized> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    /// How long an incident's items are kept after each write.
    keep: Duration,
    /// How far back an agent's Do Not Disturb can reach: the active-call
    /// limit (an override outlives no call by more).
    reach: Duration,
}

/// How long incidents are kept after a write: as long as the call's record
/// is kept after its dial (the active-call limit, the callback window and
/// the record retention), so an incident never outlives its call by less.
pub fn retention(settings: &Settings) -> Duration {
    settings.lease.active_call_limit + settings.lease.window + settings.record_retention
}

impl<S: IncidentStore + ?Sized> IncidentService<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, keep: Duration) -> Self {
        IncidentService {
            store,
            clock,
            keep,
            reach: LeasePolicy::default().active_call_limit,
        }
    }

    /// With the deployment's active-call limit (`settings.lease`).
    pub fn with_reach(mut self, reach: Duration) -> Self {
        self.reach = reach;
        self
    }

    fn ttl(&self) -> DateTime<Utc> {
        self.clock.now() + self.keep
    }

    /// The entries `event` adds, to the incidents it concerns.
    pub async fn apply(&self, event: &DomainEvent) -> Result<Applied, IncidentError> {
        let mut applied = Applied::default();
        let Some(planned) = plan(event) else {
            return Ok(applied);
        };
        let targets: Vec<(CallId, AgentId)> = match planned.target {
            Target::Calls(agent, calls) => calls.into_iter().map(|c| (c, agent.clone())).collect(),
            Target::HeldBy(agent, at) => {
                let since = at - self.reach;
                self.store
                    .incidents(IncidentFilter::Recent {
                        since,
                        limit: SCAN_LIMIT,
                    })
                    .await?
                    .into_iter()
                    .filter(|i| i.restored_by(&agent, at, since))
                    .map(|i| (i.call_id, i.agent_id))
                    .collect()
            }
            Target::Lease {
                agent,
                lease,
                since,
            } => self
                .store
                .incidents(IncidentFilter::Recent {
                    since,
                    limit: SCAN_LIMIT,
                })
                .await?
                .into_iter()
                .filter(|i| i.released_by(&agent, &lease))
                .map(|i| (i.call_id, i.agent_id))
                .collect(),
        };
        for (call, agent) in targets {
            match self.add(&call, &agent, planned.entry.clone()).await? {
                Some(added) => {
                    applied.added += usize::from(added);
                    applied.incidents.push(call);
                }
                None => applied.unconfirmed.push(call),
            }
        }
        Ok(applied)
    }

    /// Adds `entry` to `call`'s incident (the notifier's alerts, an
    /// escalation, a follow-up), opening it if needed. `None`: the table
    /// has no record of `call` for `agent`; `Some(added)` else.
    pub async fn add(
        &self,
        call: &CallId,
        agent: &AgentId,
        entry: Entry,
    ) -> Result<Option<bool>, IncidentError> {
        let Some(record) = self.recorded(call, agent).await? else {
            return Ok(None);
        };
        // The dial's entry is the record's answer, whatever the event said.
        let entry = if entry.kind == EntryKind::Dialed {
            dialed_entry(&record)
        } else {
            entry
        };
        let added = self.store.append_entry(call, &entry, self.ttl()).await?;
        self.refresh(call, agent, &record).await?;
        Ok(Some(added))
    }

    /// Records an acknowledgement: the first becomes the incident's; each
    /// one is in the timeline.
    pub async fn acknowledge(
        &self,
        call: &CallId,
        ack: &Acknowledgement,
    ) -> Result<AckRecorded, IncidentError> {
        Ok(self
            .store
            .record_acknowledgement(call, ack, self.ttl())
            .await?)
    }

    /// One incident with its timeline (sorted by time).
    pub async fn show(&self, call: &CallId) -> Result<IncidentRecord, IncidentError> {
        let mut record = self.store.incident(call).await?;
        sort_timeline(&mut record.timeline);
        Ok(record)
    }

    pub async fn list(&self, filter: IncidentFilter) -> Result<Vec<Incident>, IncidentError> {
        Ok(self.store.incidents(filter).await?)
    }

    /// The call's record, if the table has it for `agent`.
    async fn recorded(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<Option<EmergencyCall>, StoreError> {
        let records = self.store.call_records(std::slice::from_ref(call)).await?;
        Ok(records
            .into_iter()
            .find_map(|(id, c)| c.filter(|c| &id == call && &c.agent_id == agent)))
    }

    /// Saves the head the timeline adds up to, over the version read; adds
    /// the dial's entry first if it is missing (an event before the start's).
    async fn refresh(
        &self,
        call: &CallId,
        agent: &AgentId,
        record: &EmergencyCall,
    ) -> Result<(), IncidentError> {
        for _ in 0..HEAD_TRIES {
            let mut stored = self.store.incident(call).await?;
            if !stored.timeline.iter().any(|e| e.kind == EntryKind::Dialed) {
                let dialed = dialed_entry(record);
                self.store.append_entry(call, &dialed, self.ttl()).await?;
                stored.timeline.push(dialed);
            }
            let acknowledged = stored.head.as_ref().and_then(|h| h.acknowledged.clone());
            let Some(head) = Incident::fold(call, agent, acknowledged, &stored.timeline) else {
                return Ok(());
            };
            if stored.head.as_ref() == Some(&head) {
                return Ok(());
            }
            match self
                .store
                .save_head(&head, stored.version, self.ttl())
                .await
            {
                Ok(()) => return Ok(()),
                Err(HeadError::Conflict) => continue,
                Err(HeadError::Store(e)) => return Err(e.into()),
            }
        }
        Err(IncidentError::Contention(call.clone()))
    }
}

#[cfg(test)]
mod tests;
