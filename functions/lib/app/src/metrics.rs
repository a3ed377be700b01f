//! Metrics: the port the services emit through, and its production sink,
//! CloudWatch's Embedded Metric Format (a JSON line on stdout).

use serde_json::{json, Map, Value};

pub const NAMESPACE: &str = "Lifeline";

/// The EMF line for one metric with its dimensions, published under each of
/// `dimension_sets` (EMF's `Dimensions` is a list of sets; each names keys of
/// `dimensions`, and the empty set `[]` gives the metric without dimensions,
/// which is what a fixed-dimension alarm watches).
pub fn emf_line(
    name: &str,
    value: f64,
    unit: &str,
    dimensions: &[(&str, &str)],
    dimension_sets: &[&[&str]],
    timestamp_ms: i64,
) -> String {
    debug_assert!(dimension_sets
        .iter()
        .flat_map(|set| set.iter())
        .all(|k| dimensions.iter().any(|(d, _)| d == k)));
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": dimension_sets,
                "Metrics": [{"Name": name, "Unit": unit}],
            }],
        }),
    );
    for (k, v) in dimensions {
        root.insert((*k).into(), Value::String((*v).into()));
    }
    root.insert(name.into(), json!(value));
    Value::Object(root).to_string()
}

/// Where the services' metrics go: a port, so that a test can read them
/// and no service writes to a sink itself.
pub trait Metrics: Send + Sync {
    /// One metric under several dimension sets (each names keys of
    /// `dimensions`; `[]` is the metric without dimensions).
    fn emit_sets(
        &self,
        name: &str,
        value: f64,
        unit: &str,
        dimensions: &[(&str, &str)],
        dimension_sets: &[&[&str]],
    );

    /// One occurrence, counted by `dimension` and in total: the total is
    /// the fixed dimension set an alarm watches.
    fn count_by(&self, name: &str, dimension: &str, value: &str) {
        self.emit_sets(
            name,
            1.0,
            "Count",
            &[(dimension, value)],
            &[&[dimension], &[]],
        );
    }

    /// One metric under one dimension set: all of `dimensions`.
    fn emit(&self, name: &str, value: f64, unit: &str, dimensions: &[(&str, &str)]) {
        let all: Vec<&str> = dimensions.iter().map(|(k, _)| *k).collect();
        self.emit_sets(name, value, unit, dimensions, &[&all]);
    }
}

/// The production sink: one EMF line on stdout per metric, which CloudWatch
/// Logs turns into metrics. No SDK call, nothing on the critical path but a
/// write to the log.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmfStdout;

impl Metrics for EmfStdout {
    fn emit_sets(
        &self,
        name: &str,
        value: f64,
        unit: &str,
        dimensions: &[(&str, &str)],
        dimension_sets: &[&[&str]],
    ) {
        println!(
            "{}",
            emf_line(
                name,
                value,
                unit,
                dimensions,
                dimension_sets,
                chrono::Utc::now().timestamp_millis()
            )
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lifeline_domain::degraded::DegradedReason;

    #[test]
    fn emf_shape() {
        let line = emf_line(
            "PoolAvailable",
            1.0,
            "Count",
            &[("Country", "US")],
            &[&["Country"]],
            1_795_496_400_000,
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Lifeline");
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Country"]])
        );
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
            "PoolAvailable"
        );
        assert_eq!(v["Country"], "US");
        assert_eq!(v["PoolAvailable"], 1.0);
        assert_eq!(v["_aws"]["Timestamp"], 1_795_496_400_000i64);
    }

    #[test]
    fn several_dimension_sets_in_one_line() {
        let line = emf_line(
            "DegradedEmergencyAnswers",
            1.0,
            "Count",
            &[("Reason", DegradedReason::Timeout.as_str())],
            &[&["Reason"], &[]],
            1_795_496_400_000,
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        // By reason, and the total without dimensions (what the alarm watches).
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Reason"], []])
        );
        assert_eq!(v["Reason"], "timeout");
        assert_eq!(v["DegradedEmergencyAnswers"], 1.0);
        // No dimensions at all: one empty set.
        let line = emf_line("NotificationsSent", 1.0, "Count", &[], &[&[]], 0);
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json!([[]]));
    }
}
