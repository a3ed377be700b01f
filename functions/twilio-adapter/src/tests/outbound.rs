//! `/twilio/outbound`: the agent's dial, placed whatever happens.

use super::*;

#[tokio::test]
async fn an_emergency_dial_is_placed_from_the_leased_number_unrecorded() {
    let world = World::us(&POOL);
    let twiml = twiml_of(
        &adapter(&world, config(&[]))
            .handle(from_event(sample("twilio-outbound.json")))
            .await,
    );
    let leased = POOL
        .iter()
        .find(|n| twiml.contains(&format!(r#"callerId="{n}""#)))
        .unwrap_or_else(|| panic!("no pool number in {twiml}"));
    assert_eq!(
        twiml,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial callerId="{leased}" record="do-not-record" action="{BASE}/twilio/status" method="POST"><Number>911</Number></Dial></Response>"#
        )
    );
    assert!(world.store.writes() > 0, "the call and lease are recorded");
}

#[tokio::test]
async fn an_ordinary_dial_gets_the_normal_caller_id_and_no_aws_call() {
    let world = World::us(&POOL);
    let twiml = twiml_of(
        &adapter(&world, config(&[]))
            .handle(from_event(sample("twilio-outbound-ordinary.json")))
            .await,
    );
    assert_eq!(
        twiml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial callerId="+14255550100"><Number>+14255550123</Number></Dial></Response>"#
    );
    assert_eq!(world.store.reads() + world.store.writes(), 0);
}

#[tokio::test]
async fn store_down_still_places_the_emergency_call_from_the_agents_number() {
    let world = World::us(&POOL);
    world.store.set_failing(true);
    let twiml = twiml_of(
        &adapter(&world, config(&[]))
            .handle(from_event(sample("twilio-outbound.json")))
            .await,
    );
    assert!(
        twiml.contains(r#"<Dial callerId="+14255550100" record="do-not-record""#),
        "{twiml}"
    );
    assert!(twiml.contains("<Number>911</Number>"), "{twiml}");
}

#[tokio::test]
async fn a_panic_below_the_dial_still_places_the_emergency_call() {
    let world = World::us(&POOL);
    let adapter = panicking_adapter(&world);
    let twiml = twiml_of(
        &adapter
            .handle(from_event(sample("twilio-outbound.json")))
            .await,
    );
    assert!(twiml.contains("<Number>911</Number>"), "{twiml}");
    assert!(twiml.contains(r#"record="do-not-record""#), "{twiml}");
}

#[tokio::test]
async fn a_dial_missing_what_lifeline_needs_fails_open() {
    let world = World::us(&POOL);
    let a = adapter(&world, config(&[]));
    // Not a client: identity (a SIP endpoint, say), no caller id configured.
    let form = Form::from_pairs([
        ("CallSid", "CA1"),
        ("From", "sip:x@example.com"),
        ("To", "+1911"),
    ]);
    let twiml = twiml_of(&a.handle(genuine("/twilio/outbound", &form)).await);
    assert_eq!(
        twiml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial record="do-not-record"><Number>911</Number></Dial></Response>"#
    );
    assert_eq!(world.store.writes(), 0);
    // An unreadable body naming an emergency number is still placed.
    let mut req = genuine("/twilio/outbound", &form);
    *req.body_mut() = Body::Binary(b"To=911&Bad=%FF%FE".to_vec());
    assert!(twiml_of(&a.handle(req).await).contains("<Number>911</Number>"));
}

#[test]
fn the_voice_sdk_dial_translates_onto_the_canonical_dial() {
    let form = Form::parse(
        sample("twilio-outbound.json")["body"]
            .as_str()
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let r = outbound_request(&form, None);
    let d = r.dial.unwrap();
    assert_eq!(d.call_id.as_str(), format!("CA{}", "a".repeat(32)));
    assert_eq!(d.agent_id.as_str(), "a-42");
    assert_eq!(d.dialed, "9-911");
    assert_eq!(d.from.as_str(), "+14255550100");
    assert_eq!(
        d.location.unwrap().address.as_deref(),
        Some("1 Main St, Redmond WA")
    );
    // The configured caller id when the desktop sends none.
    let bare = Form::from_pairs([("CallSid", "CA1"), ("From", "client:a-42"), ("To", "+1911")]);
    let default: E164 = "+14255550999".parse().unwrap();
    let r = outbound_request(&bare, Some(&default));
    assert_eq!(r.dialed, "911");
    assert_eq!(r.dial.unwrap().from, default);
}

/// A Voice SDK dial of `to` that carries no `CallerId` parameter.
fn dial_without_caller_id(call_sid: &str, to: &str) -> Form {
    Form::from_pairs([
        ("CallSid", call_sid),
        ("From", "client:a-42"),
        ("To", to),
        ("Country", "US"),
    ])
}

fn recorded(world: &World, call_sid: &str) -> lifeline_domain::call::EmergencyCall {
    world
        .store
        .with_state(|s| {
            s.calls
                .values()
                .find(|c| c.call_id.as_str() == call_sid)
                .cloned()
        })
        .unwrap_or_else(|| panic!("{call_sid} not recorded"))
}

#[tokio::test]
async fn without_a_caller_id_the_agents_own_number_comes_from_the_profile() {
    const OWN: &str = "+14255550163";
    let own_number = |world: &World| {
        world.store.with_state(|s| {
            s.agents
                .values_mut()
                .for_each(|a| a.source_number = OWN.parse().unwrap())
        })
    };
    // The core runs as with a CallerId: a lease, a record, the leased caller ID.
    let world = World::us(&POOL);
    own_number(&world);
    let a = adapter(&world, config(&[]));
    let twiml = twiml_of(
        &a.handle(genuine(
            "/twilio/outbound",
            &dial_without_caller_id("CA10", "911"),
        ))
        .await,
    );
    let leased = POOL
        .iter()
        .find(|n| {
            twiml.contains(&format!(
                r#"<Dial callerId="{n}" record="do-not-record" action="{BASE}/twilio/status""#
            ))
        })
        .unwrap_or_else(|| panic!("no leased caller ID in {twiml}"));
    let call = recorded(&world, "CA10");
    assert_eq!(call.leased_number.as_ref().map(E164::as_str), Some(*leased));
    assert!(!call.degraded, "{call:?}");
    // Without a number to lease, the profile's number is the dial's `from`:
    // presented, and named by the (degraded) record.
    let world = World::us(&[]);
    own_number(&world);
    let a = adapter(&world, config(&[]));
    let twiml = twiml_of(
        &a.handle(genuine(
            "/twilio/outbound",
            &dial_without_caller_id("CA11", "9-911"),
        ))
        .await,
    );
    assert!(
        twiml.contains(&format!(r#"<Dial callerId="{OWN}" record="do-not-record""#)),
        "{twiml}"
    );
    let call = recorded(&world, "CA11");
    assert_eq!(call.caller_id.as_str(), OWN);
    assert!(call.degraded);
    assert_eq!(
        call.reason
            .map(lifeline_domain::degraded::DegradedReason::as_str),
        Some("no_pool"),
        "an empty pool"
    );
    // An ordinary call without a caller ID reads nothing.
    let world = World::us(&POOL);
    let a = adapter(&world, config(&[]));
    let twiml = twiml_of(
        &a.handle(genuine(
            "/twilio/outbound",
            &dial_without_caller_id("CA12", "+14255550123"),
        ))
        .await,
    );
    assert!(
        twiml.contains("<Dial><Number>+14255550123</Number>"),
        "{twiml}"
    );
    assert_eq!(world.store.reads() + world.store.writes(), 0);
}

#[tokio::test]
async fn without_a_caller_id_or_a_profile_the_call_still_goes_through_the_core() {
    let no_profile = |pool: &[&str]| {
        let world = World::us(pool);
        world.store.with_state(|s| s.agents.clear());
        world
    };
    // A callback number is a caller ID Twilio accepts: leased and presented.
    let world = no_profile(&POOL);
    let a = adapter(&world, config(&[]));
    let twiml = twiml_of(
        &a.handle(genuine(
            "/twilio/outbound",
            &dial_without_caller_id("CA20", "911"),
        ))
        .await,
    );
    assert!(
        POOL.iter()
            .any(|n| twiml.contains(&format!(r#"callerId="{n}""#))),
        "{twiml}"
    );
    assert_eq!(
        recorded(&world, "CA20")
            .reason
            .map(lifeline_domain::degraded::DegradedReason::as_str),
        Some("agent_profile_missing")
    );
    // Nothing to lease either: the fail-open answer (placed, no caller ID to
    // present, never recorded by Twilio) and the degraded record, which the
    // e-mail and Do Not Disturb follow.
    let world = no_profile(&[]);
    let a = adapter(&world, config(&[]));
    let twiml = twiml_of(
        &a.handle(genuine(
            "/twilio/outbound",
            &dial_without_caller_id("CA21", "911"),
        ))
        .await,
    );
    assert_eq!(
        twiml,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial record="do-not-record" action="{BASE}/twilio/status" method="POST"><Number>911</Number></Dial></Response>"#
        )
    );
    let call = recorded(&world, "CA21");
    assert!(call.degraded, "{call:?}");
    assert_eq!(call.caller_id.as_str(), NO_CALLER_ID);
    assert_eq!(call.agent_id.as_str(), "a-42");
    // The table down as well: placed, and the call goes to the outbox, to be
    // recorded (and e-mailed) later.
    let world = no_profile(&POOL);
    world.store.set_failing(true);
    let outbox = Arc::new(lifeline_app::fakes::MemoryCallOutbox::default());
    let a = adapter(&world, config(&[])).with_outbox(outbox.clone());
    let twiml = twiml_of(
        &a.handle(genuine(
            "/twilio/outbound",
            &dial_without_caller_id("CA22", "911"),
        ))
        .await,
    );
    assert!(
        twiml.contains(r#"<Dial record="do-not-record""#) && twiml.contains("<Number>911</Number>"),
        "{twiml}"
    );
    let kept = outbox.sent();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].degraded);
    assert_eq!(kept[0].call_id.as_str(), "CA22");
    assert_eq!(kept[0].caller_id.as_str(), NO_CALLER_ID);
}
