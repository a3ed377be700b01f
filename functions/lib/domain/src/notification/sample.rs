//! Sample data, to validate and preview a template with.

use chrono::Duration;

use super::data::{quality_description, route_description, source_description, NotificationData};
use super::kind::MessageKind;
use crate::location::{LocationQuality, LocationSource};
use crate::route::Route;
use crate::types::E164;

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
        dialed_time_utc: "05:00 UTC".into(),
        ack_link: None,
        escalation_tier: None,
        escalation_minutes: None,
        duration: None,
        duration_seconds: None,
        callback_received: None,
        possible_misdial: false,
        misdial_threshold_seconds: None,
        previous_callback_number: None,
    }
}

/// An acknowledgement link as the ack route makes them: a 43-character
/// token (32 random bytes, base64url) after the deployment's address.
pub const SAMPLE_ACK_LINK: &str =
    "https://lifeline.example.com/ack/Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5";

/// The data of `kind`'s message: what that kind says filled in.
pub fn sample_for(kind: MessageKind, test: bool, location: bool) -> NotificationData {
    let data = sample_data(test, location).with_ack_link(SAMPLE_ACK_LINK);
    with_kind(data, kind)
}

fn with_kind(data: NotificationData, kind: MessageKind) -> NotificationData {
    let previous: E164 = "+14255550123"
        .parse()
        .unwrap_or_else(|_| unreachable!("a valid number"));
    match kind {
        MessageKind::Alert => data,
        MessageKind::Escalation => data.escalated(2, Duration::minutes(10)),
        MessageKind::FollowUp => data.ended(
            Duration::seconds(3 * 3600 + 59 * 60 + 59),
            false,
            Duration::seconds(10),
        ),
        MessageKind::Correction => data.corrected_from(&previous),
    }
}

/// The longest values a message realistically carries, to hold the SMS to
/// its two segments with: a long double-barrelled name, a 15-digit
/// callback number, the longest window (1440 minutes), long location lines
/// (the SMS takes the first three), a 76-character acknowledgement link, a
/// drill, tier 10 after 120 minutes, a misdial.
pub fn longest_sample(kind: MessageKind) -> NotificationData {
    let data = NotificationData {
        agent_name: "Maria-Alejandra Featherstone".into(),
        callback_number: "+442079460000123".into(),
        callback_window_minutes: 1440,
        location_lines: [
            "Contoso Operations Centre",
            "Floor 12, Room 1204",
            "12345 Northeast Enterprise Way",
            "Redmond",
            "WA 98052-6399",
            "US",
        ]
        .map(String::from)
        .to_vec(),
        ..sample_data(true, true)
    }
    .with_ack_link(SAMPLE_ACK_LINK);
    let previous: E164 = "+442079460000999"
        .parse()
        .unwrap_or_else(|_| unreachable!("a valid number"));
    match kind {
        MessageKind::Alert => data,
        MessageKind::Escalation => data.escalated(10, Duration::minutes(120)),
        MessageKind::FollowUp => data.ended(Duration::seconds(5), false, Duration::seconds(10)),
        MessageKind::Correction => data.corrected_from(&previous),
    }
}

/// Every shape a message of `kind` is validated with: drill or not, with
/// or without a location and an acknowledgement link, to the fallback list,
/// the window's end known, a follow-up's misdial and callback, the longest
/// values.
pub fn samples(kind: MessageKind) -> Vec<(&'static str, NotificationData)> {
    let mut all = Vec::new();
    for (name, test, location) in [
        ("a call with a location", false, true),
        ("a drill with a location", true, true),
        ("a call without a location", false, false),
        ("a drill without a location", true, false),
    ] {
        all.push((name, sample_for(kind, test, location)));
    }
    all.push((
        "a call without an acknowledgement link",
        with_kind(sample_data(false, true), kind),
    ));
    all.push((
        "a message to the fallback recipients",
        NotificationData {
            sent_to_fallback: true,
            ..sample_for(kind, false, true)
        },
    ));
    all.push((
        "a call that had ended when the message was written",
        NotificationData {
            callback_valid_until: Some("2026-11-24 06:10 UTC".into()),
            ..sample_for(kind, false, true)
        },
    ));
    if kind == MessageKind::FollowUp {
        let base = sample_data(false, true).with_ack_link(SAMPLE_ACK_LINK);
        all.push((
            "a misdial",
            base.clone()
                .ended(Duration::seconds(4), false, Duration::seconds(10)),
        ));
        all.push((
            "a call the emergency service called back",
            base.ended(Duration::seconds(245), true, Duration::seconds(10)),
        ));
    }
    all.push(("the longest values", longest_sample(kind)));
    all
}
