//! In-memory implementations of the ports with the same conditional semantics
//! as the DynamoDB adapter, for handler tests and property tests. They count
//! calls per operation and can be told to fail, like an unreachable store.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::ports::{
    CallbackStore, DialContext, DialStore, EndError, EndStore, ItemKind, LeaseWrite, PoolCursor,
    PoolPage, PresenceStore, RecordError, SaveError, StoreError,
};
use lifeline_domain::call::{AgentProfile, EmergencyCall};
use lifeline_domain::lease::Lease;
use lifeline_domain::numbers::Country;
use lifeline_domain::presence::{PresenceState, PresenceView};
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
    pub agents: HashMap<AgentId, AgentProfile>,
    pub pointers: HashMap<AgentId, Lease>,
    pub numbers: BTreeMap<E164, NumberState>,
    pub tenant: TenantSettings,
    pub presence: HashMap<AgentId, PresenceState>,
    pub locations: HashMap<AgentId, lifeline_domain::location::RegisteredLocation>,
    /// Notification outcome per call (`sent`, `partial`, `failed`, `no_recipients`).
    pub notifications: HashMap<CallId, String>,
    /// The e-mail's progress per call, while some recipient is pending
    /// (dropped when the outcome is recorded, as the adapter does).
    pub notify_progress: HashMap<CallId, crate::ports::NotifyProgress>,
    pub template: Option<lifeline_domain::notification::NotificationTemplate>,
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
    pub notify_unavailable: Vec<crate::ports::NotifyItem>,
    /// Every notification outcome recorded, with its detail.
    pub notification_outcomes: HashMap<CallId, crate::ports::NotificationOutcome>,
}

/// Slow answers (run the tests on tokio's paused clock).
#[derive(Debug, Default, Clone, Copy)]
struct Delays {
    /// Before every dial read answers.
    read: std::time::Duration,
    /// Before an emergency record is applied: dropped before then, it never commits.
    write: std::time::Duration,
    /// The same, for lease writes only.
    lease_write: std::time::Duration,
    /// How many of the next lease writes commit and then answer this late.
    late_answers: (usize, std::time::Duration),
}

#[derive(Debug, Default)]
pub struct MemoryStore {
    pub state: Mutex<State>,
    fail: AtomicBool,
    fail_lookups: AtomicBool,
    fail_reads: AtomicBool,
    /// How many of the next writes fail.
    fail_writes: AtomicUsize,
    /// How many of the next emergency records commit and then report a
    /// failure (a timeout after the commit: the outcome is unknown to the caller).
    lose_answers: AtomicUsize,
    delays: Mutex<Delays>,
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

    /// Every later call fails as an unreachable store would.
    pub fn set_failing(&self, fail: bool) {
        self.fail.store(fail, Ordering::SeqCst);
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

    /// Only the available-number lookups fail.
    /// Reads fail, writes go through (a read path throttled).
    pub fn set_failing_reads(&self, fail: bool) {
        self.fail_reads.store(fail, Ordering::SeqCst);
    }

    /// The next `n` emergency records commit, but their caller hears a failure.
    pub fn lose_next_answers(&self, n: usize) {
        self.lose_answers.store(n, Ordering::SeqCst);
    }

    /// Dial reads (context, pool listing) answer after `d`.
    pub fn delay_reads(&self, d: std::time::Duration) {
        self.delays().read = d;
    }

    /// Emergency records are applied only after `d` (a request dropped
    /// earlier never commits).
    pub fn delay_writes(&self, d: std::time::Duration) {
        self.delays().write = d;
    }

    /// Lease writes (call and lease in one transaction) are applied only
    /// after `d`; the call's record alone goes through at once.
    pub fn delay_lease_writes(&self, d: std::time::Duration) {
        self.delays().lease_write = d;
    }

    /// The next `n` lease writes commit at once and answer only after `d`
    /// (a write that commits but answers late).
    pub fn answer_late(&self, n: usize, d: std::time::Duration) {
        self.delays().late_answers = (n, d);
    }

    fn delays(&self) -> std::sync::MutexGuard<'_, Delays> {
        self.delays.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn read_delay(&self) {
        let d = self.delays().read;
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
    }

    /// The next `n` writes fail, the later ones go through.
    pub fn fail_next_writes(&self, n: usize) {
        self.fail_writes.store(n, Ordering::SeqCst);
    }

    pub fn set_failing_lookups(&self, fail: bool) {
        self.fail_lookups.store(fail, Ordering::SeqCst);
    }

    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }

    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    fn check(&self, write: bool) -> Result<(), StoreError> {
        if write {
            self.writes.fetch_add(1, Ordering::SeqCst);
        } else {
            self.reads.fetch_add(1, Ordering::SeqCst);
        }
        let write_fails = write
            && self
                .fail_writes
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        let read_fails = !write && self.fail_reads.load(Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) || write_fails || read_fails {
            Err(StoreError::Unavailable("injected fault".into()))
        } else {
            Ok(())
        }
    }
}

