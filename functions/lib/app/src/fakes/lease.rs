//! The end of a lease in memory: the lease conditions every lease write
//! checks (as the adapter's condition expressions), the conditional release,
//! and a scheduler that keeps its schedules by name.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::faults::WriteOp;
use super::store::{MemoryStore, State};
use crate::ports::{
    ItemKind, LeaseScheduler, LeaseWrite, RecordError, ReleaseStore, ScheduleError, StoreError,
};
use lifeline_domain::expiry::{may_release, ExpirySchedule, LeaseExpiry};
use lifeline_domain::lease::Lease;
use lifeline_domain::types::E164;

/// Checks a lease write's conditions, as the adapter's condition expressions do.
pub(super) fn lease_ok(s: &State, w: &LeaseWrite) -> Result<(), RecordError> {
    match w {
        LeaseWrite::Claim {
            lease,
            now,
            pointer_version,
            ..
        } => {
            // As the table's refusal does: the pointer's lease comes back
            // (none when it does not decode).
            let pointer = s.pointers.get(&lease.agent);
            let unreadable = s
                .unreadable
                .contains(&(ItemKind::LeasePointer, lease.agent.to_string()));
            if unreadable && pointer_version.is_none() {
                return Err(RecordError::LeaseChanged(None));
            }
            if pointer.map(|l| l.version) != *pointer_version {
                return Err(RecordError::LeaseChanged(pointer.cloned().map(Box::new)));
            }
            let number = s
                .numbers
                .get(&lease.number)
                .ok_or(RecordError::NumberTaken)?;
            let own_past_hold = number
                .lease
                .as_ref()
                .is_some_and(|l| l.agent == lease.agent && l.hold_until <= *now);
            if number.country != lease.country || !(number.available_at <= *now || own_past_hold) {
                return Err(RecordError::NumberTaken);
            }
            Ok(())
        }
        LeaseWrite::Update {
            lease,
            expected_version,
            ..
        } => {
            let matches = |l: &Lease| {
                l.agent == lease.agent
                    && l.lease_id == lease.lease_id
                    && l.version == *expected_version
            };
            let number_ok = s
                .numbers
                .get(&lease.number)
                .and_then(|n| n.lease.as_ref())
                .is_some_and(matches);
            let pointer_ok = s.pointers.get(&lease.agent).is_some_and(matches);
            if number_ok && pointer_ok {
                Ok(())
            } else {
                // The pointer comes back only when it is what failed.
                let pointer = s.pointers.get(&lease.agent).filter(|_| !pointer_ok);
                Err(RecordError::LeaseChanged(pointer.cloned().map(Box::new)))
            }
        }
    }
}

pub(super) fn apply_lease(s: &mut State, w: &LeaseWrite) {
    let (lease, available_at) = match w {
        LeaseWrite::Claim {
            lease,
            available_at,
            ..
        }
        | LeaseWrite::Update {
            lease,
            available_at,
            ..
        } => (lease, available_at),
    };
    if let Some(n) = s.numbers.get_mut(&lease.number) {
        n.available_at = *available_at;
        n.lease = Some(lease.clone());
    }
    s.pointers.insert(lease.agent.clone(), lease.clone());
}

#[async_trait]
impl ReleaseStore for MemoryStore {
    async fn release(&self, expiry: &LeaseExpiry, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.check(true)?;
        let released = self.with_state(|s| {
            let Some(n) = expiry
                .number
                .parse::<E164>()
                .ok()
                .and_then(|n| s.numbers.get_mut(&n))
            else {
                return false;
            };
            match n.lease.as_mut() {
                Some(l) if may_release(l, expiry, now) => {
                    l.released_at = Some(now);
                    true
                }
                _ => false,
            }
        });
        self.answer(WriteOp::Release).await;
        Ok(released)
    }
}

/// A scheduler that keeps schedules by name, counts calls and can fail.
#[derive(Debug, Default)]
pub struct MemoryScheduler {
    pub schedules: Mutex<BTreeMap<String, ExpirySchedule>>,
    fail: AtomicBool,
    calls: AtomicUsize,
}

impl MemoryScheduler {
    pub fn set_failing(&self, fail: bool) {
        self.fail.store(fail, Ordering::SeqCst);
    }
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
    pub fn all(&self) -> Vec<ExpirySchedule> {
        self.schedules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }
}

#[async_trait]
impl LeaseScheduler for MemoryScheduler {
    async fn upsert(&self, schedule: &ExpirySchedule) -> Result<(), ScheduleError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) {
            return Err(ScheduleError::Unavailable("injected fault".into()));
        }
        self.schedules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(schedule.name.clone(), schedule.clone());
        Ok(())
    }
}
