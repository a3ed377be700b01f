//! Where the caller is: the location a dial carries or the agent registered,
//! how good it is for a responder, and the PIDF-LO document that conveys it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

mod civic;
mod grade;
mod lines;
pub mod pidf;

pub use civic::{Civic, CivicKey, UnknownCivicKey};
pub use grade::{grade, resolve, wants_registered, LocationQuality, LocationSource, Resolved};
pub use lines::spoken_lines;

/// Longest free-text address kept.
pub const MAX_ADDRESS_CHARS: usize = 500;
/// Longest civic element kept.
pub const MAX_CIVIC_CHARS: usize = 200;

/// Where the agent is, as the desktop reported it or the agent registered it.
/// Every field is optional; a location with none is no location.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// ISO 3166 alpha-2 code as given, upper case (it may be one Lifeline
    /// knows no emergency numbers for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Free text, as today's desktops send it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Civic::is_empty")]
    pub civic: Civic,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// Uncertainty radius of the coordinates, in metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub radius_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<LocationMethod>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_time"
    )]
    pub determined_at: Option<DateTime<Utc>>,
}

fn serialize_time<S: serde::Serializer>(
    t: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&crate::types::rfc3339(*t)),
        None => s.serialize_none(),
    }
}

impl Location {
    /// Anything at all in it.
    pub fn has_content(&self) -> bool {
        self.country.is_some() || self.has_more_than_country()
    }

    /// Anything that narrows it below the country.
    pub fn has_more_than_country(&self) -> bool {
        self.address.is_some() || !self.civic.is_empty() || self.coordinates().is_some()
    }

    pub fn coordinates(&self) -> Option<(f64, f64)> {
        self.lat.zip(self.lon)
    }
}

/// How the location was determined (PIDF-LO's `method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LocationMethod {
    Manual,
    #[serde(rename = "GPS")]
    Gps,
    Wifi,
    Cell,
    #[serde(rename = "DHCP")]
    Dhcp,
    Derived,
}

impl LocationMethod {
    pub const ALL: [LocationMethod; 6] = [
        LocationMethod::Manual,
        LocationMethod::Gps,
        LocationMethod::Wifi,
        LocationMethod::Cell,
        LocationMethod::Dhcp,
        LocationMethod::Derived,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            LocationMethod::Manual => "Manual",
            LocationMethod::Gps => "GPS",
            LocationMethod::Wifi => "Wifi",
            LocationMethod::Cell => "Cell",
            LocationMethod::Dhcp => "DHCP",
            LocationMethod::Derived => "Derived",
        }
    }
}

impl fmt::Display for LocationMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LocationMethod {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        LocationMethod::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or(())
    }
}

/// A location as it arrives (a webhook body, the admin CLI): checked by
/// [`LocationInput::validate`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationInput {
    pub country: Option<String>,
    pub address: Option<String>,
    pub civic: Option<BTreeMap<String, String>>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub radius_m: Option<f64>,
    pub method: Option<String>,
    pub determined_at: Option<String>,
}

/// A location field that is not acceptable: `field` is its path under
/// `location` (`civic.XYZ`, `lat`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`location.{field}` {detail}")]
pub struct InvalidLocation {
    pub field: String,
    pub detail: String,
}

fn invalid(field: impl Into<String>, detail: impl Into<String>) -> InvalidLocation {
    InvalidLocation {
        field: field.into(),
        detail: detail.into(),
    }
}

