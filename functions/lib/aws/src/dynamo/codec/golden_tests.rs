//! Golden items: every item kind as the codec wrote it before the serde
//! item structs (`golden/*.json`, DynamoDB JSON). Each must decode to the
//! value it was written from, and encoding that value must give the same
//! attributes with the same types back: what keeps stored items readable.
//! `BLESS_CODEC_GOLDEN=1` rewrites the fixtures (only when the stored
//! shape is meant to change).

use super::*;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use lifeline_domain::call::{AgentProfile, EmergencyCall, Location};
use lifeline_domain::degraded::DegradedReason;
use lifeline_domain::lease::{Lease, LeasePolicy, NewLease};
use lifeline_domain::location::{CivicKey, LocationMethod, LocationSource, RegisteredLocation};
use lifeline_domain::notification::NotificationTemplate;
use lifeline_domain::numbers::Country;
use lifeline_domain::presence::{PresenceState, PresenceView, Status};
use lifeline_domain::route::{NumberType, Route, TenantSettings};
use lifeline_domain::testing;

use crate::dynamo::store::Item;

/// An item as DynamoDB JSON (maps sorted, so files compare and diff).
fn to_json(item: &Item) -> Value {
    let sorted: BTreeMap<_, _> = item.iter().map(|(k, v)| (k.clone(), av_json(v))).collect();
    Value::Object(sorted.into_iter().collect())
}

fn av_json(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(b) => json!({ "NULL": b }),
        AttributeValue::Ss(l) => json!({ "SS": l }),
        AttributeValue::L(l) => json!({ "L": l.iter().map(av_json).collect::<Vec<_>>() }),
        AttributeValue::M(m) => json!({ "M": to_json(m) }),
        other => panic!("no golden item holds {other:?}"),
    }
}

fn from_json(v: &Value) -> Item {
    let Value::Object(m) = v else {
        panic!("an item is an object: {v}")
    };
    m.iter().map(|(k, v)| (k.clone(), av_of(v))).collect()
}

fn av_of(v: &Value) -> AttributeValue {
    let (kind, v) = v
        .as_object()
        .and_then(|m| m.iter().next())
        .expect("a typed value");
    let strings = || -> Vec<String> {
        v.as_array()
            .expect("a list")
            .iter()
            .map(|s| s.as_str().expect("a string").to_string())
            .collect()
    };
    match kind.as_str() {
        "S" => AttributeValue::S(v.as_str().expect("a string").into()),
        "N" => AttributeValue::N(v.as_str().expect("a number string").into()),
        "BOOL" => AttributeValue::Bool(v.as_bool().expect("a bool")),
        "NULL" => AttributeValue::Null(true),
        "SS" => AttributeValue::Ss(strings()),
        "L" => AttributeValue::L(v.as_array().expect("a list").iter().map(av_of).collect()),
        "M" => AttributeValue::M(from_json(v)),
        other => panic!("unknown type {other}"),
    }
}

fn path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/dynamo/codec/golden")
        .join(format!("{name}.json"))
}

/// The stored fixture `name`; blessing writes `encoded` as it.
fn golden(name: &str, encoded: &Item) -> Item {
    let file = path(name);
    if std::env::var_os("BLESS_CODEC_GOLDEN").is_some() {
        let text = serde_json::to_string_pretty(&to_json(encoded)).unwrap() + "\n";
        std::fs::write(&file, text).unwrap();
    }
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
    from_json(&serde_json::from_str(&text).unwrap())
}

/// The fixture decodes to `value`, and `value` encodes to the fixture.
fn check<T: PartialEq + std::fmt::Debug>(
    name: &str,
    value: &T,
    encode: impl Fn(&T) -> Item,
    decode: impl Fn(&Item) -> T,
) {
    let encoded = encode(value);
    let stored = golden(name, &encoded);
    assert_eq!(&decode(&stored), value, "{name}: the stored item decodes");
    assert_eq!(
        to_json(&encoded),
        to_json(&stored),
        "{name}: encodes as stored"
    );
}

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

