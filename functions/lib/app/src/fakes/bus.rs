//! Lifeline's event bus and a failure queue, in memory.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::ports::{BusEntry, EventPublisher, FailureKeeper, PublishError, StoreError};

/// Keeps what is published; `fail_from(n)` makes the next publications
/// refuse entry `n` of each request onwards (as a partly failed `PutEvents`).
#[derive(Debug, Default)]
pub struct MemoryBus {
    published: Mutex<Vec<BusEntry>>,
    refuse_from: Mutex<Option<usize>>,
}

impl MemoryBus {
    pub fn published(&self) -> Vec<BusEntry> {
        self.published
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn detail_types(&self) -> Vec<String> {
        self.published()
            .into_iter()
            .map(|e| e.detail_type)
            .collect()
    }

    /// Refuses each request's entries from `index` on (`None`: takes all).
    pub fn refuse_from(&self, index: Option<usize>) {
        *self.refuse_from.lock().unwrap_or_else(|p| p.into_inner()) = index;
    }
}

#[async_trait]
impl EventPublisher for MemoryBus {
    async fn publish(&self, entries: &[BusEntry]) -> Result<(), PublishError> {
        let refuse = *self.refuse_from.lock().unwrap_or_else(|p| p.into_inner());
        let taken = refuse.unwrap_or(usize::MAX).min(entries.len());
        self.published
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(&entries[..taken]);
        if taken < entries.len() {
            return Err(PublishError {
                first_failed: taken,
                reason: "ThrottlingException".into(),
            });
        }
        Ok(())
    }
}

/// A failure queue in memory; `unavailable` makes it refuse.
#[derive(Debug, Default)]
pub struct MemoryFailures {
    kept: Mutex<Vec<String>>,
    unavailable: Mutex<bool>,
}

impl MemoryFailures {
    pub fn kept(&self) -> Vec<String> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set_unavailable(&self, down: bool) {
        *self.unavailable.lock().unwrap_or_else(|p| p.into_inner()) = down;
    }
}

#[async_trait]
impl FailureKeeper for MemoryFailures {
    async fn keep(&self, message: String) -> Result<(), StoreError> {
        if *self.unavailable.lock().unwrap_or_else(|p| p.into_inner()) {
            return Err(StoreError::Unavailable("queue unavailable".into()));
        }
        self.kept
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(message);
        Ok(())
    }
}
