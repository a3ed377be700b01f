use super::*;
use lifeline_app::fakes::MemoryStore;
use lifeline_edge::fixtures::World;
use lifeline_edge::http::WebhookHandler;
use serde_json::Value;

const POOL: [&str; 2] = ["+14255550190", "+14255550191"];
const BASE: &str = "http://127.0.0.1:3000";
const WORKFLOW: &str = "WW0123456789abcdef0123456789abcdef";

fn config(extra: &[(&str, &str)]) -> TwilioConfig {
    TwilioConfig::from_lookup(Mode::Local, |k| {
        extra
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
    .unwrap()
}

fn adapter(world: &World, twilio: TwilioConfig) -> TwilioAdapter<MemoryStore> {
    TwilioAdapter::new(
        world.store.clone(),
        world.clock(),
        world.config.clone(),
        twilio,
    )
}

fn sample(name: &str) -> Value {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The sample's API Gateway event as lambda_http hands it to the handler.
fn from_event(event: Value) -> Request {
    let req: lambda_http::request::LambdaRequest = serde_json::from_value(event).unwrap();
    req.into()
}

/// A request as Twilio sends it: form body, signed for `url` with `token`.
fn signed(path_and_query: &str, form: &Form, token: &str, url_base: &str) -> Request {
    let token = TwilioAuthToken::new(token).unwrap();
    let sig = twilio::expected_signature(&token, &format!("{url_base}{path_and_query}"), form);
    let mut req = Request::new(Body::Text(form.to_body()));
    *req.method_mut() = http::Method::POST;
    *req.uri_mut() = path_and_query.parse().unwrap();
    req.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    req.headers_mut().insert(
        twilio::SIGNATURE_HEADER,
        http::HeaderValue::from_str(&sig).unwrap(),
    );
    req
}

/// A genuine request: signed with the local token for the local base URL.
fn genuine(path_and_query: &str, form: &Form) -> Request {
    signed(path_and_query, form, "local-twilio-token", BASE)
}

fn body(resp: &Response<Body>) -> String {
    match resp.body() {
        Body::Text(t) => t.clone(),
        Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    }
}

fn twiml_of(resp: &Response<Body>) -> String {
    assert_eq!(resp.status(), 200, "{}", body(resp));
    assert_eq!(resp.headers()["content-type"], "text/xml");
    body(resp)
}

fn dial_form(call_sid: &str, to: &str) -> Form {
    Form::from_pairs([
        ("CallSid", call_sid),
        ("From", "client:a-42"),
        ("To", to),
        ("CallerId", "+14255550100"),
        ("Country", "US"),
    ])
}

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
    let adapter = TwilioAdapter::new(
        Arc::new(lifeline_app::fakes::PanickingStore),
        world.clock(),
        world.config.clone(),
        config(&[]),
    );
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

#[tokio::test]
async fn signatures_are_checked_as_twilio_signs() {
    let world = World::us(&POOL);
    let a = adapter(&world, config(&[]));
    let form = dial_form("CA2", "+14255550123");
    // Valid.
    let ok = a.handle(genuine("/twilio/outbound", &form)).await;
    assert_eq!(ok.status(), 200);
    // Wrong token.
    let resp = a
        .handle(signed("/twilio/outbound", &form, "another-token", BASE))
        .await;
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    // A parameter altered after signing.
    let mut req = genuine("/twilio/outbound", &form);
    *req.body_mut() = Body::Text(dial_form("CA2", "+14255550124").to_body());
    assert_eq!(a.handle(req).await.status(), 401);
    // Signed for another URL.
    let req = signed(
        "/twilio/outbound",
        &form,
        "local-twilio-token",
        "https://elsewhere.example.com",
    );
    assert_eq!(a.handle(req).await.status(), 401);
    // No signature.
    let mut req = genuine("/twilio/outbound", &form);
    req.headers_mut().remove(twilio::SIGNATURE_HEADER);
    assert_eq!(a.handle(req).await.status(), 401);
    assert_eq!(world.store.reads() + world.store.writes(), 0);
}

#[tokio::test]
async fn an_emergency_dial_with_a_bad_signature_is_placed_but_not_recorded() {
    let world = World::us(&POOL);
    let a = adapter(&world, config(&[]));
    let form = dial_form("CA3", "911");
    let twiml = twiml_of(
        &a.handle(signed("/twilio/outbound", &form, "rotated-token", BASE))
            .await,
    );
    assert!(
        twiml.contains(
            r#"<Dial callerId="+14255550100" record="do-not-record"><Number>911</Number>"#
        ),
        "{twiml}"
    );
    assert_eq!(world.store.reads() + world.store.writes(), 0);
    // Other routes are simply refused.
    let status = Form::from_pairs([
        ("CallSid", "CA3"),
        ("From", "client:a-42"),
        ("DialCallStatus", "completed"),
    ]);
    assert_eq!(
        a.handle(signed("/twilio/status", &status, "rotated-token", BASE))
            .await
            .status(),
        401
    );
}

async fn leased_number(world: &World, a: &TwilioAdapter<MemoryStore>) -> String {
    let twiml = twiml_of(&a.handle(from_event(sample("twilio-outbound.json"))).await);
    POOL.iter()
        .find(|n| twiml.contains(&format!(r#"callerId="{n}""#)))
        .map(|n| n.to_string())
        .unwrap_or_else(|| panic!("{twiml} ({} writes)", world.store.writes()))
}

fn psap_call(to: &str) -> Form {
    Form::from_pairs([("CallSid", "CA9"), ("From", "+12065550911"), ("To", to)])
}

#[tokio::test]
async fn a_callback_rings_the_agent_then_falls_through_to_normal_handling() {
    let world = World::us(&POOL);
    let a = adapter(
        &world,
        config(&[(
            "LIFELINE_TWILIO_CONTINUE_URL",
            "https://tenant.example.com/voice",
        )]),
    );
    let leased = leased_number(&world, &a).await;
    let twiml = twiml_of(
        &a.handle(genuine("/twilio/inbound", &psap_call(&leased)))
            .await,
    );
    assert_eq!(
        twiml,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial timeout="20" action="{BASE}/twilio/inbound?attempt=1" method="POST" record="do-not-record"><Client>a-42</Client></Dial></Response>"#
        )
    );
    // The agent answered: the call is over when they hang up.
    let mut done = psap_call(&leased).pairs().to_vec();
    done.push(("DialCallStatus".into(), "completed".into()));
    let twiml = twiml_of(
        &a.handle(genuine(
            "/twilio/inbound?attempt=1",
            &Form::from_pairs(done),
        ))
        .await,
    );
    assert!(twiml.contains("<Hangup/>"), "{twiml}");
    // No answer and no fallback: the tenant's normal handling.
    let mut missed = psap_call(&leased).pairs().to_vec();
    missed.push(("DialCallStatus".into(), "no-answer".into()));
    let twiml = twiml_of(
        &a.handle(genuine(
            "/twilio/inbound?attempt=1",
            &Form::from_pairs(missed),
        ))
        .await,
    );
    assert!(
        twiml.contains(r#"<Redirect method="POST">https://tenant.example.com/voice</Redirect>"#),
        "{twiml}"
    );
    // A number nobody holds: straight to normal handling.
    let twiml = twiml_of(
        &a.handle(genuine("/twilio/inbound", &psap_call("+14255550777")))
            .await,
    );
    assert!(twiml.contains("<Redirect"), "{twiml}");
}

#[tokio::test]
async fn without_a_continue_url_an_unleased_number_rejects() {
    let world = World::us(&POOL);
    let a = adapter(&world, config(&[]));
    let twiml = twiml_of(
        &a.handle(genuine("/twilio/inbound", &psap_call("+14255550777")))
            .await,
    );
    assert!(twiml.contains("<Reject/>"), "{twiml}");
}

#[tokio::test]
async fn with_flex_a_callback_is_a_top_priority_task_for_the_agents_worker() {
    let world = World::us(&POOL);
    let a = adapter(
        &world,
        config(&[("LIFELINE_TWILIO_FLEX_WORKFLOW_SID", WORKFLOW)]),
    );
    let leased = leased_number(&world, &a).await;
    let twiml = twiml_of(
        &a.handle(genuine("/twilio/inbound", &psap_call(&leased)))
            .await,
    );
    assert!(
        twiml.contains(&format!(
            r#"<Enqueue workflowSid="{WORKFLOW}"><Task priority="1000""#
        )),
        "{twiml}"
    );
    assert!(
        twiml.contains("&quot;targetWorker&quot;:&quot;client:a-42&quot;"),
        "{twiml}"
    );
}

#[tokio::test]
async fn the_status_callback_ends_the_emergency_call_once() {
    let world = World::us(&POOL);
    let a = adapter(&world, config(&[]));
    leased_number(&world, &a).await;
    let twiml = twiml_of(&a.handle(from_event(sample("twilio-status.json"))).await);
    assert!(twiml.contains("<Hangup/>"));
    let ended = |w: &World| {
        w.store
            .with_state(|s| s.calls.values().filter(|c| c.ended_at.is_some()).count())
    };
    assert_eq!(ended(&world), 1);
    let writes = world.store.writes();
    // Redelivered: nothing changes.
    twiml_of(&a.handle(from_event(sample("twilio-status.json"))).await);
    assert_eq!(world.store.writes(), writes);
    assert_eq!(ended(&world), 1);
}

#[tokio::test]
async fn a_status_callback_that_cannot_be_recorded_asks_for_a_retry() {
    let world = World::us(&POOL);
    let a = adapter(&world, config(&[]));
    leased_number(&world, &a).await;
    world.store.set_failing(true);
    let resp = a.handle(from_event(sample("twilio-status.json"))).await;
    assert_eq!(resp.status(), 503);
    // Ringing/in-progress status callbacks end nothing.
    world.store.set_failing(false);
    let progress = Form::from_pairs([
        ("CallSid", "CA7"),
        ("From", "client:a-42"),
        ("CallStatus", "in-progress"),
    ]);
    let writes = world.store.writes();
    twiml_of(&a.handle(genuine("/twilio/status", &progress)).await);
    assert_eq!(world.store.writes(), writes);
}

#[test]
fn configuration_is_validated_once() {
    let lambda = |vars: &[(&str, &str)]| {
        TwilioConfig::from_lookup(Mode::Lambda, |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    };
    assert!(matches!(
        lambda(&[]),
        Err(TwilioConfigError::Missing("LIFELINE_TWILIO_AUTH_TOKEN"))
    ));
    let base = [("LIFELINE_TWILIO_AUTH_TOKEN", "t0k3n")];
    assert!(matches!(
        lambda(&base),
        Err(TwilioConfigError::Missing("LIFELINE_TWILIO_PUBLIC_URL"))
    ));
    let with = |k, v| {
        let mut vars = base.to_vec();
        vars.push(("LIFELINE_TWILIO_PUBLIC_URL", "https://api.example.com/"));
        vars.push((k, v));
        lambda(&vars)
    };
    assert_eq!(with("X", "").unwrap().public_url, "https://api.example.com");
    let bad = |k, v| with(k, v).unwrap_err().to_string();
    assert!(bad("LIFELINE_TWILIO_CALLER_ID", "12345").contains("LIFELINE_TWILIO_CALLER_ID"));
    assert!(bad("LIFELINE_TWILIO_FLEX_WORKFLOW_SID", "WW123").contains("workflow SID"));
    assert!(bad("LIFELINE_TWILIO_CONTINUE_URL", "http://plain.example.com").contains("https"));
    assert!(bad("LIFELINE_TWILIO_RING_SECONDS", "1").contains("5 to 600"));
    assert!(lambda(&[
        ("LIFELINE_TWILIO_AUTH_TOKEN", "t0k3n"),
        ("LIFELINE_TWILIO_PUBLIC_URL", "http://insecure.example.com")
    ])
    .is_err());
    // Locally everything has a default.
    let local = config(&[]);
    assert_eq!(local.public_url, BASE);
    assert_eq!(local.ring_seconds, 20);
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

/// The auth token not read yet (Secrets Manager down at cold start): an
/// emergency dial is placed as dialed, unrecorded; anything else is refused;
/// once the refresher fills the shared token, requests verify again.
#[tokio::test]
async fn until_the_token_is_read_emergency_dials_fail_open_and_the_rest_is_refused() {
    let world = World::us(&POOL);
    let token = TwilioAuthToken::unset();
    let twilio =
        TwilioConfig::from_lookup_with_token(Mode::Local, |_| None, token.clone()).unwrap();
    let a = adapter(&world, twilio);
    let twiml = twiml_of(&a.handle(from_event(sample("twilio-outbound.json"))).await);
    assert!(
        twiml.contains(r#"<Dial callerId="+14255550100" record="do-not-record""#),
        "{twiml}"
    );
    assert_eq!(
        world.store.writes(),
        0,
        "nothing recorded without a verified request"
    );
    let ordinary = a
        .handle(from_event(sample("twilio-outbound-ordinary.json")))
        .await;
    assert_eq!(ordinary.status(), 401, "{}", body(&ordinary));

    lifeline_edge::secret::SecretSlot::fill(&token, "local-twilio-token", None).unwrap();
    let twiml = twiml_of(&a.handle(from_event(sample("twilio-outbound.json"))).await);
    assert!(
        POOL.iter()
            .any(|n| twiml.contains(&format!(r#"callerId="{n}""#))),
        "{twiml}"
    );
}