/// Checks a lease write's conditions, as the adapter's condition expressions do.
fn lease_ok(s: &State, w: &LeaseWrite) -> Result<(), RecordError> {
    match w {
        LeaseWrite::Claim {
            lease,
            now,
            pointer_version,
            ..
        } => {
            // As the table's refusal does: the pointer's lease comes back.
            let pointer = s.pointers.get(&lease.agent);
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

fn apply_lease(s: &mut State, w: &LeaseWrite) {
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
        if self.fail_lookups.load(Ordering::SeqCst) {
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
        let delays = *self.delays();
        let write_delay = if lease.is_some() {
            delays.write + delays.lease_write
        } else {
            delays.write
        };
        if !write_delay.is_zero() {
            tokio::time::sleep(write_delay).await;
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
        let lost = self
            .lose_answers
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if lost {
            return Err(RecordError::Store(StoreError::Unavailable(
                "injected timeout after the commit".into(),
            )));
        }
        let late = lease.is_some().then(|| {
            let mut delays = self.delays();
            let (n, d) = delays.late_answers;
            (n > 0).then(|| {
                delays.late_answers.0 = n - 1;
                d
            })
        });
        if let Some(Some(d)) = late {
            tokio::time::sleep(d).await;
        }
        Ok(())
    }
}

#[async_trait]
impl EndStore for MemoryStore {
    async fn end_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<(Option<EmergencyCall>, Option<Lease>), StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| (s.calls.get(call).cloned(), s.pointers.get(agent).cloned())))
    }

    async fn record_end(
        &self,
        call: &CallId,
        ended_at: DateTime<Utc>,
        _ttl: DateTime<Utc>,
        lease: Option<&LeaseWrite>,
    ) -> Result<(), EndError> {
        self.check(true)?;
        self.with_state(|s| {
            match s.calls.get(call) {
                Some(c) if c.ended_at.is_none() => {}
                _ => return Err(EndError::AlreadyEnded),
            }
            if let Some(w) = lease {
                lease_ok(s, w).map_err(|_| EndError::LeaseChanged)?;
                apply_lease(s, w);
            }
            if let Some(c) = s.calls.get_mut(call) {
                c.ended_at = Some(ended_at);
            }
            Ok(())
        })
    }
}

#[async_trait]
impl CallbackStore for MemoryStore {
    async fn lease_for_number(&self, number: &E164) -> Result<Option<Lease>, StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| s.numbers.get(number).and_then(|n| n.lease.clone())))
    }
}

#[async_trait]
impl PresenceStore for MemoryStore {
    async fn agent_presence(
        &self,
        agent: &AgentId,
    ) -> Result<(bool, Option<PresenceState>), StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| (s.agents.contains_key(agent), s.presence.get(agent).cloned())))
    }

    async fn save_presence(
        &self,
        agent: &AgentId,
        state: &PresenceState,
        _view: PresenceView,
        _now: DateTime<Utc>,
    ) -> Result<(), SaveError> {
        self.check(true)?;
        self.with_state(|s| {
            let stored = s.presence.get(agent).map_or(0, |p| p.version);
            if stored != state.version {
                return Err(SaveError::Conflict);
            }
            let mut next = state.clone();
            next.version += 1;
            s.presence.insert(agent.clone(), next);
            Ok(())
        })
    }
}

#[async_trait]
impl crate::ports::LocationStore for MemoryStore {
    async fn registered_location(
        &self,
        agent: &AgentId,
    ) -> Result<(bool, Option<lifeline_domain::location::RegisteredLocation>), StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| {
            (
                s.agents.contains_key(agent),
                s.locations.get(agent).cloned(),
            )
        }))
    }

    async fn register_location(
        &self,
        agent: &AgentId,
        registered: &lifeline_domain::location::RegisteredLocation,
        _ttl: DateTime<Utc>,
    ) -> Result<(), crate::ports::LocationError> {
        self.check(true)?;
        self.with_state(|s| {
            if !s.agents.contains_key(agent) {
                return Err(crate::ports::LocationError::UnknownAgent(agent.clone()));
            }
            s.locations.insert(agent.clone(), registered.clone());
            Ok(())
        })
    }
}

