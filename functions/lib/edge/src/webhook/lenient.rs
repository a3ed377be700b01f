//! An authenticated emergency-looking dial is never refused for an optional
//! field: each bad one is dropped and named, and the dial goes on. Only
//! `callId`, `agentId`, `dialed` and `from` (the number it is placed with
//! if Lifeline cannot lease one) stay required; `timestamp` and anything
//! under `location` are optional.

use serde_json::{Map, Value};

use lifeline_domain::call::OutboundDial;

use super::problem::Problem;
use super::request::{parse_json, parse_outbound};

/// The most fields dropped from one dial (a location has fewer).
const MAX_DROPPED: usize = 24;

/// A dial read leniently, and the optional fields that were dropped, by
/// their paths in order (`location.civic.XYZ`, `location.method`, `timestamp`).
#[derive(Debug, Clone, PartialEq)]
pub struct LenientDial {
    pub dial: OutboundDial,
    pub ignored: Vec<String>,
}

/// The dial with its bad optional fields dropped; a problem when a required
/// field is missing or wrong, or the body is no JSON object.
pub fn parse_outbound_lenient(body: &[u8]) -> Result<LenientDial, Problem> {
    let Value::Object(mut fields) = parse_json::<Value>(body)? else {
        return parse_outbound(body).map(|dial| LenientDial {
            dial,
            ignored: Vec::new(),
        });
    };
    let mut ignored = Vec::new();
    loop {
        let bytes = Value::Object(fields.clone()).to_string();
        let refused = match parse_outbound(bytes.as_bytes()) {
            Ok(dial) => {
                ignored.sort();
                return Ok(LenientDial { dial, ignored });
            }
            Err(p) => p,
        };
        let path = match refused.field.as_deref() {
            Some(path) if is_optional(path) && ignored.len() < MAX_DROPPED => path.to_string(),
            _ => return Err(refused),
        };
        // A field missing beside its partner (`lat` without `lon`) drops the
        // partner; a path that cannot be taken out, the whole top-level field.
        let dropped = if remove_path(&mut fields, &path) {
            path
        } else if let Some(partner) = partner(&path).filter(|p| remove_path(&mut fields, p)) {
            partner.to_string()
        } else if fields.remove(top_level(&path)).is_some() {
            top_level(&path).to_string()
        } else {
            return Err(refused);
        };
        ignored.push(dropped);
    }
}

fn is_optional(path: &str) -> bool {
    path == "timestamp" || path == "location" || path.starts_with("location.")
}

/// Coordinates come in pairs: the one given when the other is missing.
fn partner(path: &str) -> Option<&'static str> {
    match path {
        "location.lat" => Some("location.lon"),
        "location.lon" => Some("location.lat"),
        _ => None,
    }
}

fn top_level(path: &str) -> &str {
    path.split('.').next().unwrap_or(path)
}

/// Removes `a.b.c` from nested objects; whether it was there.
fn remove_path(fields: &mut Map<String, Value>, path: &str) -> bool {
    match path.split_once('.') {
        None => fields.remove(path).is_some(),
        Some((head, rest)) => match fields.get_mut(head) {
            Some(Value::Object(inner)) => remove_path(inner, rest),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lenient(v: Value) -> Result<LenientDial, Problem> {
        parse_outbound_lenient(v.to_string().as_bytes())
    }

    fn base() -> Value {
        json!({"callId": "c-1", "agentId": "a-42", "dialed": "911", "from": "+14255550100"})
    }

    #[test]
    fn bad_optional_fields_are_dropped_and_named() {
        let mut body = base();
        body["timestamp"] = json!("yesterday");
        body["location"] = json!({"country": "US", "address": "1 Main St, Redmond WA",
            "method": "Telepathy", "lat": 47.6, "civic": {"RD": "Main St", "XYZ": "?"}});
        let read = lenient(body).expect("a dial");
        assert_eq!(
            read.ignored,
            vec![
                "location.civic.XYZ",
                "location.lat",
                "location.method",
                "timestamp"
            ]
        );
        let location = read.dial.location.expect("the rest of the location");
        assert_eq!(location.address.as_deref(), Some("1 Main St, Redmond WA"));
        assert_eq!(location.lat, None);
        assert_eq!(read.dial.timestamp, None);
    }

    #[test]
    fn wrong_types_are_dropped_too() {
        let mut body = base();
        body["timestamp"] = json!(1_795_496_400);
        body["location"] = json!({"country": "US", "lat": "north", "lon": -122.1});
        let read = lenient(body).expect("a dial");
        // `lon` alone is no position: it goes with its partner.
        assert_eq!(
            read.ignored,
            vec!["location.lat", "location.lon", "timestamp"]
        );
        body = base();
        body["location"] = json!("upstairs");
        assert_eq!(lenient(body).expect("a dial").ignored, vec!["location"]);
    }

    #[test]
    fn required_fields_are_still_required() {
        for missing in ["callId", "agentId", "dialed", "from"] {
            let mut body = base();
            body.as_object_mut().unwrap().remove(missing);
            body["timestamp"] = json!("yesterday");
            let p = lenient(body).unwrap_err();
            assert_eq!(p.field.as_deref(), Some(missing));
        }
        assert!(parse_outbound_lenient(b"[1,2]").is_err());
        assert!(parse_outbound_lenient(b"not json").is_err());
    }

    #[test]
    fn a_good_dial_drops_nothing() {
        let read = lenient(base()).expect("a dial");
        assert!(read.ignored.is_empty());
    }
}
