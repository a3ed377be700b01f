//! The emergency dial: recognise, record and lease in one write, answer fast,
//! and never block the call whatever fails.
//!
//! It reads as its steps: classify (pure) → read the context → match the
//! country → look up candidates → plan a lease (pure) → write → resolve the
//! write's outcome → answer. Every failure on the way still answers
//! `emergency`, degraded, with the agent's own number.

use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use lifeline_domain::call::{AgentProfile, EmergencyCall, OutboundAnswer, OutboundDial};
use lifeline_domain::classify::{classify, match_with_profile, Classification, ProfileMatch};
use lifeline_domain::dial::{
    call_record, degraded_call, new_lease, plan_lease, same_dial, BestMatch, LeasePlan,
};
use lifeline_domain::lease::Lease;
use lifeline_domain::location::{resolve, wants_registered, LocationSource};
use lifeline_domain::numbers::{Country, EmergencyMatch};
use lifeline_domain::route::{select_route, TenantSettings};
use lifeline_domain::types::E164;

pub mod warm;
#[cfg(test)]
mod warm_tests;
use warm::{WarmCache, REFILL_PAGE};

use crate::clock::Clock;
use crate::ids::{Ids, RandomIds};
use crate::metrics::{EmfStdout, Metrics};
use crate::ports::{
    CallOutbox, DialContext, DialStore, ItemKind, LeaseWrite, PoolCursor, PoolPage, RecordError,
    StoreError,
};
use crate::settings::Settings;

/// How many available numbers one lookup returns: enough for concurrent dials
/// to pick different ones (keys only: one small read), independent of the
/// pool's size.
pub const CANDIDATES: usize = 48;
/// Write attempts before answering degraded.
const MAX_ATTEMPTS: usize = 16;
/// Fresh lookups after concurrent dials took the candidates.
const MAX_REQUERIES: usize = 5;
/// Numbers a dial takes from the container's queue after one was taken.
const MAX_QUEUE_RETAKES: usize = 3;
/// How long a dial waits for a running refill when the queue is empty: a
/// page read, shorter than a lookup of its own under load.
const REFILL_WAIT: Duration = Duration::from_millis(250);

pub struct DialService<S> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    settings: Arc<Settings>,
    ids: Arc<dyn Ids>,
    metrics: Arc<dyn Metrics>,
    /// Where a call goes when the table cannot take its record in time.
    outbox: Option<Arc<dyn CallOutbox>>,
    /// What this container keeps for the one-write warm path.
    warm: Arc<WarmCache>,
}

impl<S> Clone for DialService<S> {
    fn clone(&self) -> Self {
        DialService {
            store: self.store.clone(),
            clock: self.clock.clone(),
            settings: self.settings.clone(),
            ids: self.ids.clone(),
            metrics: self.metrics.clone(),
            outbox: self.outbox.clone(),
            warm: self.warm.clone(),
        }
    }
}

/// The candidate numbers being tried for one dial: a page of the pool's
/// listing, and where the next page starts.
struct Candidates {
    numbers: Vec<E164>,
    next: Option<PoolCursor>,
    tried: HashSet<E164>,
    /// A failed lookup says nothing about the pool: the answer then gives
    /// the failure (`store_unavailable`, `timeout`), not `pool_exhausted`.
    lookup_failed: Option<&'static str>,
    requeries_left: usize,
    /// Numbers still to take from the container's queue after one was
    /// found taken: a queue that keeps failing is stale (another container
    /// took them), and the index is read instead.
    queue_takes_left: usize,
    limit: usize,
}