#[async_trait]
impl crate::ports::ReleaseStore for MemoryStore {
    async fn release(
        &self,
        expiry: &lifeline_domain::expiry::LeaseExpiry,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.check(true)?;
        Ok(self.with_state(|s| {
            let Some(n) = expiry
                .number
                .parse::<E164>()
                .ok()
                .and_then(|n| s.numbers.get_mut(&n))
            else {
                return false;
            };
            match n.lease.as_mut() {
                Some(l) if lifeline_domain::expiry::may_release(l, expiry, now) => {
                    l.released_at = Some(now);
                    true
                }
                _ => false,
            }
        }))
    }
}

/// A scheduler that keeps schedules by name, counts calls and can fail.
#[derive(Debug, Default)]
pub struct MemoryScheduler {
    pub schedules: Mutex<BTreeMap<String, lifeline_domain::expiry::ExpirySchedule>>,
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
    pub fn all(&self) -> Vec<lifeline_domain::expiry::ExpirySchedule> {
        self.schedules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }
}

#[async_trait]
impl crate::ports::LeaseScheduler for MemoryScheduler {
    async fn upsert(
        &self,
        schedule: &lifeline_domain::expiry::ExpirySchedule,
    ) -> Result<(), crate::ports::ScheduleError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) {
            return Err(crate::ports::ScheduleError::Unavailable(
                "injected fault".into(),
            ));
        }
        self.schedules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(schedule.name.clone(), schedule.clone());
        Ok(())
    }
}

#[async_trait]
impl crate::ports::NotifyStore for MemoryStore {
    async fn notify_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<crate::ports::NotifyContext, StoreError> {
        use crate::ports::NotifyItem;
        self.check(false)?;
        Ok(self.with_state(|s| {
            let corrupt =
                |kind: ItemKind, key: &str| s.unreadable.contains(&(kind, key.to_string()));
            let mut ctx = crate::ports::NotifyContext {
                call: s.calls.get(call).cloned(),
                notification: s.notifications.get(call).cloned(),
                progress: s.notify_progress.get(call).cloned().unwrap_or_default(),
                agent: s.agents.get(agent).cloned(),
                template: s.template.clone(),
                unreadable: Vec::new(),
                unavailable: Vec::new(),
            };
            // As the adapter: an unreadable item exists, so it is reported
            // only if it is there; an unavailable one is reported either way.
            if corrupt(ItemKind::Call, call.as_str()) && ctx.call.take().is_some() {
                ctx.unreadable.push(NotifyItem::Call);
            }
            if corrupt(ItemKind::Profile, agent.as_str()) && ctx.agent.take().is_some() {
                ctx.unreadable.push(NotifyItem::Profile);
            }
            if s.template_unreadable && ctx.template.take().is_some() {
                ctx.unreadable.push(NotifyItem::Template);
            }
            for item in &s.notify_unavailable {
                match item {
                    NotifyItem::Profile => ctx.agent = None,
                    NotifyItem::Template => ctx.template = None,
                    // The adapter fails the whole read without the call.
                    NotifyItem::Call => {
                        return Err(StoreError::Unavailable("call not read: throttled".into()))
                    }
                }
                ctx.unavailable.push(*item);
            }
            Ok(ctx)
        })?)
    }

    async fn record_notification(
        &self,
        call: &CallId,
        outcome: &crate::ports::NotificationOutcome,
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.check(true)?;
        self.with_state(|s| {
            s.notify_progress.remove(call);
            s.notification_outcomes
                .insert(call.clone(), outcome.clone());
            s.notifications
                .insert(call.clone(), outcome.state().to_string())
        });
        Ok(())
    }

    async fn record_progress(
        &self,
        call: &CallId,
        progress: &crate::ports::NotifyProgress,
    ) -> Result<(), StoreError> {
        self.check(true)?;
        self.with_state(|s| {
            // As the adapter's condition: never over a recorded outcome.
            if !s.notifications.contains_key(call) {
                s.notify_progress.insert(call.clone(), progress.clone());
            }
        });
        Ok(())
    }
}

/// An outbox instead of SES: keeps what was sent (one address a message),
/// can fail the next sends, or those to one address.
#[derive(Debug, Default)]
pub struct MemoryOutbox {
    pub sent: Mutex<Vec<(String, lifeline_domain::notification::RenderedEmail)>>,
    /// Every send attempt's address, in order, failed ones included.
    pub attempts: Mutex<Vec<String>>,
    transient_failures: AtomicUsize,
    permanent: AtomicBool,
    /// Per address: how many more sends fail transiently, or the code it is
    /// refused with for good.
    per_address: Mutex<HashMap<String, AddressFault>>,
}

