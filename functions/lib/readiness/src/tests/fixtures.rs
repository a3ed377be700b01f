//! The agent, the instant and the registered location the tests share.

use chrono::{DateTime, Utc};
use lifeline_domain::call::AgentProfile;
use lifeline_domain::location::{Civic, CivicKey, Location, RegisteredLocation};
use lifeline_domain::recipient::Recipients;
use lifeline_domain::testing::agent;

/// Ana, a-42: a US calling-plan agent with one recipient and an outbound
/// voice profile, no e-mail of her own.
pub(super) fn ana() -> AgentProfile {
    AgentProfile {
        name: "Ana Diaz".into(),
        email: None,
        recipients: Recipients::parse("sup@example.com").unwrap(),
        outbound_profile: Some("OVP".into()),
        ..agent("a-42")
    }
}

pub(super) fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_496_400, 0).unwrap()
}

/// A street address Ana's desk has: dispatchable.
fn desk() -> Location {
    Location {
        country: Some("US".into()),
        civic: Civic::from_iter(
            [
                (CivicKey::RD, "Main St"),
                (CivicKey::HNO, "1"),
                (CivicKey::A3, "Redmond"),
                (CivicKey::A1, "WA"),
                (CivicKey::FLR, "3"),
            ]
            .map(|(k, v)| (k, v.to_string())),
        ),
        ..Location::default()
    }
}

pub(super) fn registered_at(at: DateTime<Utc>) -> RegisteredLocation {
    RegisteredLocation {
        location: desk(),
        registered_at: at,
        signed_at: at.timestamp(),
    }
}
