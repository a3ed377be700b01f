//! What the runner is still doing on its own — asynchronous invocations
//! and their retries, the stream's batches — so that a caller can wait until
//! nothing more will happen instead of sleeping for a guessed while.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct Activity {
    /// Asynchronous invocations queued or running, retries included.
    in_flight: AtomicUsize,
    /// Stream rounds that found no record to read and none to redeliver.
    quiet_rounds: AtomicU64,
}

/// One asynchronous invocation in flight, until dropped (a panic included).
#[derive(Debug)]
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How often `settled` looks again.
const POLL: Duration = Duration::from_millis(20);

impl Activity {
    /// Counts an invocation as in flight; taken before its task is spawned,
    /// so that whoever queued it never sees the runner idle before it runs.
    pub fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.clone())
    }

    /// The stream pump read every shard and found nothing new.
    pub fn quiet_round(&self) {
        self.quiet_rounds.fetch_add(1, Ordering::SeqCst);
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Waits until the stream has had two quiet rounds since this call (so
    /// every change written before it has been read and published) with no
    /// invocation in flight after them (so every delivery, retries included,
    /// has finished or been given up on). `false` if that takes longer than
    /// `within`, e.g. when no stream pump runs.
    pub async fn settled(&self, within: Duration) -> bool {
        let started = Instant::now();
        loop {
            let from = self.quiet_rounds.load(Ordering::SeqCst);
            while self.quiet_rounds.load(Ordering::SeqCst) < from + 2 {
                if started.elapsed() > within {
                    return false;
                }
                tokio::time::sleep(POLL).await;
            }
            if self.in_flight() == 0 {
                return true;
            }
            if started.elapsed() > within {
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settles_only_after_quiet_rounds_with_nothing_in_flight() {
        let activity = Arc::new(Activity::default());
        let busy = activity.begin();
        let waiter = {
            let a = activity.clone();
            tokio::spawn(async move { a.settled(Duration::from_secs(5)).await })
        };
        for _ in 0..3 {
            tokio::time::sleep(POLL * 2).await;
            activity.quiet_round();
        }
        assert!(!waiter.is_finished(), "an invocation is still in flight");
        drop(busy);
        for _ in 0..3 {
            tokio::time::sleep(POLL * 2).await;
            activity.quiet_round();
        }
        assert!(waiter.await.unwrap_or(false));
    }

    #[tokio::test]
    async fn without_a_stream_pump_it_gives_up() {
        let activity = Activity::default();
        assert!(!activity.settled(Duration::from_millis(100)).await);
    }
}