/// User text made safe to keep, log-free and render anywhere: control
/// characters (which XML cannot carry) become spaces, ends trimmed; empty
/// is none.
fn clean_text(
    field: &str,
    value: Option<String>,
    max_chars: usize,
) -> Result<Option<String>, InvalidLocation> {
    let Some(v) = value else { return Ok(None) };
    let cleaned: String = v
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.chars().count() > max_chars {
        return Err(invalid(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok((!cleaned.is_empty()).then(|| cleaned.to_string()))
}

impl LocationInput {
    /// The location, or the first field that is wrong. `None` for a location
    /// with nothing in it.
    pub fn validate(self) -> Result<Option<Location>, InvalidLocation> {
        let country = match self.country.map(|c| c.trim().to_ascii_uppercase()) {
            Some(c) if c.is_empty() => None,
            Some(c) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()) => Some(c),
            Some(_) => return Err(invalid("country", "must be an ISO 3166 alpha-2 code")),
            None => None,
        };
        let address = clean_text("address", self.address, MAX_ADDRESS_CHARS)?;
        let mut civic = Civic::default();
        for (key, value) in self.civic.unwrap_or_default() {
            let parsed: CivicKey = key.parse().map_err(|_| {
                invalid(
                    format!("civic.{key}"),
                    format!(
                        "is not a civic address key (RFC 5139: {})",
                        CivicKey::ALL
                            .iter()
                            .map(|k| k.code())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            if let Some(v) = clean_text(&format!("civic.{key}"), Some(value), MAX_CIVIC_CHARS)? {
                civic.set(parsed, v);
            }
        }
        let number = |field: &str, v: Option<f64>, range: std::ops::RangeInclusive<f64>| match v {
            Some(x) if !x.is_finite() || !range.contains(&x) => Err(invalid(
                field,
                format!("must be between {} and {}", range.start(), range.end()),
            )),
            other => Ok(other),
        };
        let lat = number("lat", self.lat, -90.0..=90.0)?;
        let lon = number("lon", self.lon, -180.0..=180.0)?;
        let radius_m = number("radiusM", self.radius_m, 0.0..=1_000_000.0)?;
        if lat.is_some() != lon.is_some() {
            let missing = if lat.is_some() { "lon" } else { "lat" };
            return Err(invalid(missing, "is required with the other coordinate"));
        }
        if radius_m.is_some() && lat.is_none() {
            return Err(invalid("radiusM", "needs `lat` and `lon`"));
        }
        let method = match self.method {
            Some(m) if m.trim().is_empty() => None,
            Some(m) => Some(m.parse::<LocationMethod>().map_err(|_| {
                invalid(
                    "method",
                    format!(
                        "must be one of {}",
                        LocationMethod::ALL.map(|m| m.as_str()).join(", ")
                    ),
                )
            })?),
            None => None,
        };
        let determined_at = match self.determined_at {
            Some(t) => Some(
                DateTime::parse_from_rfc3339(t.trim())
                    .map_err(|_| invalid("determinedAt", "must be an RFC 3339 time"))?
                    .with_timezone(&Utc),
            ),
            None => None,
        };
        let location = Location {
            country,
            address,
            civic,
            lat,
            lon,
            radius_m,
            method,
            determined_at,
        };
        Ok(location.has_content().then_some(location))
    }
}

/// The location an agent confirmed (at shift start, on a network change).
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredLocation {
    pub location: Location,
    pub registered_at: DateTime<Utc>,
    /// When the registering request was signed (unix seconds; an admin's
    /// registration counts as signed when it is made): an older request is
    /// a replay or a straggler, and must not undo this one.
    pub signed_at: i64,
}

impl RegisteredLocation {
    /// Registered within `fresh_for` of `now` (a time ahead of `now` is a
    /// clock's skew, and counts as now).
    pub fn is_fresh(&self, now: DateTime<Utc>, fresh_for: chrono::Duration) -> bool {
        now - self.registered_at <= fresh_for
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> LocationInput {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_contracts_example_validates() {
        let l = input(
            r#"{"country":"us","address":"1 Main St, Redmond WA",
                "civic":{"A1":"WA","A3":"Redmond","RD":"Main St","HNO":"1","FLR":"3","ROOM":"301","PC":"98052","NAM":"Contoso HQ"},
                "lat":47.6,"lon":-122.1,"radiusM":30,"method":"Manual","determinedAt":"2026-11-24T05:00:00Z"}"#,
        )
        .validate()
        .unwrap()
        .unwrap();
        assert_eq!(l.country.as_deref(), Some("US"));
        assert_eq!(l.civic.get(CivicKey::HNO), Some("1"));
        assert_eq!(l.method, Some(LocationMethod::Manual));
        assert_eq!(l.radius_m, Some(30.0));
        let back = serde_json::to_value(&l).unwrap();
        assert_eq!(back["civic"]["ROOM"], "301");
        assert_eq!(back["determinedAt"], "2026-11-24T05:00:00Z");
        assert_eq!(back["radiusM"], 30.0);
        assert_eq!(back["method"], "Manual");
    }

    #[test]
    fn bad_fields_are_named() {
        let cases = [
            (r#"{"civic":{"XYZ":"1"}}"#, "civic.XYZ"),
            (r#"{"country":"USA"}"#, "country"),
            (r#"{"lat":91,"lon":0}"#, "lat"),
            (r#"{"lat":1}"#, "lon"),
            (r#"{"lat":1,"lon":1,"radiusM":-1}"#, "radiusM"),
            (r#"{"radiusM":10}"#, "radiusM"),
            (r#"{"method":"Telepathy"}"#, "method"),
            (r#"{"determinedAt":"yesterday"}"#, "determinedAt"),
        ];
        for (json, field) in cases {
            let e = input(json).validate().unwrap_err();
            assert_eq!(e.field, field, "{json}");
        }
        let long = format!(r#"{{"civic":{{"RD":"{}"}}}}"#, "x".repeat(201));
        assert_eq!(input(&long).validate().unwrap_err().field, "civic.RD");
    }

    #[test]
    fn empty_parts_are_dropped_and_control_characters_blanked() {
        assert_eq!(input(r#"{"address":"  ","civic":{}}"#).validate(), Ok(None));
        let l = input(r#"{"civic":{"RD":"Main\u0000St","HNO":""},"method":"gps"}"#)
            .validate()
            .unwrap()
            .unwrap();
        assert_eq!(l.civic.get(CivicKey::RD), Some("Main St"));
        assert_eq!(l.civic.get(CivicKey::HNO), None);
        assert_eq!(l.method, Some(LocationMethod::Gps));
    }
}
