//! What a dial is, decided from the dialed digits and the location alone.

use crate::call::OutboundDial;
use crate::degraded::DegradedReason;
use crate::numbers::{
    could_be_emergency_anywhere, match_emergency, Country, EmergencyMatch, OutsideLinePrefix,
};

/// What a dial is, decided without any I/O.
#[derive(Debug, Clone, PartialEq)]
pub enum Classification {
    Ordinary,
    /// An emergency number in the call's (supported) location country.
    Emergency(EmergencyMatch),
    /// Could be an emergency number, but only the profile tells the country.
    NeedsProfileCountry,
    /// An emergency number somewhere, dialed from a country Lifeline does not support.
    UnsupportedLocation,
}

pub fn classify(dial: &OutboundDial, prefix: &OutsideLinePrefix) -> Classification {
    match dial.location.as_ref().and_then(|l| l.country.as_deref()) {
        Some(code) => match code.parse::<Country>() {
            Ok(country) => match match_emergency(&dial.dialed, country, prefix) {
                Some(m) => Classification::Emergency(m),
                None => Classification::Ordinary,
            },
            Err(_) if could_be_emergency_anywhere(&dial.dialed, prefix) => {
                Classification::UnsupportedLocation
            }
            Err(_) => Classification::Ordinary,
        },
        None if could_be_emergency_anywhere(&dial.dialed, prefix) => {
            Classification::NeedsProfileCountry
        }
        None => Classification::Ordinary,
    }
}

/// The emergency match of a dial whose location gave no usable country, once
/// the agent's profile is read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ProfileMatch {
    /// An emergency number in the profile's country.
    Emergency(EmergencyMatch),
    /// The profile's country says this is no emergency number there (and the
    /// dial gave no location to say otherwise).
    Ordinary,
    /// No usable country at all: still an emergency call, without a lease.
    NoCountry(DegradedReason),
}

pub fn match_with_profile(
    dial: &OutboundDial,
    profile_country: Option<Country>,
    prefix: &OutsideLinePrefix,
) -> ProfileMatch {
    match profile_country.and_then(|c| match_emergency(&dial.dialed, c, prefix)) {
        Some(m) => ProfileMatch::Emergency(m),
        None if profile_country.is_some() && dial.location.is_none() => ProfileMatch::Ordinary,
        None if dial.location.is_some() => {
            ProfileMatch::NoCountry(DegradedReason::UnsupportedLocation)
        }
        None => ProfileMatch::NoCountry(DegradedReason::LocationUnknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::samples::dial;

    #[test]
    fn the_location_decides_and_the_profile_fills_in() {
        let p: OutsideLinePrefix = "9".parse().unwrap();
        assert!(matches!(
            classify(&dial("9-911", Some("US")), &p),
            Classification::Emergency(_)
        ));
        assert_eq!(
            classify(&dial("9115", Some("US")), &p),
            Classification::Ordinary
        );
        assert_eq!(
            classify(&dial("911", None), &p),
            Classification::NeedsProfileCountry
        );
        assert_eq!(
            classify(&dial("911", Some("ZZ")), &p),
            Classification::UnsupportedLocation
        );
        assert_eq!(
            classify(&dial("4255550123", Some("ZZ")), &p),
            Classification::Ordinary
        );

        assert!(matches!(
            match_with_profile(&dial("999", None), Some(Country::GB), &p),
            ProfileMatch::Emergency(m) if m.country == Country::GB
        ));
        assert_eq!(
            match_with_profile(&dial("999", None), Some(Country::US), &p),
            ProfileMatch::Ordinary
        );
        assert_eq!(
            match_with_profile(&dial("911", Some("ZZ")), None, &p),
            ProfileMatch::NoCountry(DegradedReason::UnsupportedLocation)
        );
        assert_eq!(
            match_with_profile(&dial("911", None), None, &p),
            ProfileMatch::NoCountry(DegradedReason::LocationUnknown)
        );
    }
}