#[derive(Debug, Clone)]
enum AddressFault {
    Transient(usize),
    Refused(&'static str),
}

impl MemoryOutbox {
    /// The next `n` sends fail as throttling would.
    pub fn fail_next(&self, n: usize) {
        self.transient_failures.store(n, Ordering::SeqCst);
    }
    /// Every send is refused for good (an unverified sender).
    pub fn refuse(&self, on: bool) {
        self.permanent.store(on, Ordering::SeqCst);
    }
    /// The next `n` sends to `to` fail as throttling would.
    pub fn fail_next_to(&self, to: &str, n: usize) {
        self.per_address
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(to.to_string(), AddressFault::Transient(n));
    }
    /// Sends to `to` are refused for good with `code` (`MessageRejected`).
    pub fn refuse_to(&self, to: &str, code: &'static str) {
        self.per_address
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(to.to_string(), AddressFault::Refused(code));
    }
    /// What was sent: (the one address, the message).
    pub fn messages(&self) -> Vec<(String, lifeline_domain::notification::RenderedEmail)> {
        self.sent.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
    /// The addresses sent to, in order.
    pub fn addresses(&self) -> Vec<String> {
        self.messages().into_iter().map(|(to, _)| to).collect()
    }
    /// Every address a send was attempted to, in order (failures included).
    pub fn attempted(&self) -> Vec<String> {
        self.attempts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[async_trait]
impl crate::ports::EmailSender for MemoryOutbox {
    async fn send(
        &self,
        _from: &lifeline_domain::types::Email,
        to: &lifeline_domain::types::Email,
        email: &lifeline_domain::notification::RenderedEmail,
    ) -> Result<String, crate::ports::SendError> {
        use crate::ports::{ErrorCode, SendError};
        self.attempts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(to.as_str().to_string());
        if self.permanent.load(Ordering::SeqCst) {
            return Err(SendError::Permanent(ErrorCode::new("MessageRejected")));
        }
        if let Some(fault) = self
            .per_address
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(to.as_str())
        {
            match fault {
                AddressFault::Refused(code) => {
                    return Err(SendError::Permanent(ErrorCode::new(code)))
                }
                AddressFault::Transient(n) if *n > 0 => {
                    *n = n.saturating_sub(1);
                    return Err(SendError::Transient(ErrorCode::new(
                        "TooManyRequestsException",
                    )));
                }
                AddressFault::Transient(_) => {}
            }
        }
        if self
            .transient_failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(SendError::Transient(ErrorCode::new(
                "TooManyRequestsException",
            )));
        }
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        sent.push((to.as_str().to_string(), email.clone()));
        Ok(format!("m-{}", sent.len()))
    }
}

/// Ids a test can predict: `l-1`, `l-2`, … and picks that count up.
#[derive(Debug, Default)]
pub struct SequenceIds {
    next: AtomicUsize,
}

impl crate::ids::Ids for SequenceIds {
    fn lease_id(&self) -> lifeline_domain::types::LeaseId {
        let n = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        lifeline_domain::types::LeaseId::from_bits(n as u128)
    }

    fn below(&self, bound: usize) -> usize {
        match bound {
            0 => 0,
            b => self.next.fetch_add(1, Ordering::SeqCst) % b,
        }
    }
}

/// One emitted metric: its name, value and dimensions.
pub type Emitted = (String, f64, Vec<(String, String)>);

/// Metrics kept in memory, one entry per emit.
#[derive(Debug, Default)]
pub struct RecordedMetrics(Mutex<Vec<Emitted>>);

impl RecordedMetrics {
    pub fn all(&self) -> Vec<Emitted> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The values emitted under `name`.
    pub fn values(&self, name: &str) -> Vec<f64> {
        self.all()
            .into_iter()
            .filter(|(n, _, _)| n == name)
            .map(|(_, v, _)| v)
            .collect()
    }
}

impl crate::metrics::Metrics for RecordedMetrics {
    fn emit_sets(
        &self,
        name: &str,
        value: f64,
        _unit: &str,
        dimensions: &[(&str, &str)],
        _dimension_sets: &[&[&str]],
    ) {
        let dims = dimensions
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((name.to_string(), value, dims));
    }
}

mod admin;
mod outbox;
pub use outbox::MemoryCallOutbox;
mod panicking;
pub use panicking::PanickingStore;
mod bus;
pub use bus::{MemoryBus, MemoryFailures};
