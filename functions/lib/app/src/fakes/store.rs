//! The in-memory table: what it holds, how a test fills it, and the faults
//! a test arms on it. The port implementations are in the sibling files, one
//! per family of ports.

use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::faults::{Faults, WriteOp};
use crate::ports::{ItemKind, NotificationOutcome, NotifyItem, NotifyProgress, StoreError};
use lifeline_domain::call::{AgentProfile, EmergencyCall};
use lifeline_domain::lease::Lease;
use lifeline_domain::location::RegisteredLocation;
use lifeline_domain::notification::NotificationTemplate;
use lifeline_domain::numbers::Country;
use lifeline_domain::presence::PresenceState;
use lifeline_domain::route::TenantSettings;
use lifeline_domain::types::{AgentId, CallId, E164};

#[derive(Debug, Clone)]
pub struct NumberState {
    pub country: Country,
    pub available_at: DateTime<Utc>,
    pub lease: Option<Lease>,
}

#[derive(Debug, Default)]
pub struct State {
    pub calls: HashMap<CallId, EmergencyCall>,
    /// Lease writes in flight that nobody waits for any more (see
    /// `MemoryStore::hold_next_lease_writes`).
    pub held_writes: Vec<(EmergencyCall, crate::ports::LeaseWrite)>,
    /// The tenant's escalation policy (none set: the default).
    pub escalation: Option<lifeline_domain::escalation::EscalationPolicy>,
    /// The callbacks marked: number, lease, when.
    pub callbacks: Vec<(
        lifeline_domain::types::E164,
        lifeline_domain::types::LeaseId,
        chrono::DateTime<chrono::Utc>,
    )>,
    /// Each incident's escalation steps: claimed until, progress, done.
    pub escalation_steps: std::collections::HashMap<
        (
            lifeline_domain::types::CallId,
            lifeline_domain::escalation::StepKey,
        ),
        StoredStep,
    >,
    /// Who each incident's alerts went to, and the acknowledgements.
    pub alerted: HashMap<CallId, Vec<lifeline_domain::ack::AlertedRecipient>>,
    pub acks: HashMap<CallId, Vec<lifeline_domain::ack::Acknowledgement>>,
    /// Ends kept for calls not recorded yet, by platform id and agent.
    pub kept_ends: HashMap<(CallId, AgentId), (lifeline_domain::call::CallEnded, DateTime<Utc>)>,
    pub agents: HashMap<AgentId, AgentProfile>,
    pub pointers: HashMap<AgentId, Lease>,
    pub numbers: BTreeMap<E164, NumberState>,
    pub tenant: TenantSettings,
    pub presence: HashMap<AgentId, PresenceState>,
    pub locations: HashMap<AgentId, RegisteredLocation>,
    /// Notification outcome per call (`sent`, `partial`, `failed`, `no_recipients`).
    pub notifications: HashMap<CallId, String>,
    /// The e-mail's progress per call, while some recipient is pending
    /// (dropped when the outcome is recorded, as the adapter does).
    pub notify_progress: HashMap<CallId, NotifyProgress>,
    /// Until when a delivery holds each call's sending.
    pub sending_claims: HashMap<CallId, DateTime<Utc>>,
    /// The caller ID each call's e-mail named, and its correction's.
    pub notified_caller_ids: HashMap<CallId, E164>,
    pub corrected_caller_ids: HashMap<CallId, E164>,
    pub template: Option<NotificationTemplate>,
    /// The template families pushed, per locale, and the tenant's locale.
    pub template_families:
        BTreeMap<lifeline_domain::locale::Locale, lifeline_domain::notification::TemplateFamily>,
    pub tenant_locale: Option<lifeline_domain::locale::Locale>,
    /// Countries whose `available` index lags: their listing as it was when
    /// frozen, taken numbers included (what DynamoDB's eventually consistent
    /// index can show under a burst).
    pub frozen_index: HashMap<Country, Vec<(DateTime<Utc>, E164)>>,
    /// Items stored but unreadable, as a hand edit leaves them: read as
    /// missing and reported, as the DynamoDB adapter does.
    pub unreadable: Vec<(ItemKind, String)>,
    /// The stored template does not decode (the notifier reads it as absent).
    pub template_unreadable: bool,
    /// Items the notifier's reads are not given (a throttled batch read that
    /// answers for the call only): read as missing and reported.
    pub notify_unavailable: Vec<NotifyItem>,
    /// Every notification outcome recorded, with its detail.
    pub notification_outcomes: HashMap<CallId, NotificationOutcome>,
}

