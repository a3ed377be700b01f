//! The faults a test arms on the in-memory store: an unreachable store,
//! failing reads or writes, slow answers, and writes whose answer is lost or
//! late although they committed (what DynamoDB does when a response is lost).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// A write of the in-memory store, for a fault aimed at one kind of write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteOp {
    /// `record_emergency` with a lease change (the call and the lease in one
    /// transaction).
    LeaseRecord,
    /// `record_emergency` without a lease, and the outbox consumer's
    /// `record_call`: the call's record alone.
    CallRecord,
    /// The outbox consumer's `settle_presented`.
    SettlePresented,
    RecordEnd,
    Release,
    SavePresence,
    RegisterLocation,
    RecordNotification,
    RecordProgress,
    ClaimSending,
    PutAgent,
    AddNumbers,
    RemoveNumber,
    PutTenant,
}

/// Slow answers (run the tests on tokio's paused clock).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Delays {
    /// Before every dial read answers.
    pub(super) read: Duration,
    /// Before an emergency record is applied: dropped before then, it never commits.
    pub(super) write: Duration,
    /// The same, for lease writes only.
    pub(super) lease_write: Duration,
}

#[derive(Debug, Default)]
pub(super) struct Faults {
    pub(super) fail: AtomicBool,
    pub(super) fail_lookups: AtomicBool,
    pub(super) fail_reads: AtomicBool,
    /// How many of the next writes fail.
    pub(super) fail_writes: AtomicUsize,
    /// How many of the next progress writes fail (the e-mail's claim and
    /// outcome go through).
    pub(super) fail_progress: AtomicUsize,
    /// How many of the next emergency records commit and then report a
    /// failure (a timeout after the commit: the outcome is unknown to the caller).
    pub(super) lose_answers: AtomicUsize,
    /// How many of the next lease writes are held in flight: never answered
    /// (the caller gives up), committed when the test says (see `land_held`).
    pub(super) hold_lease_writes: AtomicUsize,
    delays: Mutex<Delays>,
    /// Per kind of write, how late each of the next ones that commit answers.
    late_commits: Mutex<HashMap<WriteOp, VecDeque<Duration>>>,
}

/// Takes one from a countdown; whether there was one.
pub(super) fn take_one(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

impl Faults {
    pub(super) fn delays(&self) -> MutexGuard<'_, Delays> {
        self.delays.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn late_commits(&self) -> MutexGuard<'_, HashMap<WriteOp, VecDeque<Duration>>> {
        self.late_commits.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this request fails as the armed faults say (a write counts
    /// down the failing writes).
    pub(super) fn fails(&self, write: bool) -> bool {
        let write_fails = write && take_one(&self.fail_writes);
        let read_fails = !write && self.fail_reads.load(Ordering::SeqCst);
        self.fail.load(Ordering::SeqCst) || write_fails || read_fails
    }

    /// Whether this committed emergency record's answer is lost.
    pub(super) fn answer_lost(&self) -> bool {
        take_one(&self.lose_answers)
    }

    pub(super) async fn before_read(&self) {
        let d = self.delays().read;
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
    }

    /// Waits as long as an emergency record takes to be applied.
    pub(super) async fn before_record(&self, with_lease: bool) {
        let delays = *self.delays();
        let d = if with_lease {
            delays.write + delays.lease_write
        } else {
            delays.write
        };
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
    }

    /// One more `op` write commits and answers after `delay`.
    pub(super) fn arm_late_commit(&self, op: WriteOp, delay: Duration) {
        self.late_commits().entry(op).or_default().push_back(delay);
    }

    /// Exactly the next `n` `op` writes commit and answer after `delay`.
    pub(super) fn set_late_commits(&self, op: WriteOp, n: usize, delay: Duration) {
        self.late_commits()
            .insert(op, std::iter::repeat_n(delay, n).collect());
    }

    /// After an `op` write committed: answers late if a test armed it.
    pub(super) async fn answer(&self, op: WriteOp) {
        let late = self
            .late_commits()
            .get_mut(&op)
            .and_then(VecDeque::pop_front);
        if let Some(delay) = late {
            tokio::time::sleep(delay).await;
        }
    }
}

#[cfg(test)]
mod tests;
