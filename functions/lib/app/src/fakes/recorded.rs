//! Ids and metrics a test can predict and read back.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::ids::Ids;
use crate::metrics::Metrics;
use lifeline_domain::types::LeaseId;

/// Ids a test can predict: `l-1`, `l-2`, … and picks that count up.
#[derive(Debug, Default)]
pub struct SequenceIds {
    next: AtomicUsize,
}

impl Ids for SequenceIds {
    fn lease_id(&self) -> LeaseId {
        let n = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        LeaseId::from_bits(n as u128)
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

impl Metrics for RecordedMetrics {
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
