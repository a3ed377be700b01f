//! The pool's numbers for one dial: the first candidates (from the
//! container's queue, or a lookup), further pages when concurrent dials
//! took them, and the queue's refills off the request path.

use chrono::{DateTime, Utc};
use std::time::Duration;

use lifeline_domain::numbers::Country;
use lifeline_domain::types::E164;

use super::candidates::Candidates;
use super::deadline::{within, Deadline};
use super::warm::REFILL_PAGE;
use super::DialService;
use crate::ports::{DialContext, DialStore, PoolCursor, PoolPage, StoreError};

/// How many available numbers one lookup returns: enough for concurrent dials
/// to pick different ones (keys only: one small read), independent of the
/// pool's size.
pub const CANDIDATES: usize = 48;
/// How long a dial waits for a running refill when the queue is empty: a
/// page read, shorter than a lookup of its own under load.
const REFILL_WAIT: Duration = Duration::from_millis(250);

impl<S: DialStore + 'static> DialService<S> {
    /// The numbers to try first. An agent with no lease, in a container
    /// with candidates queued (or being read): one of those, no lookup of
    /// its own. Else the page read with the context, or a lookup now.
    pub(super) async fn first_candidates(
        &self,
        country: Country,
        ctx: &DialContext,
        looked_up: Option<Result<PoolPage, StoreError>>,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> Candidates {
        let limit = self.candidate_limit(country);
        if ctx.lease.is_none() && looked_up.is_none() {
            if let Some(number) = self.take_candidate(country, deadline).await {
                self.refill_in_background(country);
                return Candidates::warm(number, limit);
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
            self.hand_out_through_queue(country, &mut candidates, now);
        }
        candidates
    }

    /// The page is handed out through the container's queue, so concurrent
    /// dials here take distinct numbers, and the next dials need no lookup.
    fn hand_out_through_queue(
        &self,
        country: Country,
        candidates: &mut Candidates,
        now: DateTime<Utc>,
    ) {
        let page = PoolPage {
            numbers: candidates.numbers.clone(),
            next: candidates.next.clone(),
        };
        self.warm
            .seed(country, &page, self.candidate_limit(country), now);
        if let Some(n) = self.warm.take(country, self.ids.below(usize::MAX), now) {
            candidates.numbers = vec![n];
        }
        self.refill_in_background(country);
    }

    /// A page of the pool's available numbers: the first, or the one after `after`.
    pub(super) async fn lookup(
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

    /// Concurrent dials took a number. The listing's next page when it has
    /// one (an index that lags would show the same taken numbers again, and a
    /// burst contends for the first page); else a fresh look at the first
    /// page shows which are still free, rather than trying stale candidates
    /// one by one.
    pub(super) async fn look_further(
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
    pub(super) async fn next_page(
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

    /// A candidate from the queue; when it is empty while a refill runs, the
    /// refill is waited for (briefly) rather than every dial reading alone.
    pub(super) async fn take_candidate(
        &self,
        country: Country,
        deadline: &Deadline,
    ) -> Option<E164> {
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

    /// Tops up `country`'s candidates when they run low, off the request path.
    pub(super) fn refill_in_background(&self, country: Country) {
        if let Some(after) = self.warm.start_refill(country) {
            self.spawn_refill(country, after);
        }
    }

    pub(super) fn spawn_refill(&self, country: Country, after: Option<PoolCursor>) {
        let service = self.clone();
        tokio::spawn(async move { service.refill(country, after).await });
    }

    /// Reads `country`'s listing from `after` into the queue, page by page
    /// while the queue stays low (at most once through the listing).
    pub(super) async fn refill(&self, country: Country, mut after: Option<PoolCursor>) {
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

    /// How many candidates to ask for: enough to step around concurrent
    /// claims and to tell whether the pool is below its low-water mark.
    pub(super) fn candidate_limit(&self, country: Country) -> usize {
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
