//! The check of an agent's registered location: what a dial that brings
//! no location of its own carries.

use chrono::{DateTime, Duration, Utc};

use lifeline_domain::call::AgentProfile;
use lifeline_domain::location::{grade, CivicKey, Location, LocationQuality, RegisteredLocation};

use super::finding::{agent_scope, finding, span, Finding, Level};

/// The variable that sets how long a registered location stands in for a
/// dial that brings none (the functions' `Settings::location_fresh_for`):
/// named in the advice, read by the caller into [`crate::Targets`].
pub const LOCATION_FRESH_VAR: &str =
    lifeline_app::settings::table::LIFELINE_LOCATION_FRESH_HOURS.name;

/// What a location lacks to be dispatchable (street, house number, city,
/// and state or postcode; a country from it or the profile).
fn missing_for_dispatch(l: &Location, country_known: bool) -> Vec<&'static str> {
    let has = |k| l.civic.get(k).is_some();
    let mut missing = Vec::new();
    if !country_known && l.country.is_none() {
        missing.push("country");
    }
    for (key, what) in [
        (CivicKey::RD, "street (RD)"),
        (CivicKey::HNO, "house number (HNO)"),
        (CivicKey::A3, "city (A3)"),
    ] {
        if !has(key) {
            missing.push(what);
        }
    }
    if !has(CivicKey::A1) && !has(CivicKey::PC) {
        missing.push("state or postcode (A1 or PC)");
    }
    missing
}

/// What a dial that brings no location of its own carries when the
/// registered one cannot stand in: the profile's country, if any.
fn carries_without(a: &AgentProfile) -> String {
    match a.country {
        Some(c) => format!("will carry only the home country {c}"),
        None => "will carry no location at all".into(),
    }
}

/// The agent's registered location: what a dial that brings no location of
/// its own carries (the desktop's registration at shift start, or an
/// admin's). Fresh and dispatchable, or a warning saying what dials get.
pub fn check_registered_location(
    a: &AgentProfile,
    registered: Option<&RegisteredLocation>,
    fresh_for: Duration,
    now: DateTime<Utc>,
) -> Finding {
    let scope = agent_scope(a);
    let check = "registered location";
    let register = format!(
        "`lifeline agent location set {} …` or from the desktop (PUT /agents/{}/location)",
        a.id, a.id
    );
    let Some(r) = registered else {
        return finding(
            &scope,
            check,
            Level::Warning,
            format!(
                "no registered location: dials without a location of their own {}",
                carries_without(a)
            ),
            Some(format!("register one with {register}")),
        );
    };
    let country_known = a.country.is_some();
    let quality = grade(Some(&r.location), country_known);
    let not_dispatchable = (quality != Some(LocationQuality::Dispatchable)).then(|| {
        format!(
            "{} (no {})",
            quality.map_or("empty", LocationQuality::as_str),
            missing_for_dispatch(&r.location, country_known).join(", no ")
        )
    });
    let age = span(now - r.registered_at);
    let limit = span(fresh_for);
    if !r.is_fresh(now, fresh_for) {
        return finding(
            &scope,
            check,
            Level::Warning,
            format!(
                "registered location is {age} old, past the freshness limit of {limit}: dials without a location of their own {}{}",
                carries_without(a),
                not_dispatchable
                    .map(|q| format!("; it is also {q}"))
                    .unwrap_or_default()
            ),
            Some(format!(
                "register it again with {register}; the limit is {LOCATION_FRESH_VAR}"
            )),
        );
    }
    match not_dispatchable {
        Some(q) => finding(
            &scope,
            check,
            Level::Warning,
            format!(
                "registered location is {q}: dials without a location of their own will carry only that, not enough to reach the door"
            ),
            Some(format!(
                "register one with a street, house number, city, and state or postcode: {register}"
            )),
        ),
        None => finding(
            &scope,
            check,
            Level::Ok,
            format!("dispatchable, registered {age} ago (fresh for {limit})"),
            None,
        ),
    }
}
