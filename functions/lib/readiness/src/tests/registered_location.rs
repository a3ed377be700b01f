//! The check of an agent's registered location, and how spans of time read.

use chrono::Duration;
use lifeline_domain::location::{Civic, CivicKey, Location, RegisteredLocation};

use super::fixtures::{ana, now, registered_at};
use crate::*;

#[test]
fn spans_read_as_an_admin_says_them() {
    assert_eq!(span(Duration::seconds(20)), "0 min");
    assert_eq!(span(Duration::minutes(45)), "45 min");
    assert_eq!(span(Duration::hours(12)), "12 h");
    assert_eq!(span(Duration::minutes(13 * 60 + 20)), "13 h 20 min");
    assert_eq!(span(Duration::hours(76)), "3 d 4 h");
    assert_eq!(span(Duration::hours(-2)), "0 min", "a clock's skew");
}

#[test]
fn an_agent_with_no_registered_location_is_warned() {
    let f = check_registered_location(&ana(), None, Duration::hours(12), now());
    assert_eq!((f.scope.as_str(), f.level), ("agent a-42", Level::Warning));
    assert_eq!(
        f.detail,
        "no registered location: dials without a location of their own will carry only the home country US"
    );
    let advice = f.advice.unwrap();
    assert!(
        advice.contains("`lifeline agent location set a-42 …`"),
        "{advice}"
    );
    assert!(advice.contains("PUT /agents/a-42/location"), "{advice}");
    let mut homeless = ana();
    homeless.country = None;
    let f = check_registered_location(&homeless, None, Duration::hours(12), now());
    assert!(
        f.detail.ends_with("will carry no location at all"),
        "{}",
        f.detail
    );
}

#[test]
fn a_stale_registered_location_says_how_old_and_the_limit() {
    let stale = registered_at(now() - Duration::minutes(20 * 60 + 30));
    let f = check_registered_location(&ana(), Some(&stale), Duration::hours(12), now());
    assert_eq!(f.level, Level::Warning);
    assert_eq!(
        f.detail,
        "registered location is 20 h 30 min old, past the freshness limit of 12 h: dials without a location of their own will carry only the home country US"
    );
    assert!(
        f.advice.unwrap().contains("LIFELINE_LOCATION_FRESH_HOURS"),
        "the limit's variable"
    );
    // The same registration under a day's limit is fresh.
    let f = check_registered_location(&ana(), Some(&stale), Duration::hours(24), now());
    assert_eq!(f.level, Level::Ok, "{}", f.detail);
    // Stale and partial: both said.
    let mut partial = stale.clone();
    partial.location.civic = Civic::from_iter([(CivicKey::RD, "Main St".to_string())]);
    let f = check_registered_location(&ana(), Some(&partial), Duration::hours(12), now());
    assert!(
        f.detail.ends_with(
            "; it is also partial (no house number (HNO), no city (A3), no state or postcode (A1 or PC))"
        ),
        "{}",
        f.detail
    );
}

#[test]
fn a_fresh_dispatchable_registered_location_is_ok() {
    let fresh = registered_at(now() - Duration::minutes(90));
    let f = check_registered_location(&ana(), Some(&fresh), Duration::hours(12), now());
    assert_eq!(f.level, Level::Ok);
    assert_eq!(
        f.detail,
        "dispatchable, registered 1 h 30 min ago (fresh for 12 h)"
    );
    assert_eq!(f.advice, None);
    // No personal data in the report: the address is not repeated.
    assert!(!f.detail.contains("Main St"));
    // A time ahead of now is a clock's skew, and fresh.
    let ahead = registered_at(now() + Duration::minutes(5));
    let f = check_registered_location(&ana(), Some(&ahead), Duration::hours(12), now());
    assert_eq!(f.level, Level::Ok);
}

#[test]
fn a_partial_registered_location_is_warned_with_what_it_lacks() {
    let mut partial = registered_at(now() - Duration::hours(1));
    partial.location.civic.set(CivicKey::HNO, "");
    partial.location.civic.set(CivicKey::A1, "");
    let f = check_registered_location(&ana(), Some(&partial), Duration::hours(12), now());
    assert_eq!(f.level, Level::Warning);
    assert_eq!(
        f.detail,
        "registered location is partial (no house number (HNO), no state or postcode (A1 or PC)): dials without a location of their own will carry only that, not enough to reach the door"
    );
    assert!(f.advice.unwrap().contains("street, house number, city"));
    // A postcode stands in for the state.
    partial.location.civic.set(CivicKey::HNO, "1");
    partial.location.civic.set(CivicKey::PC, "98052");
    let f = check_registered_location(&ana(), Some(&partial), Duration::hours(12), now());
    assert_eq!(f.level, Level::Ok, "{}", f.detail);
    // A country only, the profile's country aside.
    let only_country = RegisteredLocation {
        location: Location {
            country: Some("US".into()),
            ..Location::default()
        },
        registered_at: now(),
        signed_at: now().timestamp(),
    };
    let f = check_registered_location(&ana(), Some(&only_country), Duration::hours(12), now());
    assert!(
        f.detail
            .starts_with("registered location is country_only (no street (RD), "),
        "{}",
        f.detail
    );
    // A full street with no country anywhere lacks only that.
    let mut stateless = registered_at(now());
    stateless.location.country = None;
    let mut homeless = ana();
    homeless.country = None;
    let f = check_registered_location(&homeless, Some(&stateless), Duration::hours(12), now());
    assert!(
        f.detail
            .starts_with("registered location is partial (no country)"),
        "{}",
        f.detail
    );
    // The profile's country makes it dispatchable, as on a call.
    let f = check_registered_location(&ana(), Some(&stateless), Duration::hours(12), now());
    assert_eq!(f.level, Level::Ok, "{}", f.detail);
}
