//! The candidate numbers one dial tries: a page of the pool's listing,
//! where the next page starts, and how many more looks it may take.

use std::collections::HashSet;

use lifeline_domain::degraded::DegradedReason;
use lifeline_domain::types::E164;

use super::degraded::reason_of;
use crate::ports::{PoolCursor, PoolPage, StoreError};

/// Fresh lookups after concurrent dials took the candidates.
const MAX_REQUERIES: usize = 5;
/// Numbers a dial takes from the container's queue after one was taken.
const MAX_QUEUE_RETAKES: usize = 3;

pub(super) struct Candidates {
    pub(super) numbers: Vec<E164>,
    pub(super) next: Option<PoolCursor>,
    pub(super) tried: HashSet<E164>,
    /// A failed lookup says nothing about the pool: the answer then gives
    /// the failure (`store_unavailable`, `timeout`), not `pool_exhausted`.
    pub(super) lookup_failed: Option<DegradedReason>,
    pub(super) requeries_left: usize,
    /// Numbers still to take from the container's queue after one was
    /// found taken: a queue that keeps failing is stale (another container
    /// took them), and the index is read instead.
    pub(super) queue_takes_left: usize,
    limit: usize,
}

impl Candidates {
    pub(super) fn new(looked_up: Result<PoolPage, StoreError>, limit: usize) -> Self {
        let lookup_failed = looked_up.as_ref().err().map(reason_of);
        let PoolPage { numbers, next } = looked_up.unwrap_or_default();
        // A full page means there may be more: look again (a few times) when
        // concurrent dials took these; a short page means the pool is drained.
        let requeries_left = if numbers.len() < limit {
            0
        } else {
            MAX_REQUERIES
        };
        Candidates {
            numbers,
            next,
            tried: HashSet::new(),
            lookup_failed,
            requeries_left,
            queue_takes_left: MAX_QUEUE_RETAKES,
            limit,
        }
    }

    /// One number a warm container handed out; more come from its queue,
    /// then from the index.
    pub(super) fn warm(number: E164, limit: usize) -> Self {
        Candidates {
            numbers: vec![number],
            next: None,
            tried: HashSet::new(),
            lookup_failed: None,
            requeries_left: MAX_REQUERIES,
            queue_takes_left: MAX_QUEUE_RETAKES,
            limit,
        }
    }

    /// Takes a fresh first page; a short one stops further lookups.
    pub(super) fn refresh(&mut self, fresh: PoolPage) {
        if fresh.numbers.len() < self.limit {
            self.requeries_left = 0;
        }
        self.numbers = fresh.numbers;
        self.next = fresh.next;
    }
}