impl Candidates {
    fn new(looked_up: Result<PoolPage, StoreError>, limit: usize) -> Self {
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
    fn warm(number: E164, limit: usize) -> Self {
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
    fn refresh(&mut self, fresh: PoolPage) {
        if fresh.numbers.len() < self.limit {
            self.requeries_left = 0;
        }
        self.numbers = fresh.numbers;
        self.next = fresh.next;
    }
}

/// When the dial must have answered. Every store request on the way is
/// bounded by it, so the dial ends on its own terms (with a record) rather
/// than being cut off by the outer guard (with none).
#[derive(Clone, Copy)]
struct Deadline {
    end: tokio::time::Instant,
    /// One store request's share (the SDK's attempt timeout).
    attempt: Duration,
}

/// The least time a lease write is given (a transaction under load takes a
/// few hundred milliseconds at worst on DynamoDB Local; a few tens on AWS).
const MIN_LEASE_WRITE: Duration = Duration::from_millis(250);

/// Kept back at the very end for answering (serializing, logging).
const ANSWER_MARGIN: Duration = Duration::from_millis(20);

impl Deadline {
    fn remaining(&self) -> Duration {
        self.end
            .saturating_duration_since(tokio::time::Instant::now())
    }

    /// A lease write starts only while one more request (the record that
    /// settles an unknown outcome) still fits after it, and the write itself
    /// has at least [`MIN_LEASE_WRITE`]: slow reads shorten the write's
    /// share rather than forfeit the callback number.
    fn allows_lease_write(&self) -> bool {
        self.remaining() >= self.attempt + MIN_LEASE_WRITE
    }

    /// What a read or a lease write may take: the rest, less one request
    /// kept for the call's record.
    fn before_reserve(&self) -> Duration {
        self.remaining().saturating_sub(self.attempt)
    }

    /// What the call's final record may take.
    fn for_record(&self) -> Duration {
        self.remaining().saturating_sub(ANSWER_MARGIN)
    }
}

/// `request`, or `TimedOut` once `limit` has passed (the request is dropped;
/// a write may still commit, which the call's conditional record settles).
async fn within<T, E: From<StoreError>>(
    limit: Duration,
    request: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    match tokio::time::timeout(limit, request).await {
        Ok(result) => result,
        Err(_) => Err(StoreError::TimedOut(limit.as_millis() as u64).into()),
    }
}

/// A dial answered `continue`: ordinary, or passed through with a reason.
struct PassThrough(Option<&'static str>);

impl PassThrough {
    fn answer(self) -> OutboundAnswer {
        OutboundAnswer::Continue { reason: self.0 }
    }
}

/// What one write attempt came to.
enum Attempt {
    Answered(OutboundAnswer),
    /// Another dial took the number: try another.
    NumberTaken,
    /// Nobody won yet: try again shortly.
    Conflict,
    /// The agent's lease changed since it was read: the store's refusal
    /// says to what (none: read again).
    LeaseChanged(Option<Box<Lease>>),
    /// The store failed or did not answer in time (the write may still have
    /// committed): the reason to record.
    Failed(&'static str),
}

impl<S: DialStore + 'static> DialService<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, settings: Arc<Settings>) -> Self {
        DialService {
            warm: Arc::new(WarmCache::new(settings.dial_cache)),
            store,
            clock,
            settings,
            ids: Arc::new(RandomIds),
            metrics: Arc::new(EmfStdout),
            outbox: None,
        }
    }

    /// Hands a call the table could not take to `outbox`, whose consumer
    /// records it later (presence and e-mail then follow).
    pub fn with_outbox(mut self, outbox: Arc<dyn CallOutbox>) -> Self {
        self.outbox = Some(outbox);
        self
    }

    /// Takes lease ids and random picks from `ids` (tests).
    pub fn with_ids(mut self, ids: Arc<dyn Ids>) -> Self {
        self.ids = ids;
        self
    }

    /// Emits to `metrics` instead of the EMF log lines (tests).
    pub fn with_metrics(mut self, metrics: Arc<dyn Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    pub async fn dial(&self, dial: OutboundDial) -> OutboundAnswer {
        let now = self.clock.now();
        let known = match self.recognise(&dial) {
            Ok(known) => known,
            Err(pass) => return pass.answer(),
        };
        let budget = self.settings.dial_budget;
        let deadline = Deadline {
            end: tokio::time::Instant::now() + budget,
            attempt: self.settings.dial_attempt(),
        };
        let work = self.emergency(&dial, known, now, &deadline);
        // The steps bound themselves by the deadline; this guard only catches
        // what they cannot (a stalled runtime).
        let answer = match tokio::time::timeout(budget, work).await {
            Ok(answer) => answer,
            Err(_) => {
                tracing::error!(call_id = %dial.call_id, budget_ms = budget.as_millis() as u64,
                    "emergency dial over its time budget; answering degraded, unrecorded");
                self.metrics
                    .emit("UnrecordedEmergencyCalls", 1.0, "Count", &[]);
                self.degraded_answer(&dial, self.best_match(&dial, known), now, "timeout")
            }
        };
        self.count_degraded(&answer);
        answer
    }

    /// What the dial is from its digits and location: the emergency match
    /// when the country is known, `None` when the profile must tell it, or
    /// the answer already (an ordinary call, an unsupported location).
    fn recognise(&self, dial: &OutboundDial) -> Result<Option<EmergencyMatch>, PassThrough> {
        match classify(dial, &self.settings.outside_line_prefix) {
            Classification::Ordinary => Err(PassThrough(None)),
            Classification::UnsupportedLocation if !self.settings.lease_unsupported_locations => {
                tracing::warn!(call_id = %dial.call_id, agent_id = %dial.agent_id,
                    "emergency-looking dial from an unsupported location; passed through");
                Err(PassThrough(Some("unsupported_location")))
            }
            Classification::Emergency(m) => Ok(Some(m)),
            Classification::UnsupportedLocation | Classification::NeedsProfileCountry => Ok(None),
        }
    }

    /// The dial with the agent's registered location in place of the
    /// dial's own, when that is the one to use (DESIGN §3).
    fn with_registered_location(
        &self,
        dial: &OutboundDial,
        ctx: &DialContext,
        now: DateTime<Utc>,
    ) -> Option<OutboundDial> {
        let fresh_for = self.settings.location_fresh_for;
        let resolved = resolve(dial.location.as_ref(), ctx.registered.as_ref(), |r| {
            r.is_fresh(now, fresh_for)
        });
        (resolved.source == Some(LocationSource::Registered)).then(|| OutboundDial {
            location: resolved.location,
            registered_location: true,
            ..dial.clone()
        })
    }

    /// A dial that cannot be served normally (its request not authenticated,
    /// its handling failed): when it looks like an emergency, `emergency` with
    /// the given own number, degraded with `reason`, nothing read or written;
    /// `None` when it does not.
    pub fn fail_open(&self, dial: &OutboundDial, reason: &str) -> Option<OutboundAnswer> {
        if let Classification::Ordinary = classify(dial, &self.settings.outside_line_prefix) {
            return None;
        }
        tracing::warn!(call_id = %dial.call_id, agent_id = %dial.agent_id, reason,
            "emergency-looking dial answered without the store: the agent's own number");
        let answer =
            self.degraded_answer(dial, self.best_match(dial, None), self.clock.now(), reason);
        self.count_degraded(&answer);
        Some(answer)
    }

    fn count_degraded(&self, answer: &OutboundAnswer) {
        if let OutboundAnswer::Emergency {
            degraded: true,
            reason,
            ..
        } = answer
        {
            let reason = reason.as_deref().unwrap_or("unknown");
            // By reason, and in total (the alarm's fixed dimension set).
            self.metrics
                .count_by("DegradedEmergencyAnswers", "Reason", reason);
        }
    }

    /// An emergency dial: read, match the country, then lease and write.
    async fn emergency(
        &self,
        dial: &OutboundDial,
        known: Option<EmergencyMatch>,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> OutboundAnswer {
        // A dial that may go with the agent's registered location reads it
        // first: a location kept in a container could send responders to
        // where the agent was before.
        if !wants_registered(dial.location.as_ref()) {
            if let Some(answer) = self.warm_dial(dial, known, now, deadline).await {
                return answer;
            }
        }
        let (ctx, looked_up) = match self.read_context(dial, known, now, deadline).await {
            Ok(read) => read,
            Err(e) => {
                tracing::error!(call_id = %dial.call_id, error = %e, "emergency dial: context read failed; answering degraded");
                // Still leave a trace (presence and e-mail follow the record)
                // when the table takes a write within the budget.
                let best = self.best_match(dial, known);
                let call = degraded_call(dial, best, reason_of(&e), now);
                return self.write_degraded(dial, call, best, now, deadline).await;
            }
        };
        self.report_unreadable(&ctx);
        self.warm.remember(&dial.agent_id, &ctx, now);
        if let Some(call) = &ctx.call {
            return self.answer_repeat(dial, call, self.best_match(dial, known), now);
        }
        if ctx.unreadable.contains(&ItemKind::Call) {
            // Recorded, but whose it is cannot be told.
            return self.call_id_conflict(dial, self.best_match(dial, known), now);
        }
        let registered_dial = self.with_registered_location(dial, &ctx, now);
        let (dial, known) = match &registered_dial {
            Some(d) => match self.recognise(d) {
                Ok(known) => (d, known),
                Err(pass) => return pass.answer(),
            },
            None => (dial, known),
        };
        let matched = match known {
            Some(m) => m,
            None => {
                let profile_country = ctx.agent.as_ref().and_then(|a| a.country);
                let prefix = &self.settings.outside_line_prefix;
                match match_with_profile(dial, profile_country, prefix) {
                    ProfileMatch::Emergency(m) => m,
                    ProfileMatch::Ordinary => return OutboundAnswer::ordinary(),
                    ProfileMatch::NoCountry(reason) => {
                        return self
                            .record_without_country(dial, &ctx, now, reason, deadline)
                            .await
                    }
                }
            }
        };
        if ctx.unreadable.contains(&ItemKind::LeasePointer) {
            // Which number the agent holds cannot be told, so none is claimed;
            // the call is still recorded (presence, e-mail) with the own number.
            return self
                .record_without_lease(dial, &ctx, matched, now, "lease_unreadable", deadline)
                .await;
        }
        let country = matched.country;
        let limit = self.candidate_limit(country);
        // An agent with no lease, in a container with candidates queued (or
        // being read): one of those, no lookup of its own.
        if ctx.lease.is_none() && looked_up.is_none() {
            if let Some(number) = self.take_candidate(country, deadline).await {
                self.refill_in_background(country);
                let mut candidates = Candidates::warm(number, limit);
                return self
                    .lease_and_record(dial, matched, ctx, &mut candidates, now, deadline)
                    .await;
            }
        }
        let looked_up = match looked_up {
            Some(numbers) => numbers,
            None => self.lookup(country, now, None, deadline).await,
        };
        let mut candidates = Candidates::new(looked_up, limit);
        if candidates.lookup_failed.is_none() && ctx.lease.as_ref().is_none_or(|l| !l.is_live(now))
        {
            self.report_pool_level(country, candidates.numbers.len());
        }
        if ctx.lease.is_none() && !candidates.numbers.is_empty() {
            // The page is handed out through the container's queue, so
            // concurrent dials here take distinct numbers, and the next dials
            // need no lookup.
            let page = PoolPage {
                numbers: candidates.numbers.clone(),
                next: candidates.next.clone(),
            };
            self.warm.seed(country, &page, limit, now);
            if let Some(n) = self.warm.take(country, self.ids.below(usize::MAX), now) {
                candidates.numbers = vec![n];
            }
            self.refill_in_background(country);
        }
        self.lease_and_record(dial, matched, ctx, &mut candidates, now, deadline)
            .await
    }

    /// The warm path: with the agent's profile, the tenant's settings and a
    /// candidate number in hand, the dial is one write that assumes a new
    /// call and no lease pointer; its conditions decide, and a refusal
    /// returns what is there (the recorded call, the agent's lease), so the
    /// dial goes on from it without a read. `None`: the container cannot
    /// decide (cold, stale, no candidate); the dial reads first.
    async fn warm_dial(
        &self,
        dial: &OutboundDial,
        known: Option<EmergencyMatch>,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> Option<OutboundAnswer> {
        let warm = self.warm.context(&dial.agent_id, now)?;
        let m = match known {
            Some(m) => m,
            None => match match_with_profile(
                dial,
                warm.profile.country,
                &self.settings.outside_line_prefix,
            ) {
                ProfileMatch::Emergency(m) => m,
                // What a fresh profile says decides these.
                ProfileMatch::Ordinary | ProfileMatch::NoCountry(_) => return None,
            },
        };
        let number = self.take_candidate(m.country, deadline).await?;
        self.refill_in_background(m.country);
        let ctx = DialContext {
            call: None,
            agent: Some(warm.profile),
            lease: None,
            tenant: warm.tenant,
            registered: None,
            unreadable: Vec::new(),
        };
        let mut candidates = Candidates::warm(number, self.candidate_limit(m.country));
        Some(
            self.lease_and_record(dial, m, ctx, &mut candidates, now, deadline)
                .await,
        )
    }

    /// Reads ahead the candidate numbers of `countries` (a cold start, off
    /// the request path), so the container's first dials are warm as soon
    /// as their agents' profiles are known.
    pub fn prefetch(&self, countries: &[Country]) {
        for &country in countries {
            if self.warm.start_prefetch(country) {
                self.spawn_refill(country, None);
            }
        }
    }

    /// Agents' profiles and the tenant's settings read ahead, trusted for
    /// the staleness bound like a dial's read.
    pub fn preload(&self, profiles: Vec<AgentProfile>, tenant: TenantSettings) {
        self.warm.preload(profiles, tenant, self.clock.now());
    }

    /// `preload`, and the candidates of `countries` read now (awaited): a
    /// container that is warm before its first dial (the local runner's
    /// start, the benchmarks). A failed read leaves that country cold.
    pub async fn warm_up(
        &self,
        profiles: Vec<AgentProfile>,
        tenant: TenantSettings,
        countries: &[Country],
    ) {
        self.preload(profiles, tenant);
        for &country in countries {
            if !self.warm.start_prefetch(country) {
                continue;
            }
            self.refill(country, None).await;
        }
    }

    /// How many candidates the container holds for `country` (benchmarks).
    pub fn queued_candidates(&self, country: Country) -> usize {
        self.warm.queued(country)
    }

    /// Tops up `country`'s candidates when they run low, off the request path.
    fn refill_in_background(&self, country: Country) {
        if let Some(after) = self.warm.start_refill(country) {
            self.spawn_refill(country, after);
        }
    }

    fn spawn_refill(&self, country: Country, after: Option<PoolCursor>) {
        let service = self.clone();
        tokio::spawn(async move { service.refill(country, after).await });
    }

    /// Reads `country`'s listing from `after` into the queue, page by page
    /// while the queue stays low (at most once through the listing).
    async fn refill(&self, country: Country, mut after: Option<PoolCursor>) {
        loop {
            let now = self.clock.now();
            let read = self
                .store
                .available_numbers(country, now, REFILL_PAGE, after.as_ref());
            let page = match tokio::time::timeout(self.settings.dial_attempt(), read).await {
                Ok(Ok(page)) => {
                    if after.is_none() {
                        // Warm dials make no lookup: the pool's level comes
                        // from here, so its low-water alarm keeps its data.
                        self.report_pool_level(country, page.numbers.len());
                    }
                    Some(page)
                }
                Ok(Err(e)) => {
                    tracing::warn!(country = %country, error = %e, "candidate refill failed");
                    None
                }
                Err(_) => None,
            };
            match self.warm.refilled(country, page, after.is_none(), now) {
                Some(next) => after = Some(next),
                None => return,
            }
        }
    }

    /// A candidate from the queue; when it is empty while a refill runs, the
    /// refill is waited for (briefly) rather than every dial reading alone.
    async fn take_candidate(&self, country: Country, deadline: &Deadline) -> Option<E164> {
        let wait_until = tokio::time::Instant::now() + REFILL_WAIT.min(deadline.before_reserve());
        loop {
            let now = self.clock.now();
            if let Some(n) = self.warm.take(country, self.ids.below(usize::MAX), now) {
                return Some(n);
            }
            if !self.warm.refilling(country) || tokio::time::Instant::now() >= wait_until {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The call, profile, lease and tenant, and (when the country is known
    /// already) the available numbers: one round trip, the two reads at once.
    async fn read_context(
        &self,
        dial: &OutboundDial,
        known: Option<EmergencyMatch>,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> Result<(DialContext, Option<Result<PoolPage, StoreError>>), StoreError> {
        let context = within(
            deadline.before_reserve(),
            self.store.dial_context(&dial.call_id, &dial.agent_id),
        );
        match known {
            // The container's queue serves an agent without a lease; one
            // with a lease plans from it.
            Some(m) if self.warm.queued(m.country) == 0 && !self.warm.refilling(m.country) => {
                // The first dial of a cold container reads the listing for
                // every dial arriving with it: they wait for its page (as
                // for a refill) instead of each reading the same page.
                let leads = self.warm.start_prefetch(m.country);
                let lookup = self.lookup(m.country, now, None, deadline);
                let (ctx, numbers) = tokio::join!(context, lookup);
                if leads {
                    let limit = self.candidate_limit(m.country);
                    self.warm
                        .looked_up(m.country, numbers.as_ref().ok(), limit, now);
                }
                Ok((ctx?, Some(numbers)))
            }
            _ => Ok((context.await?, None)),
        }
    }

    /// A page of the pool's available numbers: the first, or the one after `after`.
    async fn lookup(
        &self,
        country: Country,
        now: DateTime<Utc>,
        after: Option<&PoolCursor>,
        deadline: &Deadline,
    ) -> Result<PoolPage, StoreError> {
        let limit = self.candidate_limit(country);
        let numbers = within(
            deadline.before_reserve(),
            self.store.available_numbers(country, now, limit, after),
        )
        .await;
        if let Err(e) = &numbers {
            tracing::warn!(error = %e, "available-number lookup failed");
        }
        numbers
    }

    /// Plans a lease and writes it with the call, until a write wins or there
    /// is nothing left to try.
    async fn lease_and_record(
        &self,
        dial: &OutboundDial,
        m: EmergencyMatch,
        mut ctx: DialContext,
        candidates: &mut Candidates,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> OutboundAnswer {
        for _ in 0..MAX_ATTEMPTS {
            if !deadline.allows_lease_write() {
                tracing::error!(call_id = %dial.call_id, remaining_ms = deadline.remaining().as_millis() as u64,
                    "too little of the dial's budget left for a lease write; recording the call without one");
                return self
                    .record_without_lease(dial, &ctx, m, now, "timeout", deadline)
                    .await;
            }
            let pick = self.ids.below(usize::MAX);
            let plan = plan_lease(
                ctx.lease.as_ref(),
                m.country,
                now,
                &candidates.numbers,
                &candidates.tried,
                pick,
            );
            let write = match plan {
                // The index lists more than this page: page past the tried ones
                // before anything says the pool is exhausted.
                LeasePlan::Exhausted if candidates.next.is_some() => {
                    self.next_page(m.country, candidates, now, deadline).await;
                    continue;
                }
                LeasePlan::Exhausted if candidates.requeries_left > 0 => {
                    candidates.requeries_left -= 1;
                    let fresh = self.lookup(m.country, now, None, deadline).await;
                    candidates.refresh(fresh.unwrap_or_default());
                    continue;
                }
                LeasePlan::Exhausted => {
                    return self
                        .no_number(dial, &ctx, m, candidates, now, deadline)
                        .await
                }
                LeasePlan::Extend(held) => self.extend(dial, &held, now),
                LeasePlan::Claim(number) => self.claim(dial, &ctx, m, number, now),
            };
            let number = write_lease(&write).number.clone();
            match self.write(dial, &ctx, m, &write, now, deadline).await {
                Attempt::Answered(answer) => return answer,
                Attempt::NumberTaken => {
                    candidates.tried.insert(number);
                    self.look_further(m.country, candidates, now, deadline)
                        .await;
                }
                Attempt::Conflict => self.back_off().await,
                // The transaction failed (or its outcome is unknown): record the
                // call alone. Had the transaction committed after all, that write
                // finds its record, and the stored answer is the one given.
                Attempt::Failed(reason) => {
                    return self
                        .record_without_lease(dial, &ctx, m, now, reason, deadline)
                        .await
                }
                // The refusal names the lease the agent holds: plan from it
                // (extend it, or take their previous number back), unread.
                Attempt::LeaseChanged(Some(current)) => {
                    if current.country == m.country && current.is_live(now) {
                        // The extension uses no candidate: another dial may.
                        self.warm.give_back(m.country, number);
                    }
                    ctx.lease = Some(*current);
                }
                Attempt::LeaseChanged(None) => {
                    candidates.tried.insert(number);
                    let reread = self.store.dial_context(&dial.call_id, &dial.agent_id);
                    match within(deadline.before_reserve(), reread).await {
                        Ok(fresh) => match &fresh.call {
                            Some(call) => {
                                return self.answer_repeat(dial, call, BestMatch::known(m), now)
                            }
                            None => ctx = fresh,
                        },
                        Err(e) => {
                            tracing::error!(call_id = %dial.call_id, error = %e, "context re-read failed");
                            return self
                                .record_without_lease(dial, &ctx, m, now, reason_of(&e), deadline)
                                .await;
                        }
                    }
                }
            }
        }
        tracing::error!(call_id = %dial.call_id, "no callback number after {MAX_ATTEMPTS} attempts");
        self.record_without_lease(dial, &ctx, m, now, "contention", deadline)
            .await
    }

    /// Another call on the live lease the agent holds.
    fn extend(&self, dial: &OutboundDial, held: &Lease, now: DateTime<Utc>) -> LeaseWrite {
        let policy = &self.settings.lease;
        let lease = policy.on_dial(held, dial.call_id.clone(), now);
        LeaseWrite::Update {
            available_at: policy.available_at(&lease),
            lease,
            expected_version: held.version,
        }
    }

    /// A new lease on `number`.
    fn claim(
        &self,
        dial: &OutboundDial,
        ctx: &DialContext,
        m: EmergencyMatch,
        number: E164,
        now: DateTime<Utc>,
    ) -> LeaseWrite {
        let policy = &self.settings.lease;
        let lease = new_lease(
            policy,
            dial,
            ctx.agent.as_ref(),
            ctx.lease.as_ref(),
            (self.ids.lease_id(), number, m.country),
            &self.settings.callback_fallback,
            now,
        );
        LeaseWrite::Claim {
            available_at: policy.available_at(&lease),
            lease,
            now,
            pointer_version: ctx.lease.as_ref().map(|l| l.version),
        }
    }

    /// One atomic write of the call record and the lease change, and what
    /// its outcome means for the dial.
    async fn write(
        &self,
        dial: &OutboundDial,
        ctx: &DialContext,
        m: EmergencyMatch,
        write: &LeaseWrite,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> Attempt {
        let lease = write_lease(write);
        let call = call_record(
            dial,
            ctx.agent.as_ref(),
            ctx.tenant,
            m,
            Some(lease),
            None,
            now,
        );
        let request = self
            .store
            .record_emergency(&call, self.ttl(now), Some(write));
        match within(deadline.before_reserve(), request).await {
            Ok(()) => {
                tracing::info!(call_id = %dial.call_id, agent_id = %dial.agent_id, number = %lease.number.redacted(),
                    test = m.test, "emergency call recorded with callback number");
                Attempt::Answered(OutboundAnswer::emergency(&call))
            }
            Err(RecordError::CallExists(Some(existing))) => {
                Attempt::Answered(self.answer_repeat(dial, &existing, BestMatch::known(m), now))
            }
            // Recorded, but unreadable: whose it is cannot be told, and the
            // number this write meant to claim was not claimed.
            Err(RecordError::CallExists(None)) => {
                Attempt::Answered(self.call_id_conflict(dial, BestMatch::known(m), now))
            }
            Err(RecordError::NumberTaken) => Attempt::NumberTaken,
            Err(RecordError::Conflict) => Attempt::Conflict,
            Err(RecordError::LeaseChanged(current)) => Attempt::LeaseChanged(current),
            Err(RecordError::Store(e)) => {
                tracing::error!(call_id = %dial.call_id, error = %e, "emergency write failed or unanswered; recording the call without a lease");
                Attempt::Failed(reason_of(&e))
            }
        }
    }

    /// Concurrent dials took a number. The listing's next page when it has
    /// one (an index that lags would show the same taken numbers again, and a
    /// burst contends for the first page); else a fresh look at the first
    /// page shows which are still free, rather than trying stale candidates
    /// one by one.
    async fn look_further(
        &self,
        country: Country,
        candidates: &mut Candidates,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) {
        // The container's queue first: its numbers cost no read.
        if candidates.queue_takes_left > 0 {
            if let Some(n) = self.warm.take(country, self.ids.below(usize::MAX), now) {
                candidates.queue_takes_left -= 1;
                candidates.numbers = vec![n];
                return;
            }
        }
        if candidates.next.is_some() {
            return self.next_page(country, candidates, now, deadline).await;
        }
        if candidates.requeries_left == 0 {
            return;
        }
        candidates.requeries_left -= 1;
        if let Ok(fresh) = self.lookup(country, now, None, deadline).await {
            candidates.refresh(fresh);
        }
    }

    /// The page after the current one, past the numbers tried so far.
    async fn next_page(
        &self,
        country: Country,
        candidates: &mut Candidates,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) {
        let after = candidates.next.take();
        if let Ok(page) = self.lookup(country, now, after.as_ref(), deadline).await {
            candidates.numbers = page.numbers;
            candidates.next = page.next;
        }
    }

    /// A transaction conflict: nobody won yet. Wait a little, jittered so
    /// that racers spread out.
    async fn back_off(&self) {
        let ms = 2 + self.ids.below(18) as u64;
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }

    /// No number to claim: the call is recorded without a lease.
    async fn no_number(
        &self,
        dial: &OutboundDial,
        ctx: &DialContext,
        m: EmergencyMatch,
        candidates: &Candidates,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> OutboundAnswer {
        if let Some(reason) = candidates.lookup_failed {
            tracing::error!(call_id = %dial.call_id, country = %m.country,
                "no callback number: the lookup failed; presenting the agent's own number");
            return self
                .record_without_lease(dial, ctx, m, now, reason, deadline)
                .await;
        }
        // A country with no pool at all is a gap in the setup, not a run on
        // the pool: say which (when the store cannot tell, it was exhausted).
        let has_pool = within(deadline.before_reserve(), self.store.has_pool(m.country)).await;
        if let Ok(false) = has_pool {
            tracing::error!(call_id = %dial.call_id, country = %m.country,
                "no callback-number pool for this country; presenting the agent's own number");
            self.metrics.count_by("NoPool", "Country", m.country.code());
            return self
                .record_without_lease(dial, ctx, m, now, "no_pool", deadline)
                .await;
        }
        tracing::error!(call_id = %dial.call_id, country = %m.country,
            "callback-number pool exhausted; presenting the agent's own number");
        // By country, and in total (the alarm's fixed dimension set).
        self.metrics
            .count_by("PoolExhausted", "Country", m.country.code());
        self.record_without_lease(dial, ctx, m, now, "pool_exhausted", deadline)
            .await
    }

    async fn record_without_lease(
        &self,
        dial: &OutboundDial,
        ctx: &DialContext,
        m: EmergencyMatch,
        now: DateTime<Utc>,
        reason: &str,
        deadline: &Deadline,
    ) -> OutboundAnswer {
        let call = call_record(
            dial,
            ctx.agent.as_ref(),
            ctx.tenant,
            m,
            None,
            Some(reason),
            now,
        );
        self.write_degraded(dial, call, BestMatch::known(m), now, deadline)
            .await
    }

    /// No usable country at all: an emergency call still, without a lease.
    async fn record_without_country(
        &self,
        dial: &OutboundDial,
        ctx: &DialContext,
        now: DateTime<Utc>,
        reason: &str,
        deadline: &Deadline,
    ) -> OutboundAnswer {
        let best = self.best_match(dial, None);
        let mut call = degraded_call(dial, best, reason, now);
        if let Some(a) = &ctx.agent {
            call.route = select_route(a.number_type, ctx.tenant).route;
        }
        self.write_degraded(dial, call, best, now, deadline).await
    }

    /// The call is still recorded (side effects need it), without a lease.
    async fn write_degraded(
        &self,
        dial: &OutboundDial,
        call: EmergencyCall,
        best: BestMatch,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> OutboundAnswer {
        // Conditional on the call not being recorded: it either finds a lease
        // write whose answer was lost (and answers from it) or keeps that
        // write from committing later, so the answer and the record agree.
        let request = self.store.record_emergency(&call, self.ttl(now), None);
        // With an outbox, part of the rest is kept for it.
        let limit = match self.outbox {
            Some(_) => deadline.for_record().saturating_sub(deadline.attempt / 2),
            None => deadline.for_record(),
        };
        match within(limit, request).await {
            // Unreadable, it says nothing; this answer claimed no number.
            Ok(()) | Err(RecordError::CallExists(None)) => OutboundAnswer::emergency(&call),
            Err(RecordError::CallExists(Some(existing))) => {
                self.answer_repeat(dial, &existing, best, now)
            }
            Err(e) => {
                tracing::error!(call_id = %call.call_id, error = %e, "degraded call record not written");
                self.keep_in_outbox(&call, now, deadline).await;
                OutboundAnswer::emergency(&call)
            }
        }
    }

    /// The table did not take the call's record: the outbox keeps it (as
    /// answered) until its consumer can record it. Without one, or with it
    /// down too, the call is counted as unrecorded (an alarm).
    async fn keep_in_outbox(&self, call: &EmergencyCall, now: DateTime<Utc>, deadline: &Deadline) {
        let sent = match &self.outbox {
            Some(outbox) => within(deadline.for_record(), outbox.send(call, self.ttl(now))).await,
            None => Err(StoreError::Unavailable("no outbox configured".into())),
        };
        match sent {
            Ok(()) => {
                tracing::warn!(call_id = %call.call_id, "emergency call kept in the outbox, to be recorded later");
                self.metrics
                    .emit("OutboxedEmergencyCalls", 1.0, "Count", &[]);
            }
            Err(e) => {
                tracing::error!(call_id = %call.call_id, error = %e, "emergency call neither recorded nor kept in the outbox");
                self.metrics
                    .emit("UnrecordedEmergencyCalls", 1.0, "Count", &[]);
            }
        }
    }

    /// Items that did not decode were read as missing: count them, by kind.
    fn report_unreadable(&self, ctx: &DialContext) {
        // The store logs each one with its decode error; this counts them.
        for kind in &ctx.unreadable {
            self.metrics.count_by("CorruptItem", "Kind", kind.as_str());
        }
    }

    /// A dial whose `callId` is already recorded: the stored answer when it
    /// is the same agent's same dial (a retried webhook), else a conflict.
    fn answer_repeat(
        &self,
        dial: &OutboundDial,
        recorded: &EmergencyCall,
        best: BestMatch,
        now: DateTime<Utc>,
    ) -> OutboundAnswer {
        if same_dial(recorded, dial, best) {
            return OutboundAnswer::emergency(recorded);
        }
        self.call_id_conflict(dial, best, now)
    }

    /// A `callId` that belongs to another dial: the agent's own number,
    /// nothing written, never another call's callback number.
    fn call_id_conflict(
        &self,
        dial: &OutboundDial,
        best: BestMatch,
        now: DateTime<Utc>,
    ) -> OutboundAnswer {
        tracing::warn!(call_id = %dial.call_id, agent_id = %dial.agent_id,
            "callId already recorded for another dial; presenting the agent's own number");
        self.metrics.emit("CallIdConflicts", 1.0, "Count", &[]);
        self.degraded_answer(dial, best, now, "call_id_conflict")
    }

    fn best_match(&self, dial: &OutboundDial, known: Option<EmergencyMatch>) -> BestMatch {
        BestMatch::of(dial, known, &self.settings.outside_line_prefix)
    }

    /// The answer when the store cannot be used: the call goes out with the
    /// agent's own number as caller ID.
    fn degraded_answer(
        &self,
        dial: &OutboundDial,
        best: BestMatch,
        now: DateTime<Utc>,
        reason: &str,
    ) -> OutboundAnswer {
        OutboundAnswer::emergency(&degraded_call(dial, best, reason, now))
    }

    fn ttl(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let s = &self.settings;
        now + s.lease.active_call_limit + s.lease.window + s.record_retention
    }

    /// How many candidates to ask for: enough to step around concurrent
    /// claims and to tell whether the pool is below its low-water mark.
    fn candidate_limit(&self, country: Country) -> usize {
        CANDIDATES.max(self.settings.pool_low_water.of(country) + 1)
    }

    /// Pool health from the lookup the dial makes anyway: no extra request.
    fn report_pool_level(&self, country: Country, available: usize) {
        let low_water = self.settings.pool_low_water.of(country);
        self.metrics.emit(
            "PoolAvailable",
            available as f64,
            "Count",
            &[("Country", country.code())],
        );
        if available < low_water {
            tracing::warn!(country = %country, available, low_water, "callback-number pool below its low-water mark");
        }
    }
}

/// The degraded reason a store failure gives.
fn reason_of(e: &StoreError) -> &'static str {
    match e {
        StoreError::TimedOut(_) => "timeout",
        _ => "store_unavailable",
    }
}

fn write_lease(write: &LeaseWrite) -> &Lease {
    match write {
        LeaseWrite::Claim { lease, .. } | LeaseWrite::Update { lease, .. } => lease,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::fakes::{MemoryStore, RecordedMetrics, SequenceIds};
    use crate::ports::ItemKind;
    use lifeline_domain::call::{AgentProfile, Location};
    use lifeline_domain::route::NumberType;
    use lifeline_domain::types::{CallId, LeaseId, Recipients};

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_496_400, 0).unwrap()
    }

    fn dial(call: &str) -> OutboundDial {
        dial_by(call, "a-42", "911", "+14255550100")
    }

    /// Also the warm path's tests' dial.
    pub(super) fn dial_by(call: &str, agent: &str, dialed: &str, from: &str) -> OutboundDial {
        OutboundDial {
            call_id: call.parse().unwrap(),
            agent_id: agent.parse().unwrap(),
            dialed: dialed.into(),
            from: from.parse().unwrap(),
            location: Some(Location {
                country: Some("US".into()),
                address: None,
                lat: None,
                lon: None,
                ..Default::default()
            }),
            registered_location: false,
            timestamp: None,
        }
    }

    /// A service whose ids, picks and metrics the test owns.
    fn service(
        pool: &[&str],
    ) -> (
        DialService<MemoryStore>,
        Arc<MemoryStore>,
        Arc<RecordedMetrics>,
    ) {
        let store = Arc::new(MemoryStore::new());
        store.add_agent(AgentProfile {
            id: "a-42".parse().unwrap(),
            name: "Ana".into(),
            email: None,
            country: Some(Country::US),
            other_country: None,
            source_number: "+14255550100".parse().unwrap(),
            number_type: NumberType::CallingPlan,
            recipients: Recipients::default(),
            fallback: vec![],
            outbound_profile: None,
            platform: Default::default(),
        });
        store.add_numbers(Country::US, pool);
        let settings = Arc::new(Settings::from_lookup(|_| None).unwrap());
        let metrics = Arc::new(RecordedMetrics::default());
        let service = DialService::new(store.clone(), Arc::new(FixedClock::at(t0())), settings)
            .with_ids(Arc::new(SequenceIds::default()))
            .with_metrics(metrics.clone());
        (service, store, metrics)
    }

    #[tokio::test]
    async fn lease_ids_and_metrics_come_through_the_ports() {
        let (service, store, metrics) = service(&["+14255550199"]);
        let answer = serde_json::to_value(service.dial(dial("c-1")).await).unwrap();
        assert_eq!(answer["callerId"], "+14255550199");
        let call: CallId = "c-1".parse().unwrap();
        let lease_id = store.with_state(|s| s.calls[&call].lease_id.clone());
        // SequenceIds: the queue's pick was 0, the plan's 1, the lease id the next number.
        assert_eq!(lease_id.unwrap(), LeaseId::from_bits(3));
        assert_eq!(metrics.values("PoolAvailable"), vec![1.0]);
        assert!(metrics.values("DegradedEmergencyAnswers").is_empty());
    }

    #[tokio::test]
    async fn an_exhausted_pool_is_counted_and_answered_degraded() {
        let (service, _, metrics) = service(&["+14255550199"]);
        // Another agent holds its one number.
        let other = service
            .dial(dial_by("c-0", "a-9", "911", "+14255550109"))
            .await;
        assert!(matches!(
            other,
            OutboundAnswer::Emergency {
                degraded: false,
                ..
            }
        ));
        let answer = serde_json::to_value(service.dial(dial("c-1")).await).unwrap();
        assert_eq!(answer["degraded"], true);
        assert_eq!(answer["reason"], "pool_exhausted");
        assert_eq!(answer["callerId"], "+14255550100");
        assert_eq!(metrics.values("PoolExhausted"), vec![1.0]);
        assert_eq!(metrics.values("DegradedEmergencyAnswers"), vec![1.0]);
        let reasons: Vec<_> = metrics
            .all()
            .into_iter()
            .filter(|(n, _, _)| n == "DegradedEmergencyAnswers")
            .flat_map(|(_, _, d)| d)
            .collect();
        assert_eq!(
            reasons,
            vec![("Reason".to_string(), "pool_exhausted".to_string())]
        );
    }

    #[tokio::test]
    async fn a_call_id_answers_only_its_own_agents_same_dial() {
        let (service, store, metrics) = service(&["+14255550199", "+14255550198"]);
        let first = serde_json::to_value(service.dial(dial("c-1")).await).unwrap();
        // What is stored; a warm container's refused write changes none of it.
        let stored =
            || store.with_state(|s| format!("{:?} {:?} {:?}", s.calls, s.pointers, s.numbers));
        let before = stored();
        // The same agent's retry (here with the outside-line prefix's separators): the stored answer.
        let retry = service
            .dial(dial_by("c-1", "a-42", "9-1-1", "+14255550100"))
            .await;
        assert_eq!(serde_json::to_value(retry).unwrap(), first);
        // Another agent, or another number, under the same callId: their own number, nothing written.
        for (agent, dialed, own) in [
            ("a-43", "911", "+14255550111"),
            ("a-42", "933", "+14255550100"),
        ] {
            let v = serde_json::to_value(service.dial(dial_by("c-1", agent, dialed, own)).await)
                .unwrap();
            assert_eq!(v["action"], "emergency", "{agent} {dialed}");
            assert_eq!(v["callerId"], own, "never another call's number");
            assert_eq!(v["degraded"], true);
            assert_eq!(v["reason"], "call_id_conflict");
        }
        assert_eq!(stored(), before, "a conflict writes nothing");
        assert_eq!(metrics.values("CallIdConflicts"), vec![1.0, 1.0]);
        let call: CallId = "c-1".parse().unwrap();
        let kept = store.with_state(|s| s.calls[&call].clone());
        assert_eq!(kept.agent_id.as_str(), "a-42");
        assert_eq!(kept.caller_id.as_str(), first["callerId"]);
    }

    #[tokio::test]
    async fn unreadable_items_are_read_as_missing_and_reported() {
        let unreadable = |store: &MemoryStore, kind: ItemKind, key: &str| {
            store.with_state(|s| s.unreadable.push((kind, key.to_string())))
        };
        // A profile edited by hand: the dial still gets its callback number.
        let (svc, store, metrics) = service(&["+14255550199"]);
        unreadable(&store, ItemKind::Profile, "a-42");
        let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
        assert_eq!(
            (v["degraded"].clone(), v["callerId"].clone()),
            (false.into(), "+14255550199".into())
        );
        assert_eq!(metrics.values("CorruptItem"), vec![1.0]);

        // An unreadable lease pointer: no number claimed, the call still recorded.
        let (svc, store, metrics) = service(&["+14255550199"]);
        unreadable(&store, ItemKind::LeasePointer, "a-42");
        let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
        assert_eq!(v["reason"], "lease_unreadable");
        assert_eq!(v["callerId"], "+14255550100");
        let call: CallId = "c-1".parse().unwrap();
        assert!(
            store.with_state(|s| s.calls.contains_key(&call)),
            "recorded"
        );
        assert_eq!(metrics.values("CorruptItem"), vec![1.0]);

        // An unreadable call record under this id: whose it is cannot be told.
        let (svc, store, _) = service(&["+14255550199"]);
        unreadable(&store, ItemKind::Call, "c-1");
        let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
        assert_eq!(v["reason"], "call_id_conflict");
        assert_eq!(v["callerId"], "+14255550100");
        assert_eq!(store.writes(), 0);
    }

    /// An index that lags behind a burst still lists numbers already taken:
    /// the dial pages past them instead of answering degraded.
    #[tokio::test]
    async fn a_lagging_index_full_of_taken_numbers_is_paged_past() {
        let pool: Vec<String> = (0..100).map(|i| format!("+1425555{i:04}")).collect();
        let pool: Vec<&str> = pool.iter().map(String::as_str).collect();
        let (svc, store, metrics) = service(&pool);
        store.freeze_index(Country::US);
        // Other dials took the first page's numbers since the index was read.
        let taken: Vec<E164> = pool[..CANDIDATES]
            .iter()
            .map(|n| n.parse().unwrap())
            .collect();
        store.with_state(|s| {
            for n in &taken {
                if let Some(state) = s.numbers.get_mut(n) {
                    state.available_at = t0() + chrono::Duration::hours(5);
                }
            }
        });
        let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
        assert_eq!(v["degraded"], false, "{v}");
        let got: E164 = v["callerId"].as_str().unwrap().parse().unwrap();
        assert!(!taken.contains(&got), "a free number: {got}");
        assert!(metrics.values("PoolExhausted").is_empty());
    }

    /// A failed read or a failed transaction still leaves a record (and so
    /// Do Not Disturb and the e-mail) when the table takes a write.
    #[tokio::test]
    async fn a_failed_read_or_transaction_still_records_the_call() {
        let call: CallId = "c-1".parse().unwrap();
        type Inject = fn(&MemoryStore);
        let faults: [(&str, Inject); 2] = [
            ("reads refused", |s| s.set_failing_reads(true)),
            ("the transaction refused", |s| s.fail_next_writes(1)),
        ];
        for (fault, inject) in faults {
            let (svc, store, _) = service(&["+14255550199"]);
            inject(&store);
            let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
            assert_eq!(
                (v["reason"].as_str(), v["callerId"].as_str()),
                (Some("store_unavailable"), Some("+14255550100")),
                "{fault}"
            );
            let recorded = store
                .with_state(|s| s.calls.get(&call).cloned())
                .expect(fault);
            assert_eq!(
                (recorded.caller_id.as_str(), recorded.leased_number),
                ("+14255550100", None),
                "{fault}: the record says what was presented"
            );
        }
    }

    /// A transaction that committed but answered a failure: the record found
    /// by the follow-up write is the answer, so answer and record agree.
    #[tokio::test]
    async fn a_commit_whose_answer_was_lost_is_answered_from_the_record() {
        let (svc, store, _) = service(&["+14255550199"]);
        store.lose_next_answers(1);
        let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
        let call: CallId = "c-1".parse().unwrap();
        let recorded = store
            .with_state(|s| s.calls.get(&call).cloned())
            .expect("recorded");
        assert_eq!(v["callerId"], recorded.caller_id.as_str());
        assert_eq!(v["callerId"], "+14255550199");
        assert_eq!(v["degraded"], false);
    }

    /// What the store holds for `c-1`: the presented number and the lease's.
    fn recorded(store: &MemoryStore) -> Option<(String, Option<String>, Option<String>)> {
        let call: CallId = "c-1".parse().unwrap();
        store.with_state(|s| {
            s.calls.get(&call).map(|c| {
                (
                    c.caller_id.as_str().to_string(),
                    c.leased_number.as_ref().map(|n| n.as_str().to_string()),
                    c.reason.clone(),
                )
            })
        })
    }

    /// A read slower than the budget allows: the dial stops waiting in time
    /// to record the call (degraded, `timeout`), inside its budget.
    #[tokio::test(start_paused = true)]
    async fn a_read_that_outlasts_the_budget_still_leaves_a_record() {
        let (svc, store, metrics) = service(&["+14255550199"]);
        store.delay_reads(Duration::from_secs(30));
        let started = tokio::time::Instant::now();
        let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
        assert!(
            started.elapsed() < Duration::from_millis(2500),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            (v["reason"].as_str(), v["callerId"].as_str()),
            (Some("timeout"), Some("+14255550100"))
        );
        assert_eq!(
            recorded(&store),
            Some(("+14255550100".into(), None, Some("timeout".into())))
        );
        assert!(metrics.values("UnrecordedEmergencyCalls").is_empty());
    }

    /// Slow reads that still leave the settling record's share and a
    /// little for the write: the write gets what is left, and the number.
    #[tokio::test(start_paused = true)]
    async fn slow_reads_shorten_the_lease_writes_share() {
        let (svc, store, _) = service(&["+14255550199"]);
        store.delay_reads(Duration::from_millis(1200));
        let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
        assert_eq!(
            (v["degraded"].as_bool(), v["callerId"].as_str()),
            (Some(false), Some("+14255550199")),
            "{v}"
        );
    }

    /// A read that leaves too little for a write and the record that
    /// settles it: no lease write is started (its outcome could not be
    /// settled), the call is recorded with the own number.
    #[tokio::test(start_paused = true)]
    async fn no_lease_write_starts_without_time_to_settle_it() {
        let (svc, store, _) = service(&["+14255550199"]);
        store.delay_reads(Duration::from_millis(1500));
        let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
        assert_eq!(v["reason"], "timeout");
        assert_eq!(
            recorded(&store),
            Some(("+14255550100".into(), None, Some("timeout".into())))
        );
        assert!(
            store.with_state(|s| s.pointers.is_empty()),
            "no lease taken"
        );
    }

    /// A lease write that commits but answers after the dial stopped waiting:
    /// the record that follows finds it, and the answer is its number.
    #[tokio::test(start_paused = true)]
    async fn a_late_answered_commit_is_the_answer() {
        let (svc, store, _) = service(&["+14255550199"]);
        store.answer_late(1, Duration::from_secs(10));
        let started = tokio::time::Instant::now();
        let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
        assert!(started.elapsed() < Duration::from_millis(2500));
        assert_eq!(
            (v["callerId"].as_str(), v["degraded"].as_bool()),
            (Some("+14255550199"), Some(false))
        );
        assert_eq!(
            recorded(&store),
            Some(("+14255550199".into(), Some("+14255550199".into()), None))
        );
    }

    /// A lease write still in flight when the dial stops waiting for it: the
    /// call's record goes first, so the number is neither announced nor held.
    #[tokio::test(start_paused = true)]
    async fn an_unanswered_lease_write_presents_and_records_the_own_number() {
        let (svc, store, _) = service(&["+14255550199"]);
        // Slower than the write's share of the budget.
        store.delay_lease_writes(Duration::from_secs(2));
        let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
        assert_eq!(
            (v["callerId"].as_str(), v["reason"].as_str()),
            (Some("+14255550100"), Some("timeout"))
        );
        assert_eq!(
            recorded(&store),
            Some(("+14255550100".into(), None, Some("timeout".into())))
        );
        assert!(
            store.with_state(|s| s.pointers.is_empty()),
            "the number is not held"
        );
    }

    /// When not even the record can be written in time, the answer still
    /// comes within the budget, and the loss is counted for an alarm.
    #[tokio::test(start_paused = true)]
    async fn an_unwritable_record_is_counted() {
        let (svc, store, metrics) = service(&["+14255550199"]);
        store.delay_reads(Duration::from_secs(30));
        store.delay_writes(Duration::from_secs(30));
        let started = tokio::time::Instant::now();
        let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
        assert!(started.elapsed() <= Duration::from_millis(2500));
        assert_eq!(v["callerId"], "+14255550100");
        assert_eq!(recorded(&store), None);
        assert_eq!(metrics.values("UnrecordedEmergencyCalls"), vec![1.0]);
    }

    /// The table takes nothing: the call goes to the outbox as answered, and
    /// its consumer records it once the table is back (presence and e-mail
    /// then follow from the record).
    #[tokio::test(start_paused = true)]
    async fn a_call_the_table_cannot_take_goes_to_the_outbox_and_is_recorded_later() {
        use crate::fakes::MemoryCallOutbox;
        use crate::service::outbox::{OutboxService, Recorded};
        let (svc, store, metrics) = service(&["+14255550199"]);
        let outbox = Arc::new(MemoryCallOutbox::default());
        let svc = svc.with_outbox(outbox.clone());
        store.set_failing(true);
        let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
        assert_eq!(
            (v["reason"].as_str(), v["callerId"].as_str()),
            (Some("store_unavailable"), Some("+14255550100"))
        );
        let kept = outbox.sent();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].caller_id.as_str(), "+14255550100", "as answered");
        assert_eq!(metrics.values("OutboxedEmergencyCalls"), vec![1.0]);
        assert!(metrics.values("UnrecordedEmergencyCalls").is_empty());

        let consumer = OutboxService::new(store.clone(), Arc::new(FixedClock::at(t0())));
        assert!(
            consumer.record(&kept[0], t0()).await.is_err(),
            "still down: retried later"
        );
        store.set_failing(false);
        assert_eq!(
            consumer.record(&kept[0], t0()).await.unwrap(),
            Recorded::Now
        );
        assert_eq!(
            recorded(&store),
            Some((
                "+14255550100".into(),
                None,
                Some("store_unavailable".into())
            ))
        );
        // A redelivered message changes nothing.
        assert_eq!(
            consumer.record(&kept[0], t0()).await.unwrap(),
            Recorded::Already
        );
    }

    /// A write that times out keeps the outbox's share of the budget.
    #[tokio::test(start_paused = true)]
    async fn a_hanging_table_leaves_time_for_the_outbox() {
        use crate::fakes::MemoryCallOutbox;
        let (svc, store, metrics) = service(&["+14255550199"]);
        let outbox = Arc::new(MemoryCallOutbox::default());
        let svc = svc.with_outbox(outbox.clone());
        store.delay_reads(Duration::from_secs(30));
        store.delay_writes(Duration::from_secs(30));
        let started = tokio::time::Instant::now();
        let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
        assert!(started.elapsed() < Duration::from_millis(2500));
        assert_eq!(v["reason"], "timeout");
        assert_eq!(outbox.sent().len(), 1);
        assert!(metrics.values("UnrecordedEmergencyCalls").is_empty());
        assert_eq!(metrics.values("DegradedEmergencyAnswers"), vec![1.0]);
    }

    /// Table and outbox both down: the answer still comes, and the loss is
    /// counted for the alarm.
    #[tokio::test]
    async fn with_the_outbox_down_too_the_loss_is_counted() {
        use crate::fakes::MemoryCallOutbox;
        let (svc, store, metrics) = service(&["+14255550199"]);
        let outbox = Arc::new(MemoryCallOutbox::default());
        outbox.set_failing(true);
        let svc = svc.with_outbox(outbox.clone());
        store.set_failing(true);
        let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
        assert_eq!(v["callerId"], "+14255550100");
        assert_eq!(metrics.values("UnrecordedEmergencyCalls"), vec![1.0]);
        assert!(metrics.values("OutboxedEmergencyCalls").is_empty());
    }

    /// A country with no pool at all is told apart from an exhausted one.
    #[tokio::test]
    async fn a_country_without_a_pool_is_answered_no_pool() {
        let (service, _, metrics) = service(&[]);
        let answer = serde_json::to_value(service.dial(dial("c-1")).await).unwrap();
        assert_eq!(answer["degraded"], true);
        assert_eq!(answer["reason"], "no_pool");
        assert_eq!(answer["callerId"], "+14255550100");
        assert_eq!(metrics.values("NoPool"), vec![1.0]);
        assert!(metrics.values("PoolExhausted").is_empty());
    }

    /// A recorded call needs no outbox.
    #[tokio::test]
    async fn a_recorded_call_sends_nothing_to_the_outbox() {
        use crate::fakes::MemoryCallOutbox;
        let (svc, store, _) = service(&[]);
        let outbox = Arc::new(MemoryCallOutbox::default());
        let svc = svc.with_outbox(outbox.clone());
        let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
        assert_eq!(v["reason"], "no_pool");
        assert!(recorded(&store).is_some());
        assert!(outbox.sent().is_empty());
    }
}
