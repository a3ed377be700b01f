//! The incidents in memory, with the DynamoDB adapter's conditions: an
//! entry's key is written once, the head only over the version read, the
//! first acknowledgement wins. Call records are the given `MemoryStore`'s.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::store::MemoryStore;
use crate::ports::{
    AckRecordError, AckRecorded, CallRecords, HeadError, IncidentFilter, IncidentRecord,
    IncidentStore, StoreError,
};
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::incident::{acknowledge, Acknowledgement, Entry, Incident, IncidentState};
use lifeline_domain::types::CallId;

#[derive(Debug, Default, Clone)]
pub struct StoredIncident {
    pub head: Option<(Incident, u64)>,
    /// By sort key.
    pub timeline: BTreeMap<String, Entry>,
    /// The latest TTL written to any of its items.
    pub ttl: Option<DateTime<Utc>>,
}

#[derive(Debug)]
pub struct MemoryIncidents {
    pub calls: Arc<MemoryStore>,
    pub incidents: Mutex<HashMap<CallId, StoredIncident>>,
    fail: AtomicBool,
    /// The next `n` head saves fail as a concurrent writer's would.
    conflicts: AtomicUsize,
}

impl MemoryIncidents {
    pub fn new(calls: Arc<MemoryStore>) -> Self {
        MemoryIncidents {
            calls,
            incidents: Mutex::new(HashMap::new()),
            fail: AtomicBool::new(false),
            conflicts: AtomicUsize::new(0),
        }
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut HashMap<CallId, StoredIncident>) -> R) -> R {
        f(&mut self.incidents.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn set_failing(&self, fail: bool) {
        self.fail.store(fail, Ordering::SeqCst);
    }

    pub fn conflict_next_saves(&self, n: usize) {
        self.conflicts.store(n, Ordering::SeqCst);
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.fail.load(Ordering::SeqCst) {
            Err(StoreError::Unavailable("injected fault".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl CallRecords for MemoryIncidents {
    async fn call_records(
        &self,
        ids: &[CallId],
    ) -> Result<Vec<(CallId, Option<EmergencyCall>)>, StoreError> {
        self.calls.call_records(ids).await
    }
}

#[async_trait]
impl IncidentStore for MemoryIncidents {
    async fn append_entry(
        &self,
        call: &CallId,
        entry: &Entry,
        ttl: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.check()?;
        Ok(self.with(|all| {
            let i = all.entry(call.clone()).or_default();
            i.ttl = i.ttl.max(Some(ttl));
            let key = entry.sort_key();
            if i.timeline.contains_key(&key) {
                return false;
            }
            i.timeline.insert(key, entry.clone());
            true
        }))
    }

    async fn incident(&self, call: &CallId) -> Result<IncidentRecord, StoreError> {
        self.check()?;
        Ok(self.with(|all| match all.get(call) {
            None => IncidentRecord::default(),
            Some(i) => IncidentRecord {
                head: i.head.as_ref().map(|(h, _)| h.clone()),
                version: i.head.as_ref().map_or(0, |(_, v)| *v),
                timeline: {
                    let mut t: Vec<Entry> = i.timeline.values().cloned().collect();
                    lifeline_domain::incident::sort_timeline(&mut t);
                    t
                },
            },
        }))
    }

    async fn save_head(
        &self,
        head: &Incident,
        version: u64,
        ttl: DateTime<Utc>,
    ) -> Result<(), HeadError> {
        self.check()?;
        if self
            .conflicts
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(HeadError::Conflict);
        }
        self.with(|all| {
            let i = all.entry(head.call_id.clone()).or_default();
            let stored = i.head.as_ref().map_or(0, |(_, v)| *v);
            if stored != version {
                return Err(HeadError::Conflict);
            }
            let mut next = head.clone();
            next.acknowledged = i.head.as_ref().and_then(|(h, _)| h.acknowledged.clone());
            i.head = Some((next, version + 1));
            i.ttl = i.ttl.max(Some(ttl));
            Ok(())
        })
    }

    async fn record_acknowledgement(
        &self,
        call: &CallId,
        ack: &Acknowledgement,
        ttl: DateTime<Utc>,
    ) -> Result<AckRecorded, AckRecordError> {
        self.check()?;
        self.with(|all| {
            let i = all
                .get_mut(call)
                .filter(|i| i.head.is_some())
                .ok_or_else(|| AckRecordError::NoIncident(call.clone()))?;
            let entry = ack.entry();
            i.timeline.entry(entry.sort_key()).or_insert(entry);
            i.ttl = i.ttl.max(Some(ttl));
            let Some((head, _)) = i.head.as_mut() else {
                return Err(AckRecordError::NoIncident(call.clone()));
            };
            let decision = acknowledge(head.acknowledged.as_ref(), ack);
            head.acknowledged = Some(decision.standing);
            Ok(AckRecorded {
                first: decision.first,
                previous: decision.previous,
            })
        })
    }

    async fn incidents(&self, filter: IncidentFilter) -> Result<Vec<Incident>, StoreError> {
        self.check()?;
        let mut heads: Vec<Incident> = self.with(|all| {
            all.values()
                .filter_map(|i| i.head.as_ref().map(|(h, _)| h.clone()))
                .collect()
        });
        heads.sort_by_key(|h| std::cmp::Reverse(h.opened_at));
        Ok(match filter {
            IncidentFilter::Open => heads
                .into_iter()
                .filter(|h| h.state == IncidentState::Open)
                .collect(),
            IncidentFilter::Recent { since, limit } => heads
                .into_iter()
                .filter(|h| h.state == IncidentState::Open || h.opened_at >= since)
                .take(limit)
                .collect(),
        })
    }
}
