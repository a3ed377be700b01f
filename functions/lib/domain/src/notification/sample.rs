//! Sample data, to validate and preview a template with.

use super::data::{quality_description, route_description, source_description, NotificationData};
use crate::location::{LocationQuality, LocationSource};
use crate::route::Route;

/// Data to validate and preview a template with.
pub fn sample_data(test: bool, location: bool) -> NotificationData {
    NotificationData {
        test,
        dialed: if test { "933" } else { "911" }.into(),
        emergency_number: if test { "933" } else { "911" }.into(),
        agent_name: "Ana Diaz".into(),
        agent_email: Some("ana@example.com".into()),
        dialed_at_utc: "2026-11-24 05:00 UTC".into(),
        dialed_at_local: location.then(|| "2026-11-23 21:00 PST".into()),
        callback_number: "+14255550199".into(),
        callback_window_minutes: 60,
        callback_valid_until: None,
        callback_is_agent_number: !location,
        location_provided: location,
        location_lines: if location {
            [
                "Contoso HQ",
                "Floor 3, Room 301",
                "1 Main St",
                "Redmond",
                "WA 98052",
                "US",
            ]
            .map(String::from)
            .to_vec()
        } else {
            Vec::new()
        },
        location_quality: Some(
            if location {
                LocationQuality::Dispatchable
            } else {
                LocationQuality::CountryOnly
            }
            .as_str()
            .into(),
        ),
        location_quality_description: Some(
            quality_description(if location {
                LocationQuality::Dispatchable
            } else {
                LocationQuality::CountryOnly
            })
            .into(),
        ),
        location_source: Some(
            if location {
                LocationSource::Registered
            } else {
                LocationSource::ProfileCountry
            }
            .as_str()
            .into(),
        ),
        location_source_description: Some(
            source_description(if location {
                LocationSource::Registered
            } else {
                LocationSource::ProfileCountry
            })
            .into(),
        ),
        address: location.then(|| "1 Main St, Redmond WA".into()),
        latitude: location.then_some(47.6),
        longitude: location.then_some(-122.1),
        radius_m: location.then_some(30),
        country: Some("US".into()),
        route: "direct_offer".into(),
        route_description: route_description(Route::DirectOffer).into(),
        reference: "1A2B3C4D".into(),
        sent_to_fallback: false,
    }
}
