//! Which location a call uses, and how good it is for a responder.

use serde::Serialize;

use super::{CivicKey, Location, RegisteredLocation};

/// How good a location is for a responder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationQuality {
    /// Enough to reach the door: street, house number, city, and region or
    /// postcode (the RAY BAUM'S Act's dispatchable location).
    Dispatchable,
    /// Something below the country, not enough to reach the door.
    Partial,
    /// The country only.
    CountryOnly,
}

impl LocationQuality {
    pub fn as_str(self) -> &'static str {
        match self {
            LocationQuality::Dispatchable => "dispatchable",
            LocationQuality::Partial => "partial",
            LocationQuality::CountryOnly => "country_only",
        }
    }
}

/// Where a call's location came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationSource {
    /// The dial carried it.
    Call,
    /// The agent's registered location, fresh when dialed.
    Registered,
    /// Nothing but the agent profile's country.
    ProfileCountry,
}

impl LocationSource {
    pub fn as_str(self) -> &'static str {
        match self {
            LocationSource::Call => "call",
            LocationSource::Registered => "registered",
            LocationSource::ProfileCountry => "profile_country",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Call, Self::Registered, Self::ProfileCountry]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// The grade of `location`; `country_known` says a country is known some
/// other way (the agent profile's). `None`: nothing is known at all.
pub fn grade(location: Option<&Location>, country_known: bool) -> Option<LocationQuality> {
    let has_country = country_known || location.is_some_and(|l| l.country.is_some());
    match location {
        Some(l) if has_country && is_dispatchable(l) => Some(LocationQuality::Dispatchable),
        Some(l) if l.has_more_than_country() => Some(LocationQuality::Partial),
        _ if has_country => Some(LocationQuality::CountryOnly),
        _ => None,
    }
}

fn is_dispatchable(l: &Location) -> bool {
    let has = |k| l.civic.get(k).is_some();
    has(CivicKey::RD)
        && has(CivicKey::HNO)
        && has(CivicKey::A3)
        && (has(CivicKey::A1) || has(CivicKey::PC))
}

/// The location a dial goes with.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub location: Option<Location>,
    /// `None` when there is no location (the profile's country, if any, is
    /// then the source: the caller knows whether there is one).
    pub source: Option<LocationSource>,
}

/// The dial's own location when it brings one; else the agent's registered
/// location when it is fresh (docs/contract.md, "Location"). A dial that brings only its
/// country keeps it: the registered place may be in another one, and such a
/// dial stays one write on a warm container.
pub fn resolve(
    dial: Option<&Location>,
    registered: Option<&RegisteredLocation>,
    fresh: impl Fn(&RegisteredLocation) -> bool,
) -> Resolved {
    match (dial, registered.filter(|r| fresh(r))) {
        (Some(l), _) => Resolved {
            location: Some(l.clone()),
            source: Some(LocationSource::Call),
        },
        (None, Some(r)) => Resolved {
            location: Some(r.location.clone()),
            source: Some(LocationSource::Registered),
        },
        (None, None) => Resolved {
            location: None,
            source: None,
        },
    }
}

/// Whether a dial with this location could use a registered one (so the
/// registered location must be read before the dial is written).
pub fn wants_registered(dial: Option<&Location>) -> bool {
    dial.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::location::Civic;
    use chrono::{DateTime, Duration, Utc};

    fn civic(pairs: &[(CivicKey, &str)]) -> Location {
        Location {
            country: Some("US".into()),
            civic: pairs.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn grading() {
        use CivicKey::*;
        use LocationQuality::*;
        let full = [(RD, "Main St"), (HNO, "1"), (A3, "Redmond"), (A1, "WA")];
        assert_eq!(grade(Some(&civic(&full)), false), Some(Dispatchable));
        let with_pc = [(RD, "Main St"), (HNO, "1"), (A3, "Redmond"), (PC, "98052")];
        assert_eq!(grade(Some(&civic(&with_pc)), false), Some(Dispatchable));
        // Each of the four parts is needed.
        for missing in 0..3 {
            let mut parts = full.to_vec();
            parts.remove(missing);
            assert_eq!(
                grade(Some(&civic(&parts)), false),
                Some(Partial),
                "{parts:?}"
            );
        }
        let no_region = [(RD, "Main St"), (HNO, "1"), (A3, "Redmond")];
        assert_eq!(grade(Some(&civic(&no_region)), false), Some(Partial));
        // A free-text address, or coordinates, say something: not enough.
        let text = Location {
            address: Some("1 Main St, Redmond WA".into()),
            ..civic(&[])
        };
        assert_eq!(grade(Some(&text), false), Some(Partial));
        let point = Location {
            lat: Some(47.6),
            lon: Some(-122.1),
            ..civic(&[])
        };
        assert_eq!(grade(Some(&point), false), Some(Partial));
        assert_eq!(grade(Some(&civic(&[])), false), Some(CountryOnly));
        assert_eq!(grade(None, true), Some(CountryOnly));
        assert_eq!(grade(None, false), None);
        // A full street address with no country anywhere is not dispatchable.
        let stateless = Location {
            country: None,
            ..civic(&full)
        };
        assert_eq!(grade(Some(&stateless), false), Some(Partial));
        assert_eq!(grade(Some(&stateless), true), Some(Dispatchable));
    }

    fn registered(country: &str, hours_ago: i64) -> RegisteredLocation {
        RegisteredLocation {
            location: Location {
                country: Some(country.into()),
                civic: Civic::from_iter([(CivicKey::RD, "Main St".to_string())]),
                ..Default::default()
            },
            registered_at: now() - Duration::hours(hours_ago),
            signed_at: (now() - Duration::hours(hours_ago)).timestamp(),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_496_400, 0).unwrap()
    }

    #[test]
    fn resolving() {
        let fresh = |r: &RegisteredLocation| r.is_fresh(now(), Duration::hours(12));
        let reg = registered("US", 1);
        let stale = registered("US", 13);
        let only_us = Location {
            country: Some("US".into()),
            ..Default::default()
        };
        let street = civic(&[(CivicKey::RD, "Elm St")]);
        let r = resolve(None, Some(&reg), fresh);
        assert_eq!(r.source, Some(LocationSource::Registered));
        assert_eq!(r.location.as_ref(), Some(&reg.location));
        // A dial that brings anything, even its country alone, keeps its own.
        let r = resolve(Some(&only_us), Some(&reg), fresh);
        assert_eq!(
            (r.source, r.location.as_ref()),
            (Some(LocationSource::Call), Some(&only_us))
        );
        // The dial's own street wins; a stale registration is not used.
        let r = resolve(Some(&street), Some(&reg), fresh);
        assert_eq!(r.source, Some(LocationSource::Call));
        let r = resolve(None, Some(&stale), fresh);
        assert_eq!((r.location, r.source), (None, None));
        assert!(wants_registered(None));
        assert!(!wants_registered(Some(&only_us)) && !wants_registered(Some(&street)));
    }
}