/// The table in memory, with the DynamoDB adapter's conditional semantics.
/// It counts requests and can be told to fail, like an unreachable store.
#[derive(Debug, Default)]
pub struct MemoryStore {
    pub state: Mutex<State>,
    pub(super) faults: Faults,
    reads: AtomicUsize,
    writes: AtomicUsize,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn add_agent(&self, a: AgentProfile) {
        self.with_state(|s| s.agents.insert(a.id.clone(), a));
    }

    pub fn add_numbers(&self, country: Country, numbers: &[&str]) {
        self.with_state(|s| {
            for n in numbers {
                if let Ok(n) = n.parse::<E164>() {
                    s.numbers.insert(
                        n,
                        NumberState {
                            country,
                            available_at: DateTime::<Utc>::MIN_UTC,
                            lease: None,
                        },
                    );
                }
            }
        });
    }

    /// From now on `country`'s `available` index lists what it lists now,
    /// whatever is taken later (an index that lags behind the table).
    pub fn freeze_index(&self, country: Country) {
        self.with_state(|s| {
            let listing = s
                .numbers
                .iter()
                .filter(|(_, n)| n.country == country)
                .map(|(k, n)| (n.available_at, k.clone()))
                .collect();
            s.frozen_index.insert(country, listing);
        });
    }

    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }

    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    /// Counts the request, and fails it as the armed faults say.
    pub(super) fn check(&self, write: bool) -> Result<(), StoreError> {
        let counter = if write { &self.writes } else { &self.reads };
        counter.fetch_add(1, Ordering::SeqCst);
        if self.faults.fails(write) {
            Err(StoreError::Unavailable("injected fault".into()))
        } else {
            Ok(())
        }
    }
}

/// Arming faults.
impl MemoryStore {
    /// Every later call fails as an unreachable store would.
    pub fn set_failing(&self, fail: bool) {
        self.faults.fail.store(fail, Ordering::SeqCst);
    }

    /// Reads fail, writes go through (a read path throttled).
    pub fn set_failing_reads(&self, fail: bool) {
        self.faults.fail_reads.store(fail, Ordering::SeqCst);
    }

    /// Only the available-number lookups fail.
    pub fn set_failing_lookups(&self, fail: bool) {
        self.faults.fail_lookups.store(fail, Ordering::SeqCst);
    }

    /// The next `n` writes fail, the later ones go through.
    pub fn fail_next_writes(&self, n: usize) {
        self.faults.fail_writes.store(n, Ordering::SeqCst);
    }

    /// The next `n` writes of an e-mail's progress fail, and nothing else.
    pub fn fail_next_progress_writes(&self, n: usize) {
        self.faults.fail_progress.store(n, Ordering::SeqCst);
    }

    /// The next `n` emergency records commit, but their caller hears a failure.
    pub fn lose_next_answers(&self, n: usize) {
        self.faults.lose_answers.store(n, Ordering::SeqCst);
    }

    /// Dial reads (context, pool listing) answer after `d`.
    pub fn delay_reads(&self, d: Duration) {
        self.faults.delays().read = d;
    }

    /// Emergency records are applied only after `d` (a request dropped
    /// earlier never commits).
    pub fn delay_writes(&self, d: Duration) {
        self.faults.delays().write = d;
    }

    /// Lease writes (call and lease in one transaction) are applied only
    /// after `d`; the call's record alone goes through at once.
    pub fn delay_lease_writes(&self, d: Duration) {
        self.faults.delays().lease_write = d;
    }

    /// The next `n` lease writes commit at once and answer only after `d`
    /// (a write that commits but answers late): `commit_late` for
    /// [`WriteOp::LeaseRecord`], `n` times.
    pub fn answer_late(&self, n: usize, d: Duration) {
        self.faults.set_late_commits(WriteOp::LeaseRecord, n, d);
    }

    /// The next `op` write that succeeds takes effect at once and answers
    /// only after `delay`: a caller that stops waiting sooner hears nothing
    /// (a timeout) although the write is in the store, as when DynamoDB's
    /// answer is lost. Each call arms one more write.
    pub fn commit_late(&self, op: WriteOp, delay: Duration) {
        self.faults.arm_late_commit(op, delay);
    }

    /// Dial reads wait as long as a test said.
    pub(super) async fn read_delay(&self) {
        self.faults.before_read().await;
    }

    /// After an `op` write succeeded: answers late if a test armed it.
    pub(super) async fn answer(&self, op: WriteOp) {
        self.faults.answer(op).await;
    }
}

/// An escalation step, as the fake keeps it.
#[derive(Debug, Clone, Default)]
pub struct StoredStep {
    pub claim_until: Option<chrono::DateTime<chrono::Utc>>,
    pub progress: crate::ports::NotifyProgress,
    pub done: bool,
}
