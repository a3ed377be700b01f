//! The dial's time budget: when it must have answered, and what each store
//! request on the way may take of it.

use std::time::Duration;

use crate::ports::StoreError;

use crate::settings::MIN_LEASE_WRITE;

/// Kept back at the very end for answering (serializing, logging).
const ANSWER_MARGIN: Duration = Duration::from_millis(20);

/// The least a dial is given however late it starts: enough for the call's
/// record, so a slow start still leaves a trace.
const MIN_WORK: Duration = Duration::from_millis(250);

/// How far past its budget (from receipt) a dial may answer: the platform
/// waits the budget plus 500 ms; the rest is the network's.
const GRACE: Duration = Duration::from_millis(400);

/// The longest API Gateway waits for an integration: a receipt time older
/// than this is no live request's.
pub(super) const LONGEST_WAIT: Duration = Duration::from_secs(30);

/// The budget left to a dial that arrives `spent` after the platform sent it
/// (a cold start, a queue): the rest of `budget`, but at least [`MIN_WORK`]
/// while that still ends within `budget` + [`GRACE`].
pub(super) fn budget_left(budget: Duration, spent: Duration) -> Duration {
    let rest = budget.saturating_sub(spent);
    let latest = (budget + GRACE).saturating_sub(spent);
    rest.max(MIN_WORK.min(latest))
}

/// When the dial must have answered. Every store request on the way is
/// bounded by it, so the dial ends on its own terms (with a record) rather
/// than being cut off by the outer guard (with none).
#[derive(Clone, Copy)]
pub(super) struct Deadline {
    end: tokio::time::Instant,
    /// One store request's share (the SDK's attempt timeout).
    pub(super) attempt: Duration,
}

impl Deadline {
    /// `budget` from now, each request's share `attempt`.
    pub(super) fn starting_now(budget: Duration, attempt: Duration) -> Self {
        Deadline {
            end: tokio::time::Instant::now() + budget,
            attempt,
        }
    }

    pub(super) fn remaining(&self) -> Duration {
        self.end
            .saturating_duration_since(tokio::time::Instant::now())
    }

    /// A lease write starts only while one more request (the record that
    /// settles an unknown outcome) still fits after it, and the write itself
    /// has at least [`MIN_LEASE_WRITE`]: slow reads shorten the write's
    /// share rather than forfeit the callback number.
    pub(super) fn allows_lease_write(&self) -> bool {
        self.remaining() >= self.attempt + MIN_LEASE_WRITE
    }

    /// What a read or a lease write may take: the rest, less one request
    /// kept for the call's record.
    pub(super) fn before_reserve(&self) -> Duration {
        self.remaining().saturating_sub(self.attempt)
    }

    /// What the call's final record may take.
    pub(super) fn for_record(&self) -> Duration {
        self.remaining().saturating_sub(ANSWER_MARGIN)
    }
}

/// `request`, or `TimedOut` once `limit` has passed (the request is dropped;
/// a write may still commit, which the call's conditional record settles).
pub(super) async fn within<T, E: From<StoreError>>(
    limit: Duration,
    request: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    match tokio::time::timeout(limit, request).await {
        Ok(result) => result,
        Err(_) => Err(StoreError::TimedOut(limit.as_millis() as u64).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUDGET: Duration = Duration::from_millis(2500);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_late_start_shortens_the_budget_but_leaves_time_for_a_record() {
        assert_eq!(budget_left(BUDGET, ms(0)), BUDGET);
        assert_eq!(budget_left(BUDGET, ms(1500)), ms(1000));
        // 2.4 s of cold start: still 250 ms for the record, answered by 2.65 s.
        assert_eq!(budget_left(BUDGET, ms(2400)), ms(250));
        // Past the budget: what is left before the platform stops waiting.
        assert_eq!(budget_left(BUDGET, ms(2800)), ms(100));
        assert_eq!(budget_left(BUDGET, ms(3000)), ms(0));
    }
}
