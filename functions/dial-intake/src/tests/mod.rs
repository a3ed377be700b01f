//! Handler tests against the in-memory store.

use super::*;
use chrono::{DateTime, Duration, Utc};
use lifeline_app::clock::FixedClock;
use lifeline_app::fakes::MemoryStore;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::NumberType;
use lifeline_edge::fixtures::{agent, body_json, config, signed};
use serde_json::{json, Value};
use std::collections::HashSet;

mod optional;
mod received;

const US_POOL: [&str; 5] = [
    "+14255550190",
    "+14255550191",
    "+14255550192",
    "+14255550193",
    "+14255550194",
];

fn t0() -> DateTime<Utc> {
    lifeline_domain::testing::at("2026-11-24T05:00:00Z")
}

struct Rig {
    store: Arc<MemoryStore>,
    clock: FixedClock,
    handler: DialIntake<MemoryStore>,
    config: Arc<Config>,
}

fn rig() -> Rig {
    let store = Arc::new(MemoryStore::new());
    store.add_agent(agent(
        "a-42",
        Country::US,
        NumberType::CallingPlan,
        "+14255550100",
    ));
    store.add_agent(agent(
        "a-43",
        Country::US,
        NumberType::DirectRouting,
        "+14255550101",
    ));
    store.add_agent(agent(
        "a-44",
        Country::GB,
        NumberType::CallingPlan,
        "+442071838750",
    ));
    store.add_numbers(Country::US, &US_POOL);
    store.add_numbers(Country::GB, &["+442071838760"]);
    let clock = FixedClock::at(t0());
    let config = Arc::new(config());
    let handler = DialIntake::new(store.clone(), Arc::new(clock.clone()), config.clone())
        .with_signature_clock(Arc::new(clock.clone()));
    Rig {
        store,
        clock,
        handler,
        config,
    }
}

fn dial_body(call: &str, agent: &str, dialed: &str, country: Option<&str>) -> String {
    let mut v = json!({"callId": call, "agentId": agent, "dialed": dialed, "from": "+14255550100",
        "timestamp": "2026-11-24T05:00:00Z"});
    if let Some(c) = country {
        v["location"] =
            json!({"country": c, "address": "1 Main St, Redmond WA", "lat": 47.6, "lon": -122.1});
    }
    v.to_string()
}

impl Rig {
    async fn post(&self, body: &str) -> (u16, Value) {
        let req = signed(
            &self.config.webhook_secret,
            "/calls/outbound",
            body,
            self.clock.now().timestamp(),
        );
        let resp = self.handler.handle(req).await;
        (resp.status().as_u16(), body_json(&resp))
    }
    async fn dial(&self, call: &str, agent: &str, dialed: &str) -> Value {
        let (status, v) = self.post(&dial_body(call, agent, dialed, Some("US"))).await;
        assert_eq!(status, 200, "{v}");
        v
    }
}

#[tokio::test]
async fn emergency_dial_leases_a_pool_number() {
    let r = rig();
    let v = r.dial("c-1", "a-42", "9-911").await;
    assert_eq!(v["action"], "emergency");
    assert_eq!(v["emergencyNumber"], "911");
    assert_eq!(v["test"], false);
    assert!(US_POOL.contains(&v["callerId"].as_str().unwrap()), "{v}");
    assert_eq!(v["callbackExpiresAt"], "2026-11-24T06:00:00Z");
    assert_eq!(v["route"], "direct_offer");
    assert_eq!(v["record"], false);
    assert_eq!(v["history"], false);
    assert_eq!(v["transcribe"], false);
    assert_eq!(v["degraded"], false);
    assert_eq!(
        v["panel"]["controls"],
        json!(["device_settings", "hang_up"])
    );
    assert!(v.get("locationProvided").is_none());
    assert_eq!(r.store.writes(), 1, "one transaction");
}

#[tokio::test]
async fn repeated_call_id_gets_the_same_answer_and_writes_nothing() {
    let r = rig();
    let first = r.dial("c-1", "a-42", "911").await;
    let writes = r.store.writes();
    let stored = || {
        r.store
            .with_state(|s| format!("{:?} {:?} {:?}", s.calls, s.pointers, s.numbers))
    };
    let before = stored();
    r.clock.advance(Duration::seconds(20));
    let again = r.dial("c-1", "a-42", "911").await;
    assert_eq!(first, again);
    // The warm container's one write is refused and returns the record.
    assert!(r.store.writes() <= writes + 1, "at most the refused write");
    assert_eq!(stored(), before, "a retried webhook changes nothing");
}

