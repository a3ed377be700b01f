//! Test data, for tests in every crate (feature `test-support`): a valid
//! agent and a valid call with ordinary values, which a test changes with
//! struct update syntax (`AgentProfile { country: None, ..agent("a-42") }`)
//! instead of spelling out every field. Never linked into a function.
#![allow(clippy::expect_used)]

pub mod docs;

use chrono::{DateTime, Utc};

use crate::call::{AgentProfile, EmergencyCall, Location, OutboundDial};
use crate::numbers::Country;
use crate::recipient::Recipients;
use crate::route::{NumberType, Route};

/// The source number `agent` gives every agent.
pub const AGENT_NUMBER: &str = "+14255550100";

/// A US calling-plan agent with an e-mail address, two recipients and an
/// outbound voice profile: everything a dial needs.
pub fn agent(id: &str) -> AgentProfile {
    AgentProfile {
        id: id.parse().expect("a valid agent id"),
        name: format!("Agent {id}"),
        email: "agent@example.com".parse().ok(),
        country: Some(Country::US),
        other_country: None,
        source_number: AGENT_NUMBER.parse().expect("a valid number"),
        number_type: NumberType::CallingPlan,
        recipients: Recipients::parse("sup@example.com; security@example.com")
            .expect("valid recipients"),
        fallback: vec![],
        outbound_profile: Some("OVP-emergency".into()),
        platform: Default::default(),
    }
}

/// A recorded, undegraded 911 call from the US dialed at `at`, presenting
/// the agent's own number, with no lease and no location.
pub fn call(call_id: &str, agent_id: &str, at: DateTime<Utc>) -> EmergencyCall {
    EmergencyCall {
        call_id: call_id.parse().expect("a valid call id"),
        agent_id: agent_id.parse().expect("a valid agent id"),
        dialed: "911".into(),
        emergency_number: "911".into(),
        test: false,
        country: Some(Country::US),
        location: None,
        location_source: None,
        caller_id: AGENT_NUMBER.parse().expect("a valid number"),
        leased_number: None,
        lease_id: None,
        callback_expires_at: None,
        route: Route::DirectOffer,
        degraded: false,
        reason: None,
        dialed_at: at,
        desktop_time: None,
        ended_at: None,
    }
}

/// `agent_id` dialing `dialed` from `from` on call `call_id`, the dial
/// naming the US as its location and nothing more.
pub fn dial(call_id: &str, agent_id: &str, dialed: &str, from: &str) -> OutboundDial {
    OutboundDial {
        call_id: call_id.parse().expect("a valid call id"),
        agent_id: agent_id.parse().expect("a valid agent id"),
        dialed: dialed.into(),
        from: from.parse().expect("a valid number"),
        location: Some(Location {
            country: Some("US".into()),
            ..Default::default()
        }),
        registered_location: false,
        timestamp: None,
    }
}

/// `at`, parsed from RFC 3339 (a test's fixed instant).
pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("an RFC 3339 time")
        .with_timezone(&Utc)
}

/// The strings today's code writes as a reason (answers, records, outbox
/// messages, metric dimensions), spelled out rather than taken from
/// `DegradedReason`, so that a changed wire string fails the tests that
/// decode them (the domain's, the item codec's): each must stay readable.
pub const STORED_REASONS: [&str; 14] = [
    "store_unavailable",
    "timeout",
    "pool_exhausted",
    "no_pool",
    "contention",
    "location_unknown",
    "agent_profile_missing",
    "call_id_conflict",
    "lease_unreadable",
    "unsupported_location",
    "unauthenticated",
    "internal_error",
    "invalid_event",
    "platform_fail_open",
];
