//! What a warm container keeps so that an emergency dial is one write: the
//! agents' profiles and the tenant's settings it has read (trusted for a
//! bounded time, `Settings::dial_cache`), and per country a queue of
//! candidate numbers that a dial takes one from. Nothing here is trusted for
//! correctness: the write's conditions decide, and a refusal says why.
//!
//! Candidates are handed out once per container, so concurrent dials in one
//! container never race for a number; containers spread by each taking at a
//! random place in its own queue.

use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;

use lifeline_domain::call::AgentProfile;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::TenantSettings;
use lifeline_domain::types::{AgentId, E164};

use crate::ports::{DialContext, ItemKind, PoolCursor, PoolPage};

/// How many numbers one refill asks the index for (keys only: one small read).
pub const REFILL_PAGE: usize = 250;
/// Below this many queued candidates a refill starts, off the request path.
pub const REFILL_BELOW: usize = 100;
/// A refill reads on until the queue holds this many (or the listing ends):
/// enough for a mass-casualty burst's dials in one container to need no
/// lookup of their own (keys only: some 50 bytes a number).
pub const QUEUE_TARGET: usize = 500;
/// How long a number handed to a dial stays out of refills: the index may
/// still list it while the dial's write is in flight or just committed.
const HANDED_HOLD_SECS: i64 = 60;

pub struct WarmCache {
    /// How long a profile, the tenant's settings and the candidates are
    /// trusted without a read; zero turns the warm path off.
    staleness: Duration,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    profiles: HashMap<AgentId, (AgentProfile, DateTime<Utc>)>,
    tenant: Option<(TenantSettings, DateTime<Utc>)>,
    pools: HashMap<Country, Pool>,
}

#[derive(Default)]
struct Pool {
    queue: VecDeque<E164>,
    /// When the queue was last filled: older candidates are dropped.
    filled_at: Option<DateTime<Utc>>,
    /// Numbers handed to dials here, and when.
    handed: HashMap<E164, DateTime<Utc>>,
    /// Where the next refill reads from (none: the start of the listing).
    next: Option<PoolCursor>,
    /// Whether the last listing read was full: more may be available. A
    /// short one means the queue holds the whole pool's available numbers
    /// and a refill would find nothing new.
    more: bool,
    refilling: bool,
}

/// What a warm dial starts from.
pub struct Warm {
    pub profile: AgentProfile,
    pub tenant: TenantSettings,
}

