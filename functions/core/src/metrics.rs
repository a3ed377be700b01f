//! CloudWatch metrics in Embedded Metric Format: a JSON line on stdout that
//! CloudWatch Logs turns into metrics. No SDK call, nothing on the critical
//! path but a write to the log.

use serde_json::{json, Map, Value};

pub const NAMESPACE: &str = "Lifeline";

/// The EMF line for one metric with its dimensions.
pub fn emf_line(
    name: &str,
    value: f64,
    unit: &str,
    dimensions: &[(&str, &str)],
    timestamp_ms: i64,
) -> String {
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions.iter().map(|(k, _)| *k).collect::<Vec<_>>()],
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

/// Writes one metric.
pub fn emit(name: &str, value: f64, unit: &str, dimensions: &[(&str, &str)]) {
    println!(
        "{}",
        emf_line(
            name,
            value,
            unit,
            dimensions,
            chrono::Utc::now().timestamp_millis()
        )
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_shape() {
        let line = emf_line(
            "PoolAvailable",
            1.0,
            "Count",
            &[("Country", "US")],
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
}
