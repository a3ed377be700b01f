//! An emergency dial's reads and its one atomic write, in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::atomic::Ordering;

use super::faults::{take_one, WriteOp};
use super::lease::{apply_lease, lease_ok};
use super::store::MemoryStore;
use crate::ports::{
    CallRecords, DialContext, DialStore, ItemKind, LeaseWrite, PoolCursor, PoolPage, RecordError,
    StoreError,
};
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::numbers::Country;
use lifeline_domain::types::{AgentId, CallId, E164};

#[async_trait]
impl CallRecords for MemoryStore {
    async fn call_records(
        &self,
        ids: &[CallId],
    ) -> Result<Vec<(CallId, Option<EmergencyCall>)>, StoreError> {
        self.read_delay().await;
        self.check(false)?;
        Ok(self.with_state(|s| {
            ids.iter()
                .filter_map(|id| {
                    let call = s.calls.get(id).cloned();
                    if s.unreadable.contains(&(ItemKind::Call, id.to_string())) {
                        return Some((id.clone(), None));
                    }
                    call.map(|c| (id.clone(), Some(c)))
                })
                .collect()
        }))
    }
}

#[async_trait]
impl DialStore for MemoryStore {
    async fn dial_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<DialContext, StoreError> {
        self.read_delay().await;
        self.check(false)?;
        Ok(self.with_state(|s| {
            let corrupt =
                |kind: ItemKind, key: &str| s.unreadable.contains(&(kind, key.to_string()));
            let mut ctx = DialContext {
                call: s.calls.get(call).cloned(),
                agent: s.agents.get(agent).cloned(),
                lease: s.pointers.get(agent).cloned(),
                tenant: s.tenant,
                registered: s.locations.get(agent).cloned(),
                unreadable: Vec::new(),
            };
            if corrupt(ItemKind::Call, call.as_str()) {
                ctx.call = None;
                ctx.unreadable.push(ItemKind::Call);
            }
            if corrupt(ItemKind::Profile, agent.as_str()) {
                ctx.agent = None;
                ctx.unreadable.push(ItemKind::Profile);
            }
            if corrupt(ItemKind::LeasePointer, agent.as_str()) {
                ctx.lease = None;
                ctx.unreadable.push(ItemKind::LeasePointer);
            }
            ctx
        }))
    }

    async fn has_pool(&self, country: Country) -> Result<bool, StoreError> {
        self.read_delay().await;
        self.check(false)?;
        Ok(self.with_state(|s| s.numbers.values().any(|n| n.country == country)))
    }

    async fn available_numbers(
        &self,
        country: Country,
        now: DateTime<Utc>,
        limit: usize,
        after: Option<&PoolCursor>,
    ) -> Result<PoolPage, StoreError> {
        self.read_delay().await;
        self.check(false)?;
        if self.faults.fail_lookups.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("injected index fault".into()));
        }
        Ok(self.with_state(|s| {
            // A lagging index lists what it listed when it was frozen.
            let mut listing: Vec<(DateTime<Utc>, E164)> = match s.frozen_index.get(&country) {
                Some(frozen) => frozen.clone(),
                None => s
                    .numbers
                    .iter()
                    .filter(|(_, n)| n.country == country)
                    .map(|(k, n)| (n.available_at, k.clone()))
                    .collect(),
            };
            listing.retain(|(at, _)| *at <= now);
            listing.sort();
            let start = after.map_or(0, |c| {
                let cursor = (c.available_at, c.number.clone());
                listing
                    .iter()
                    .position(|e| *e > cursor)
                    .unwrap_or(listing.len())
            });
            let page: Vec<(DateTime<Utc>, E164)> =
                listing.into_iter().skip(start).take(limit).collect();
            // Like DynamoDB: a full page names where the next one starts.
            let next = match page.last() {
                Some((at, n)) if page.len() == limit => Some(PoolCursor {
                    number: n.clone(),
                    available_at: *at,
                }),
                _ => None,
            };
            PoolPage {
                numbers: page.into_iter().map(|(_, n)| n).collect(),
                next,
            }
        }))
    }

    async fn record_emergency(
        &self,
        call: &EmergencyCall,
        _ttl: DateTime<Utc>,
        lease: Option<&LeaseWrite>,
    ) -> Result<(), RecordError> {
        self.faults.before_record(lease.is_some()).await;
        if let Some(w) = lease.filter(|_| take_one(&self.faults.hold_lease_writes)) {
            self.with_state(|s| s.held_writes.push((call.clone(), w.clone())));
            // In flight until the caller gives up; it lands later.
            std::future::pending::<()>().await;
        }
        self.check(true)?;
        self.with_state(|s| {
            if let Some(existing) = s.calls.get(&call.call_id) {
                return Err(RecordError::CallExists(Some(Box::new(existing.clone()))));
            }
            if let Some(w) = lease {
                lease_ok(s, w)?;
                apply_lease(s, w);
            }
            s.calls.insert(call.call_id.clone(), call.clone());
            Ok(())
        })?;
        if self.faults.answer_lost() {
            return Err(RecordError::Store(StoreError::Unavailable(
                "injected timeout after the commit".into(),
            )));
        }
        let op = match lease {
            Some(_) => WriteOp::LeaseRecord,
            None => WriteOp::CallRecord,
        };
        self.answer(op).await;
        Ok(())
    }
}

impl MemoryStore {
    /// The next `n` lease writes are sent and never answered: the caller
    /// gives up on them (its timeout), and they commit later, when
    /// [`land_held`](Self::land_held) says — DynamoDB applying a
    /// transaction after its client stopped waiting.
    pub fn hold_next_lease_writes(&self, n: usize) {
        self.faults.hold_lease_writes.store(n, Ordering::SeqCst);
    }

    /// The held lease writes commit now, each under its conditions (one
    /// whose call was recorded meanwhile, or whose lease changed, does not);
    /// how many did.
    pub fn land_held(&self) -> usize {
        self.with_state(|s| {
            let held = std::mem::take(&mut s.held_writes);
            let mut landed = 0;
            for (call, write) in held {
                if s.calls.contains_key(&call.call_id) || lease_ok(s, &write).is_err() {
                    continue;
                }
                apply_lease(s, &write);
                s.calls.insert(call.call_id.clone(), call);
                landed += 1;
            }
            landed
        })
    }
}
