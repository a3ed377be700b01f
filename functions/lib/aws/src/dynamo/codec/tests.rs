//! Round trips of the item kinds.

use super::*;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::DateTime;
use std::collections::HashMap;

use crate::dynamo::keys::s;
use lifeline_domain::call::{EmergencyCall, Location};
use lifeline_domain::degraded::DegradedReason;
use lifeline_domain::lease::{LeasePolicy, NewLease};
use lifeline_domain::location::{CivicKey, LocationMethod, LocationSource, RegisteredLocation};
use lifeline_domain::numbers::Country;
use lifeline_domain::route::Route;
use lifeline_domain::types::AgentId;

#[test]
fn call_round_trips() {
    let t = DateTime::from_timestamp(1_795_496_400, 0).unwrap();
    let call = EmergencyCall {
        call_id: "c-1".parse().unwrap(),
        agent_id: "a-42".parse().unwrap(),
        dialed: "911".into(),
        emergency_number: "911".into(),
        test: true,
        country: Some(Country::US),
        location: Some(Location {
            country: Some("US".into()),
            address: Some("1 Main St".into()),
            civic: [(CivicKey::RD, "Main St"), (CivicKey::ROOM, "3 <b>")]
                .into_iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect(),
            lat: Some(47.6),
            lon: Some(-122.1),
            radius_m: Some(30.5),
            method: Some(LocationMethod::Wifi),
            determined_at: Some(t),
        }),
        location_source: Some(LocationSource::Registered),
        caller_id: "+14255550199".parse().unwrap(),
        leased_number: Some("+14255550199".parse().unwrap()),
        lease_id: Some("l-1".parse().unwrap()),
        callback_expires_at: Some(t),
        route: Route::DirectRouting,
        degraded: false,
        reason: Some(DegradedReason::AgentProfileMissing),
        dialed_at: t,
        desktop_time: Some(t),
        ended_at: Some(t),
    };
    assert_eq!(decode_call(&encode_call(&call, t).unwrap()).unwrap(), call);
    // A record from before sources were kept: its location was the dial's.
    let mut old = encode_call(&call, t).unwrap();
    old.remove("locationSource");
    assert_eq!(
        decode_call(&old).unwrap().location_source,
        Some(LocationSource::Call)
    );
}

#[test]
fn a_registered_location_round_trips_and_an_unknown_key_is_corrupt() {
    let t = DateTime::from_timestamp(1_795_496_400, 0).unwrap();
    let agent: AgentId = "a-42".parse().unwrap();
    let r = RegisteredLocation {
        location: Location {
            country: Some("GB".into()),
            civic: [(CivicKey::HNO, "10"), (CivicKey::RD, "Downing St")]
                .into_iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect(),
            ..Default::default()
        },
        registered_at: t,
        signed_at: t.timestamp(),
    };
    let item = encode_registered_location(&agent, &r, t).unwrap();
    assert_eq!(decode_registered_location(&item).unwrap(), r);
    let mut bad = item.clone();
    if let Some(AttributeValue::M(l)) = bad.get_mut("location") {
        l.insert(
            "civic".into(),
            AttributeValue::M(HashMap::from([("XYZ".to_string(), s("1"))])),
        );
    }
    assert!(decode_registered_location(&bad).is_err());
}

#[test]
fn lease_round_trips_on_both_items() {
    let t = DateTime::from_timestamp(1_795_496_400, 0).unwrap();
    let p = LeasePolicy::default();
    let l = p.start(
        NewLease {
            id: "l-1".parse().unwrap(),
            number: "+14255550199".parse().unwrap(),
            country: Country::US,
            agent: "a-42".parse().unwrap(),
            call: "c-1".parse().unwrap(),
            fallback: vec!["q".into()],
        },
        t,
    );
    assert_eq!(
        decode_lease(&encode_number(&l, t).unwrap()).unwrap(),
        Some(l.clone())
    );
    assert_eq!(
        decode_lease(&encode_pointer(&l, t).unwrap()).unwrap(),
        Some(l.clone())
    );
    let ended = p.on_end(&l, &"c-1".parse().unwrap(), t).unwrap();
    let item = encode_number(&ended, t).unwrap();
    assert!(
        !item.contains_key("activeCalls"),
        "an empty string set is not allowed"
    );
    assert_eq!(decode_lease(&item).unwrap(), Some(ended));
}

/// A malformed item is `Corrupt`, naming the item and the attribute.
#[test]
fn a_mistyped_attribute_is_corrupt_naming_it() {
    let t = DateTime::from_timestamp(1_795_496_400, 0).unwrap();
    let mut item = encode_call(&lifeline_domain::testing::call("c-1", "a-42", t), t).unwrap();
    item.insert("dialedAt".into(), AttributeValue::N("1795496400".into()));
    for decoded in [decode_call(&item).err(), decode_call_head(&item).err()] {
        match decoded {
            Some(StoreError::Corrupt { key, detail }) => {
                assert_eq!(key, "CALL#c-1/CALL");
                assert!(detail.contains("dialedAt"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }
    item.remove("dialedAt");
    assert!(matches!(
        decode_call_head(&item),
        Err(StoreError::Corrupt { detail, .. }) if detail.contains("dialedAt")
    ));
}
