//! Time comes from a clock that tests (and the local runner) can move.

use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, Mutex};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Real time plus an offset that can only move forward: the local runner's
/// `POST /_local/clock` and the tests' time travel.
#[derive(Debug, Clone, Default)]
pub struct OffsetClock {
    offset: Arc<Mutex<Duration>>,
}

impl OffsetClock {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn advance(&self, by: Duration) -> DateTime<Utc> {
        let mut offset = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        if by > Duration::zero() {
            *offset += by;
        }
        Utc::now() + *offset
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.offset.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A clock that stands still until moved (unit tests).
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<Mutex<DateTime<Utc>>>);

impl FixedClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        FixedClock(Arc::new(Mutex::new(t)))
    }
    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = t;
    }
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