fn full_location() -> Location {
    Location {
        country: Some("US".into()),
        address: Some("1 Main St, Redmond".into()),
        civic: [
            (CivicKey::RD, "Main St"),
            (CivicKey::HNO, "1"),
            (CivicKey::ROOM, "3 <b>"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect(),
        lat: Some(47.6),
        lon: Some(-122.125),
        radius_m: Some(30.5),
        method: Some(LocationMethod::Wifi),
        determined_at: Some(t(1_795_496_300)),
    }
}

fn full_call() -> EmergencyCall {
    EmergencyCall {
        test: true,
        location: Some(full_location()),
        location_source: Some(LocationSource::Registered),
        caller_id: "+14255550199".parse().unwrap(),
        leased_number: Some("+14255550199".parse().unwrap()),
        lease_id: Some("l-1".parse().unwrap()),
        callback_expires_at: Some(t(1_795_500_000)),
        route: Route::DirectRouting,
        desktop_time: Some(t(1_795_496_399)),
        ended_at: Some(t(1_795_496_700)),
        ..testing::call("c-full", "a-42", t(1_795_496_400))
    }
}

fn check_call(name: &str, call: &EmergencyCall) {
    let ttl = t(1_798_000_000);
    check(
        name,
        call,
        |c| encode_call(c, ttl).unwrap(),
        |i| decode_call(i).unwrap(),
    );
}

#[test]
fn calls() {
    check_call(
        "call_minimal",
        &testing::call("c-min", "a-42", t(1_795_496_400)),
    );
    check_call("call_full", &full_call());
    let degraded = EmergencyCall {
        degraded: true,
        reason: Some(DegradedReason::PoolExhausted),
        country: None,
        location: Some(Location {
            country: Some("GB".into()),
            ..Default::default()
        }),
        location_source: Some(LocationSource::Call),
        route: Route::DirectOffer,
        desktop_time: Some(t(1_795_496_401)),
        ..testing::call("c-deg", "a-7", t(1_795_496_400))
    };
    check_call("call_degraded", &degraded);
}

/// A call the notifier marked (progress, then outcome) decodes to the same
/// call; those attributes are the notifier's updates, not the call's.
#[test]
fn a_call_with_notification_progress_and_outcome() {
    let call = full_call();
    let ttl = t(1_798_000_000);
    let mut with_progress = encode_call(&call, ttl).unwrap();
    let progress = AttributeValue::M(HashMap::from([
        ("0123456789ab".to_string(), AttributeValue::S("sent".into())),
        (
            "ba9876543210".to_string(),
            AttributeValue::S("refused:MessageRejected".into()),
        ),
    ]));
    with_progress.insert("notifyProgress".into(), progress);
    let stored = golden("call_notify_progress", &with_progress);
    assert_eq!(decode_call(&stored).unwrap(), call);
    let mut notified = encode_call(&call, ttl).unwrap();
    notified.insert("notification".into(), AttributeValue::S("sent".into()));
    notified.insert(
        "notificationDetail".into(),
        AttributeValue::S("2 of 2".into()),
    );
    notified.insert(
        "notifiedAt".into(),
        AttributeValue::S("2026-11-24T09:01:00Z".into()),
    );
    let stored = golden("call_notified", &notified);
    assert_eq!(decode_call(&stored).unwrap(), call);
    let mut reencoded = encode_call(&call, ttl).unwrap();
    for extra in ["notification", "notificationDetail", "notifiedAt"] {
        reencoded.insert(extra.into(), stored[extra].clone());
    }
    assert_eq!(to_json(&reencoded), to_json(&stored));
}

#[test]
fn agents() {
    let ag = |a: &AgentProfile| encode_agent(a).unwrap();
    let de = |i: &Item| decode_agent(i).unwrap();
    check("agent_plain", &testing::agent("a-42"), ag, de);
    let full = AgentProfile {
        number_type: NumberType::DirectRouting,
        fallback: vec!["+14255550111".into(), "queue-b".into()],
        platform: lifeline_domain::platform::PlatformIds {
            connect_user_id: Some("arn:aws:connect:us-east-1:1:instance/i/agent/u-1".into()),
            twilio_worker_sid: Some("WK0123".into()),
        },
        ..testing::agent("a-43")
    };
    check("agent_platform_ids", &full, ag, de);
    let elsewhere = AgentProfile {
        country: None,
        other_country: Some("ZZ".into()),
        email: None,
        outbound_profile: None,
        recipients: lifeline_domain::recipient::Recipients::parse("").unwrap(),
        ..testing::agent("a-44")
    };
    check("agent_other_country", &elsewhere, ag, de);
}

fn lease() -> (LeasePolicy, Lease) {
    let p = LeasePolicy::default();
    let new = NewLease {
        id: "l-1".parse().unwrap(),
        number: "+14255550199".parse().unwrap(),
        country: Country::US,
        agent: "a-42".parse().unwrap(),
        call: "c-1".parse().unwrap(),
        fallback: vec!["queue-a".into()],
    };
    let l = p.start(new, t(1_795_496_400));
    (p, l)
}

#[test]
fn leases_on_number_and_pointer_items() {
    let (p, l) = lease();
    let de = |i: &Item| decode_lease(i).unwrap();
    let at = p.available_at(&l);
    let two = Lease {
        active_calls: BTreeSet::from(["c-1".parse().unwrap(), "c-2".parse().unwrap()]),
        ..l.clone()
    };
    let some = |l: &Lease| Some(l.clone());
    check(
        "number_leased",
        &some(&two),
        |l| encode_number(l.as_ref().unwrap(), at).unwrap(),
        de,
    );
    check(
        "pointer_leased",
        &some(&l),
        |l| encode_pointer(l.as_ref().unwrap(), at).unwrap(),
        de,
    );
    let ended = p
        .on_end(&l, &"c-1".parse().unwrap(), t(1_795_496_700))
        .unwrap();
    let released = Lease {
        released_at: Some(t(1_795_497_000)),
        ..ended.clone()
    };
    let at = p.available_at(&released);
    check(
        "number_released",
        &some(&released),
        |l| encode_number(l.as_ref().unwrap(), at).unwrap(),
        de,
    );
    check(
        "pointer_ended",
        &some(&ended),
        |l| encode_pointer(l.as_ref().unwrap(), at).unwrap(),
        de,
    );
}

#[test]
fn a_number_never_leased_has_no_lease() {
    let mut item = crate::dynamo::keys::number_key(&"+14255550198".parse().unwrap());
    item.insert("type".into(), AttributeValue::S("number".into()));
    item.insert("poolCountry".into(), AttributeValue::S("US".into()));
    item.insert("availableAt".into(), AttributeValue::N("0".into()));
    let stored = golden("number_never_leased", &item);
    assert_eq!(decode_lease(&stored).unwrap(), None);
}

#[test]
fn presence() {
    let now = t(1_795_496_500);
    let view = PresenceView {
        status: Status::Busy,
        override_active: true,
    };
    let agent = "a-42".parse().unwrap();
    let busy = PresenceState {
        reported: Status::Available,
        active: BTreeMap::from([("c-1".parse().unwrap(), t(1_795_496_400))]),
        ended: BTreeMap::from([("c-0".parse().unwrap(), t(1_795_496_000))]),
        reported_signed_at: None,
        version: 3,
    };
    // The item holds the next version: decoding gives the written one + 1.
    let de = |i: &Item| {
        let s = decode_presence(i).unwrap();
        PresenceState {
            version: s.version - 1,
            ..s
        }
    };
    check(
        "presence_override",
        &busy,
        |s| encode_presence(&agent, s, view, now).unwrap(),
        de,
    );
    let idle = PresenceState {
        reported: Status::DoNotDisturb,
        active: BTreeMap::new(),
        ended: BTreeMap::new(),
        reported_signed_at: None,
        version: 0,
    };
    let view = PresenceView {
        status: Status::DoNotDisturb,
        override_active: false,
    };
    check(
        "presence_idle",
        &idle,
        |s| encode_presence(&agent, s, view, now).unwrap(),
        de,
    );
    // A signed report applied: its time is kept, so an older one is refused.
    let reported = PresenceState {
        reported: Status::Away,
        reported_signed_at: Some(1_795_496_390),
        ..idle.clone()
    };
    check(
        "presence_reported",
        &reported,
        |s| encode_presence(&agent, s, view, now).unwrap(),
        de,
    );
}

#[test]
fn template() {
    let tpl = NotificationTemplate {
        subject: "Emergency call by {{agent}}".into(),
        html: "<p>{{agent}} dialed {{dialed}}</p>".into(),
        text: "{{agent}} dialed {{dialed}}".into(),
        version: 4,
    };
    let now = t(1_795_496_400);
    let de = |i: &Item| decode_template(i).unwrap();
    check(
        "template_version",
        &tpl,
        |t| encode_template(t, "VERSION#000004", now).unwrap(),
        de,
    );
}

#[test]
fn registered_location() {
    let agent = "a-42".parse().unwrap();
    let reg = RegisteredLocation {
        location: full_location(),
        registered_at: t(1_795_496_000),
        signed_at: t(1_795_496_000).timestamp(),
    };
    let ttl = t(1_795_600_000);
    check(
        "registered_location",
        &reg,
        |r| encode_registered_location(&agent, r, ttl).unwrap(),
        |i| decode_registered_location(i).unwrap(),
    );
}

/// Tenant settings are written by hand (the console), only ever read.
#[test]
fn tenant() {
    let mut item = crate::dynamo::keys::tenant_key();
    item.insert(
        "directRoutingEmergencyRule".into(),
        AttributeValue::Bool(true),
    );
    item.insert("hasCallingPlanNumbers".into(), AttributeValue::Bool(false));
    let stored = golden("tenant", &item);
    let want = TenantSettings {
        direct_routing_emergency_rule: true,
        has_calling_plan_numbers: false,
    };
    assert_eq!(decode_tenant(&stored), want);
    let empty = golden("tenant_empty", &crate::dynamo::keys::tenant_key());
    let none = TenantSettings {
        direct_routing_emergency_rule: false,
        has_calling_plan_numbers: false,
    };
    assert_eq!(decode_tenant(&empty), none);
}

#[test]
fn a_remembered_platform_status() {
    use lifeline_domain::platform::{PlatformStatus, RememberedStatus};
    let agent = "a-42".parse().unwrap();
    let remembered = RememberedStatus {
        previous: PlatformStatus {
            id: "st-1".into(),
            name: "Available".into(),
        },
        episode: "c-1".into(),
        applied: true,
    };
    let now = t(1_795_496_400);
    check(
        "platform_status",
        &remembered,
        |r| encode_remembered(&agent, r, now).unwrap(),
        |i| decode_remembered(i).unwrap(),
    );
}

/// A number as the pool import adds it; its lease is none, and the
/// listing reads its number, pool and availability.
#[test]
fn a_number_just_added_to_the_pool() {
    let number = "+14255550197".parse().unwrap();
    let now = t(1_795_496_400);
    let item = encode_new_number(&number, Country::US, now).unwrap();
    let stored = golden("number_new", &item);
    assert_eq!(to_json(&item), to_json(&stored));
    assert_eq!(decode_lease(&stored).unwrap(), None);
}