#[tokio::test]
async fn ordinary_dial_makes_no_store_call() {
    let r = rig();
    for dialed in ["9115550100", "911555", "9-1-425-555-0123", "999"] {
        let v = r.dial("c-x", "a-42", dialed).await;
        assert_eq!(v, json!({"action":"continue"}), "{dialed}");
    }
    assert_eq!(r.store.reads() + r.store.writes(), 0);
}

#[tokio::test]
async fn bad_signature_and_bad_body_write_nothing() {
    let r = rig();
    let body = dial_body("c-1", "a-42", "911", Some("US"));
    let mut req = signed(
        &r.config.webhook_secret,
        "/calls/outbound",
        &body,
        t0().timestamp(),
    );
    req.headers_mut()
        .insert("x-lifeline-signature", "t=1,v1=00".parse().unwrap());
    let resp = r.handler.handle(req).await;
    // An emergency-looking dial fails open: its own number, nothing written.
    assert_eq!(resp.status(), 200);
    let v = body_json(&resp);
    assert_eq!(
        (&v["action"], &v["callerId"], &v["degraded"], &v["reason"]),
        (
            &json!("emergency"),
            &json!("+14255550100"),
            &json!(true),
            &json!("unauthenticated")
        )
    );
    let stale = signed(
        &r.config.webhook_secret,
        "/calls/outbound",
        &body,
        t0().timestamp() - 600,
    );
    assert_eq!(
        body_json(&r.handler.handle(stale).await)["reason"],
        "unauthenticated"
    );
    let mut unsigned = signed(
        &r.config.webhook_secret,
        "/calls/outbound",
        &body,
        t0().timestamp(),
    );
    unsigned.headers_mut().remove("x-lifeline-signature");
    assert_eq!(
        body_json(&r.handler.handle(unsigned).await)["reason"],
        "unauthenticated"
    );
    // Anything else not authenticated is refused.
    let ordinary = dial_body("c-2", "a-42", "5551234", Some("US"));
    let mut req = signed(
        &r.config.webhook_secret,
        "/calls/outbound",
        &ordinary,
        t0().timestamp(),
    );
    req.headers_mut()
        .insert("x-lifeline-signature", "t=1,v1=00".parse().unwrap());
    let resp = r.handler.handle(req).await;
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");

    let (status, v) = r
        .post(r#"{"callId":"c-1","agentId":"a-42","dialed":"911","from":"12"}"#)
        .await;
    assert_eq!(status, 400);
    assert_eq!(v["field"], "from");
    let req = signed(
        &r.config.webhook_secret,
        "/calls/outbound",
        "{oops",
        t0().timestamp(),
    );
    let resp = r.handler.handle(req).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    assert_eq!(r.store.reads() + r.store.writes(), 0);
}

#[tokio::test]
async fn store_down_still_answers_emergency_degraded() {
    let r = rig();
    r.store.set_failing(true);
    let v = r.dial("c-1", "a-42", "9 911").await;
    assert_eq!(v["action"], "emergency");
    assert_eq!(v["degraded"], true);
    assert_eq!(v["callerId"], "+14255550100");
    assert_eq!(v["emergencyNumber"], "911");
    assert_eq!(v["reason"], "store_unavailable");
}

#[tokio::test]
async fn empty_pool_is_degraded_but_recorded() {
    let r = rig();
    let v = r.dial("c-1", "a-42", "911").await;
    assert_eq!(v["degraded"], false);
    let (_, v) = r.post(&dial_body("c-2", "a-44", "999", Some("GB"))).await;
    assert_eq!(v["callerId"], "+442071838760");
    r.store.add_agent(agent(
        "a-45",
        Country::GB,
        NumberType::CallingPlan,
        "+442071838751",
    ));
    let (status, v) = r.post(&dial_body("c-3", "a-45", "112", Some("GB"))).await;
    assert_eq!(status, 200);
    assert_eq!(v["degraded"], true);
    assert_eq!(v["reason"], "pool_exhausted");
    assert_eq!(
        v["callerId"], "+14255550100",
        "the agent's own number from the webhook"
    );
    assert!(
        r.store
            .with_state(|s| s.calls.contains_key(&"c-3".parse().unwrap())),
        "still recorded for the side effects"
    );
}

#[tokio::test]
async fn same_agent_again_keeps_the_number_and_extends() {
    let r = rig();
    let first = r.dial("c-1", "a-42", "911").await;
    r.clock.advance(Duration::minutes(30));
    let second = r.dial("c-2", "a-42", "911").await;
    assert_eq!(first["callerId"], second["callerId"]);
    assert_eq!(second["callbackExpiresAt"], "2026-11-24T06:30:00Z");
    let other = r.dial("c-3", "a-43", "911").await;
    assert_ne!(other["callerId"], first["callerId"]);
}

#[tokio::test]
async fn concurrent_dials_never_share_a_number() {
    let r = Arc::new(rig());
    for i in 0..10 {
        r.store.add_agent(agent(
            &format!("b-{i}"),
            Country::US,
            NumberType::CallingPlan,
            "+14255550100",
        ));
    }
    let mut tasks = Vec::new();
    for i in 0..10 {
        let r = r.clone();
        tasks.push(tokio::spawn(async move {
            r.dial(&format!("k-{i}"), &format!("b-{i}"), "911").await
        }));
    }
    let mut leased = HashSet::new();
    let mut degraded = 0;
    for t in tasks {
        let v = t.await.unwrap();
        if v["degraded"] == true {
            degraded += 1;
        } else {
            assert!(
                leased.insert(v["callerId"].as_str().unwrap().to_string()),
                "number twice: {v}"
            );
        }
    }
    assert_eq!(leased.len(), 5);
    assert_eq!(degraded, 5);
}

#[tokio::test]
async fn route_follows_number_type_and_tenant() {
    let r = rig();
    let v = r.dial("c-1", "a-43", "911").await;
    assert_eq!(v["route"], "direct_routing");
    r.store
        .with_state(|s| s.tenant.has_calling_plan_numbers = true);
    // The container trusts the settings it read for LIFELINE_DIAL_CACHE_SECONDS (60).
    r.clock.advance(Duration::seconds(61));
    let v = r.dial("c-2", "a-43", "911").await;
    assert_eq!(v["route"], "direct_offer");
}

#[tokio::test]
async fn missing_location_uses_the_profile_country() {
    let r = rig();
    let (_, v) = r.post(&dial_body("c-1", "a-44", "9 999", None)).await;
    assert_eq!(v["action"], "emergency");
    assert_eq!(v["emergencyNumber"], "999");
    assert_eq!(v["locationProvided"], false);
    assert_eq!(v["callerId"], "+442071838760");
    // The US agent's 999 is not an emergency number in the US.
    let (_, v) = r.post(&dial_body("c-2", "a-42", "999", None)).await;
    assert_eq!(v, json!({"action":"continue"}));
}

#[tokio::test]
async fn unsupported_location_passes_through_with_the_reason() {
    let r = rig();
    // ZZ: a code no region of the metadata has.
    let (_, v) = r.post(&dial_body("c-1", "a-42", "112", Some("ZZ"))).await;
    assert_eq!(
        v,
        json!({"action":"continue","reason":"unsupported_location"})
    );
    let (_, v) = r
        .post(&dial_body("c-2", "a-42", "0145678901", Some("ZZ")))
        .await;
    assert_eq!(v, json!({"action":"continue"}));
    assert_eq!(r.store.reads() + r.store.writes(), 0);
}

#[tokio::test]
async fn every_country_is_recognised_and_one_without_a_pool_says_so() {
    let r = rig();
    // France: 17 (police) is an emergency number there; no French pool.
    let (_, v) = r.post(&dial_body("c-1", "a-42", "9-17", Some("FR"))).await;
    assert_eq!(v["action"], "emergency");
    assert_eq!(v["emergencyNumber"], "17");
    assert_eq!(v["degraded"], true);
    assert_eq!(v["reason"], "no_pool");
    assert_eq!(v["callerId"], "+14255550100");
    // The same digits are no emergency number in the US.
    let (_, v) = r.post(&dial_body("c-2", "a-42", "17", Some("US"))).await;
    assert_eq!(v, json!({"action":"continue"}));
    // A SIP dialer's service URN is one anywhere.
    let (_, v) = r
        .post(&dial_body(
            "c-3",
            "a-42",
            "urn:service:sos.fire",
            Some("US"),
        ))
        .await;
    assert_eq!(v["action"], "emergency");
    assert_eq!(v["emergencyNumber"], "urn:service:sos.fire");
    assert_eq!(v["degraded"], false);
}

#[tokio::test]
async fn test_number_is_flagged() {
    let r = rig();
    let v = r.dial("c-1", "a-42", "933").await;
    assert_eq!(v["action"], "emergency");
    assert_eq!(v["test"], true);
    assert_eq!(v["emergencyNumber"], "933");
}

#[tokio::test]
async fn expired_number_goes_to_another_agent_only_after_quarantine() {
    let r = rig();
    // Pool of one in GB.
    r.store.add_agent(agent(
        "a-45",
        Country::GB,
        NumberType::CallingPlan,
        "+442071838751",
    ));
    let (_, first) = r.post(&dial_body("c-1", "a-44", "999", Some("GB"))).await;
    assert_eq!(first["callerId"], "+442071838760");
    // No end reported: held for the active-call limit (4 h), then quarantined 60 min.
    r.clock.advance(Duration::hours(4) + Duration::minutes(30));
    let (_, v) = r.post(&dial_body("c-2", "a-45", "999", Some("GB"))).await;
    assert_eq!(v["degraded"], true, "still in quarantine: {v}");
    r.clock.advance(Duration::minutes(31));
    let (_, v) = r.post(&dial_body("c-3", "a-45", "999", Some("GB"))).await;
    assert_eq!(v["callerId"], "+442071838760");
}

/// The SAM sample events (`events/`) deserialise into the handler's input and
/// run through it.
#[tokio::test]
async fn sample_events_run_through_the_handler() {
    let r = rig();
    let signed_at = FixedClock::at(DateTime::from_timestamp(1_795_496_400, 0).unwrap());
    let h = DialIntake::new(r.store.clone(), Arc::new(r.clock.clone()), r.config.clone())
        .with_signature_clock(Arc::new(signed_at));
    let req = lambda_http::request::from_str(include_str!("../../../../events/dial-intake.json"))
        .unwrap();
    let resp = h.handle(req).await;
    assert_eq!(resp.status(), 200);
    let v = body_json(&resp);
    assert_eq!(v["action"], "emergency");
    assert_eq!(v["emergencyNumber"], "911");
    let req = lambda_http::request::from_str(include_str!(
        "../../../../events/dial-intake-ordinary.json"
    ))
    .unwrap();
    assert_eq!(
        body_json(&h.handle(req).await),
        json!({"action":"continue"})
    );
}

#[tokio::test]
async fn no_country_at_all_is_still_an_emergency_placed_as_dialed() {
    let r = rig();
    // An agent with no profile, no location: the country is unknown.
    let (status, v) = r.post(&dial_body("c-1", "a-unknown", "9 112", None)).await;
    assert_eq!(status, 200);
    assert_eq!(v["action"], "emergency");
    assert_eq!(v["degraded"], true);
    assert_eq!(v["reason"], "location_unknown");
    assert_eq!(v["emergencyNumber"], "112", "no guess at a translation");
    assert_eq!(v["callerId"], "+14255550100");
    assert!(r
        .store
        .with_state(|s| s.calls.contains_key(&"c-1".parse().unwrap())));
    // And when the store is down too.
    r.store.set_failing(true);
    let (_, v) = r.post(&dial_body("c-2", "a-42", "999", None)).await;
    assert_eq!(v["action"], "emergency");
    assert_eq!(v["emergencyNumber"], "999");
    assert_eq!(v["reason"], "store_unavailable");
}

#[tokio::test]
async fn a_failed_number_lookup_is_not_reported_as_an_exhausted_pool() {
    let r = rig();
    r.store.set_failing_lookups(true);
    let v = r.dial("c-1", "a-42", "911").await;
    assert_eq!(v["action"], "emergency");
    assert_eq!(v["degraded"], true);
    assert_eq!(v["reason"], "store_unavailable");
    assert!(
        r.store
            .with_state(|s| s.calls.contains_key(&"c-1".parse().unwrap())),
        "still recorded"
    );
    // The agent already holding a live lease needs no lookup at all.
    r.store.set_failing_lookups(false);
    let first = r.dial("c-2", "a-43", "911").await;
    r.store.set_failing_lookups(true);
    let again = r.dial("c-3", "a-43", "911").await;
    assert_eq!(again["callerId"], first["callerId"]);
    assert_eq!(again["degraded"], false);
}

#[tokio::test]
async fn a_panic_below_the_dial_still_answers_emergency() {
    let clock = FixedClock::at(t0());
    let config = Arc::new(config());
    let handler = DialIntake::new(
        Arc::new(lifeline_app::fakes::PanickingStore),
        Arc::new(clock.clone()),
        config.clone(),
    )
    .with_signature_clock(Arc::new(clock.clone()));
    let body = dial_body("c-1", "a-42", "9-911", Some("US"));
    let resp = handler
        .handle(signed(
            &config.webhook_secret,
            "/calls/outbound",
            &body,
            t0().timestamp(),
        ))
        .await;
    assert_eq!(resp.status(), 200);
    let v = body_json(&resp);
    assert_eq!(
        (
            &v["action"],
            &v["callerId"],
            &v["emergencyNumber"],
            &v["reason"]
        ),
        (
            &json!("emergency"),
            &json!("+14255550100"),
            &json!("911"),
            &json!("internal_error")
        )
    );
}