impl WarmCache {
    pub fn new(staleness: Duration) -> Self {
        WarmCache {
            staleness,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fresh(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now - at < self.staleness && at <= now
    }

    /// The agent's profile and the tenant's settings, when both were read
    /// within the staleness bound.
    pub fn context(&self, agent: &AgentId, now: DateTime<Utc>) -> Option<Warm> {
        let inner = self.inner();
        let (tenant, read) = inner.tenant?;
        let (profile, profile_read) = inner.profiles.get(agent)?;
        (self.fresh(read, now) && self.fresh(*profile_read, now)).then(|| Warm {
            profile: profile.clone(),
            tenant,
        })
    }

    /// Keeps what a dial read: a readable profile, and the tenant's settings.
    pub fn remember(&self, agent: &AgentId, ctx: &DialContext, now: DateTime<Utc>) {
        if self.staleness <= Duration::zero() {
            return;
        }
        let mut inner = self.inner();
        inner.tenant = Some((ctx.tenant, now));
        match &ctx.agent {
            Some(p) if !ctx.unreadable.contains(&ItemKind::Profile) => {
                inner.profiles.insert(agent.clone(), (p.clone(), now));
            }
            // Gone or unreadable: the next dial reads it again.
            _ => {
                inner.profiles.remove(agent);
            }
        }
    }

    /// Profiles read ahead (the local runner's start): trusted as if a dial
    /// had read them now.
    pub fn preload(&self, profiles: Vec<AgentProfile>, tenant: TenantSettings, now: DateTime<Utc>) {
        if self.staleness <= Duration::zero() {
            return;
        }
        let mut inner = self.inner();
        inner.tenant = Some((tenant, now));
        for p in profiles {
            inner.profiles.insert(p.id.clone(), (p, now));
        }
    }

    /// A candidate number of `country`'s pool for one dial, taken at
    /// `pick % len` so that containers holding the same listing spread.
    pub fn take(&self, country: Country, pick: usize, now: DateTime<Utc>) -> Option<E164> {
        if self.staleness <= Duration::zero() {
            return None;
        }
        let mut inner = self.inner();
        let pool = inner.pools.get_mut(&country)?;
        if pool.filled_at.is_none_or(|at| !self.fresh(at, now)) {
            pool.queue.clear();
            return None;
        }
        let len = pool.queue.len();
        let number = pool.queue.remove(pick % len.max(1))?;
        pool.handed.insert(number.clone(), now);
        Some(number)
    }

    /// A number taken but not written for (the dial learnt the agent holds
    /// a lease): another dial may use it.
    pub fn give_back(&self, country: Country, number: E164) {
        let mut inner = self.inner();
        if let Some(pool) = inner.pools.get_mut(&country) {
            pool.handed.remove(&number);
            pool.queue.push_back(number);
        }
    }

    /// Whether a refill of `country`'s queue should start now; when it
    /// says yes, the refill is marked as running (one at a time) and its
    /// cursor is returned.
    pub fn start_refill(&self, country: Country) -> Option<Option<PoolCursor>> {
        if self.staleness <= Duration::zero() {
            return None;
        }
        let mut inner = self.inner();
        let pool = inner.pools.get_mut(&country)?;
        if pool.refilling || !pool.more || pool.queue.len() >= REFILL_BELOW {
            return None;
        }
        pool.refilling = true;
        Some(pool.next.clone())
    }

    /// Marks a prefetch of `country` (nothing known yet) as running.
    pub fn start_prefetch(&self, country: Country) -> bool {
        if self.staleness <= Duration::zero() {
            return false;
        }
        let mut inner = self.inner();
        let pool = inner.pools.entry(country).or_default();
        if pool.refilling {
            return false;
        }
        pool.refilling = true;
        true
    }

    /// What a refill read (`None`: it failed; the next dial may try again).
    /// When the queue is still short of its target and the listing goes on, the refill
    /// continues from the returned cursor (it stays marked as running); it
    /// stops at the listing's end, so one refill reads the listing once.
    pub fn refilled(
        &self,
        country: Country,
        page: Option<PoolPage>,
        from_start: bool,
        now: DateTime<Utc>,
    ) -> Option<PoolCursor> {
        let mut inner = self.inner();
        let pool = inner.pools.entry(country).or_default();
        let Some(page) = page else {
            pool.refilling = false;
            return None;
        };
        // Off the end of the listing: the next refill starts over, where
        // numbers released since are listed first.
        pool.more = page.next.is_some() || !from_start;
        pool.next = page.next.clone();
        pool.offer(page.numbers, now);
        pool.filled_at = Some(now);
        match page.next {
            Some(next) if pool.queue.len() < QUEUE_TARGET => Some(next),
            _ => {
                pool.refilling = false;
                None
            }
        }
    }

    /// Whether a refill of `country`'s queue is running (a dial that found
    /// the queue empty waits for it rather than reading on its own).
    pub fn refilling(&self, country: Country) -> bool {
        self.inner()
            .pools
            .get(&country)
            .is_some_and(|p| p.refilling)
    }

    /// What a dial's own lookup read (the first page): candidates for it
    /// (it takes one from the queue like any dial) and the next dials.
    pub fn seed(&self, country: Country, page: &PoolPage, limit: usize, now: DateTime<Utc>) {
        if self.staleness <= Duration::zero() {
            return;
        }
        let mut inner = self.inner();
        let pool = inner.pools.entry(country).or_default();
        if pool.filled_at.is_none_or(|at| !self.fresh(at, now)) {
            pool.queue.clear();
            pool.next = None;
        }
        if pool.next.is_none() {
            pool.next = page.next.clone();
        }
        pool.more = pool.more || page.numbers.len() >= limit;
        pool.offer(page.numbers.clone(), now);
        pool.filled_at = Some(now);
    }

    /// A cold dial read the first page for the container (it marked the
    /// read with `start_prefetch`): its page goes to the queue, whatever the
    /// dial does with it, and the dials that waited for it take from there.
    /// `None`: the read failed; the next dial reads again.
    pub fn looked_up(
        &self,
        country: Country,
        page: Option<&PoolPage>,
        limit: usize,
        now: DateTime<Utc>,
    ) {
        if let Some(page) = page {
            self.seed(country, page, limit, now);
        }
        if let Some(pool) = self.inner().pools.get_mut(&country) {
            pool.refilling = false;
        }
    }

    /// How many candidates `country`'s queue holds (benchmarks, tests).
    pub fn queued(&self, country: Country) -> usize {
        self.inner()
            .pools
            .get(&country)
            .map_or(0, |p| p.queue.len())
    }
}

impl Pool {
    /// Queues the numbers that are neither queued nor recently handed out.
    fn offer(&mut self, numbers: Vec<E164>, now: DateTime<Utc>) {
        self.handed
            .retain(|_, at| now - *at < Duration::seconds(HANDED_HOLD_SECS));
        let queued: HashSet<E164> = self.queue.iter().cloned().collect();
        for n in numbers {
            if !queued.contains(&n) && !self.handed.contains_key(&n) {
                self.queue.push_back(n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lifeline_domain::recipient::Recipients;
    use lifeline_domain::route::NumberType;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_496_400 + s, 0).unwrap()
    }
    fn numbers(n: usize) -> Vec<E164> {
        (0..n)
            .map(|i| format!("+1425555{i:04}").parse().unwrap())
            .collect()
    }
    fn profile(id: &str) -> AgentProfile {
        AgentProfile {
            id: id.parse().unwrap(),
            name: "Ana".into(),
            email: None,
            country: Some(Country::US),
            other_country: None,
            source_number: "+14255550100".parse().unwrap(),
            number_type: NumberType::DirectRouting,
            recipients: Recipients::default(),
            fallback: vec![],
            outbound_profile: None,
            platform: Default::default(),
        }
    }
    fn ctx(agent: Option<AgentProfile>) -> DialContext {
        DialContext {
            agent,
            ..DialContext::default()
        }
    }

    #[test]
    fn a_profile_is_trusted_for_the_staleness_bound_only() {
        let cache = WarmCache::new(Duration::seconds(60));
        let a: AgentId = "a-42".parse().unwrap();
        assert!(cache.context(&a, t(0)).is_none(), "nothing read yet");
        cache.remember(&a, &ctx(Some(profile("a-42"))), t(0));
        assert!(cache.context(&a, t(59)).is_some());
        assert!(cache.context(&a, t(60)).is_none(), "stale: read again");
        // A profile gone since is forgotten at once.
        cache.remember(&a, &ctx(None), t(61));
        assert!(cache.context(&a, t(61)).is_none());
        // An unreadable one too.
        let mut unreadable = ctx(Some(profile("a-42")));
        unreadable.unreadable.push(ItemKind::Profile);
        cache.remember(&a, &unreadable, t(62));
        assert!(cache.context(&a, t(62)).is_none());
    }

    #[test]
    fn zero_staleness_turns_the_warm_path_off() {
        let cache = WarmCache::new(Duration::zero());
        let a: AgentId = "a-42".parse().unwrap();
        cache.remember(&a, &ctx(Some(profile("a-42"))), t(0));
        let page = PoolPage {
            numbers: numbers(10),
            next: None,
        };
        cache.seed(Country::US, &page, 48, t(0));
        assert!(cache.context(&a, t(0)).is_none());
        assert!(cache.take(Country::US, 0, t(0)).is_none());
        assert!(!cache.start_prefetch(Country::US));
    }

    #[test]
    fn each_candidate_is_handed_out_once_and_not_requeued_while_held() {
        let cache = WarmCache::new(Duration::seconds(60));
        let page = PoolPage {
            numbers: numbers(3),
            next: None,
        };
        cache.seed(Country::US, &page, 48, t(0));
        let own = cache.take(Country::US, 0, t(0)).unwrap();
        assert_eq!(own, numbers(3)[0]);
        assert_eq!(
            cache.queued(Country::US),
            2,
            "the seeding dial's own number is no longer queued"
        );
        let a = cache.take(Country::US, 7, t(1)).unwrap();
        let b = cache.take(Country::US, 7, t(1)).unwrap();
        assert_ne!(a, b);
        assert!(cache.take(Country::US, 7, t(1)).is_none(), "drained");
        // The index still lists them while their writes are in flight.
        cache.seed(Country::US, &page, 48, t(2));
        assert_eq!(cache.queued(Country::US), 0);
        // Long after, a listing that still shows them (released again) queues them.
        cache.seed(Country::US, &page, 48, t(2 + HANDED_HOLD_SECS));
        assert_eq!(cache.queued(Country::US), 3);
        // A number given back is queued again.
        let c = cache.take(Country::US, 0, t(70)).unwrap();
        cache.give_back(Country::US, c.clone());
        assert_eq!(cache.queued(Country::US), 3);
    }

    #[test]
    fn old_candidates_are_dropped() {
        let cache = WarmCache::new(Duration::seconds(60));
        let page = PoolPage {
            numbers: numbers(5),
            next: None,
        };
        cache.seed(Country::US, &page, 48, t(0));
        assert!(cache.take(Country::US, 0, t(60)).is_none());
        assert_eq!(cache.queued(Country::US), 0);
    }

    #[test]
    fn refills_run_one_at_a_time_only_when_the_pool_may_hold_more() {
        let cache = WarmCache::new(Duration::seconds(60));
        // A short listing is the whole pool: no refill would find more.
        let short = PoolPage {
            numbers: numbers(5),
            next: None,
        };
        cache.seed(Country::US, &short, 48, t(0));
        assert!(cache.start_refill(Country::US).is_none());
        // A full one may have more after it.
        let cursor = PoolCursor {
            number: numbers(48)[47].clone(),
            available_at: t(0),
        };
        let full = PoolPage {
            numbers: numbers(48),
            next: Some(cursor.clone()),
        };
        cache.seed(Country::GB, &full, 48, t(0));
        assert_eq!(cache.start_refill(Country::GB), Some(Some(cursor)));
        assert!(cache.start_refill(Country::GB).is_none(), "one at a time");
        let more = cache.refilled(
            Country::GB,
            Some(PoolPage {
                numbers: numbers(60)[48..].to_vec(),
                next: None,
            }),
            false,
            t(1),
        );
        assert_eq!(more, None, "the listing's end stops the refill");
        assert!(!cache.refilling(Country::GB));
        assert_eq!(cache.queued(Country::GB), 60);
        // Still low, past the listing's end: the next refill starts over.
        assert_eq!(cache.start_refill(Country::GB), Some(None));
    }

    #[test]
    fn a_refill_goes_on_while_the_queue_is_low_and_the_listing_goes_on() {
        let cache = WarmCache::new(Duration::seconds(60));
        assert!(cache.start_prefetch(Country::US));
        let all = numbers(300);
        let cursor = |i: usize| PoolCursor {
            number: all[i].clone(),
            available_at: t(0),
        };
        // 40 new: still low, the listing goes on: read on from its cursor.
        let next = cache.refilled(
            Country::US,
            Some(PoolPage {
                numbers: all[..40].to_vec(),
                next: Some(cursor(39)),
            }),
            true,
            t(0),
        );
        assert_eq!(next, Some(cursor(39)));
        assert!(cache.refilling(Country::US), "still running");
        // Up to its target: it stops, and the next refill starts from here.
        let all = numbers(QUEUE_TARGET + 40);
        let next = cache.refilled(
            Country::US,
            Some(PoolPage {
                numbers: all[40..].to_vec(),
                next: Some(cursor(289)),
            }),
            false,
            t(0),
        );
        assert_eq!(next, None);
        assert!(!cache.refilling(Country::US));
        assert_eq!(cache.queued(Country::US), QUEUE_TARGET + 40);
        // A failed read stops it too, and leaves the queue as it was.
        while cache.queued(Country::US) >= REFILL_BELOW {
            cache.take(Country::US, 0, t(1));
        }
        assert_eq!(cache.start_refill(Country::US), Some(Some(cursor(289))));
        assert_eq!(cache.refilled(Country::US, None, false, t(1)), None);
        assert!(!cache.refilling(Country::US));
    }
}
