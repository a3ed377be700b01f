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
async fn a_callback_rings_the_agent_then_the_last_resort_and_a_free_number_goes_to_normal_handling()
{
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
    let twiml = twiml_of(
        &a.handle(genuine(
            "/twilio/inbound?attempt=1",
            &leg_ended(&leased, "completed"),
        ))
        .await,
    );
    assert!(twiml.contains("<Hangup/>"), "{twiml}");
    // No answer and no fallback: the last resort, even with a continue URL.
    let twiml = twiml_of(
        &a.handle(genuine(
            "/twilio/inbound?attempt=1",
            &leg_ended(&leased, "no-answer"),
        ))
        .await,
    );
    assert_eq!(
        twiml,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say>{HOLD_MESSAGE}</Say><Dial timeout="20" action="{BASE}/twilio/inbound?last=1" method="POST" record="do-not-record"><Number>{LOCAL_LAST_RESORT}</Number></Dial></Response>"#
        )
    );
    // A number nobody holds: straight to normal handling.
    let twiml = twiml_of(
        &a.handle(genuine("/twilio/inbound", &psap_call("+14255550777")))
            .await,
    );
    assert!(
        twiml.contains(r#"<Redirect method="POST">https://tenant.example.com/voice</Redirect>"#),
        "{twiml}"
    );
}

/// The form of a `<Dial action>` request after a leg.
fn leg_ended(to: &str, dial_call_status: &str) -> Form {
    let mut pairs = psap_call(to).pairs().to_vec();
    pairs.push(("DialCallStatus".into(), dial_call_status.into()));
    Form::from_pairs(pairs)
}

/// What every callback answer must be: never `<Reject>`, every `<Dial>`
/// bounded (`timeout=`) and unrecorded, every `<Enqueue>` with a task
/// timeout and an `action` that carries the flow on.
fn assert_never_stranded(twiml: &str) {
    assert!(!twiml.contains("<Reject"), "rejected: {twiml}");
    for dial in twiml.split("<Dial").skip(1) {
        let tag = &dial[..dial.find('>').unwrap_or(dial.len())];
        assert!(tag.contains(r#" timeout=""#), "unbounded <Dial: {twiml}");
        assert!(
            tag.contains(r#" record="do-not-record""#),
            "recorded <Dial: {twiml}"
        );
    }
    for enqueue in twiml.split("<Enqueue").skip(1) {
        let tag = &enqueue[..enqueue.find('>').unwrap_or(enqueue.len())];
        assert!(
            tag.contains(r#" action=""#),
            "<Enqueue without action: {twiml}"
        );
        assert!(
            enqueue.contains(r#"<Task priority="1000" timeout=""#),
            "unbounded task: {twiml}"
        );
    }
    assert!(
        twiml.contains("<Dial")
            || twiml.contains("<Enqueue")
            || twiml.contains("<Redirect")
            || twiml.contains("<Hangup/>"),
        "goes nowhere: {twiml}"
    );
}

#[tokio::test]
async fn an_unanswered_callback_goes_agent_then_fallbacks_then_the_last_resort_never_rejected() {
    let world = World::us(&POOL);
    // The lease takes its fallbacks from the profile: a colleague's client
    // and a desk phone.
    world.store.with_state(|s| {
        s.agents
            .values_mut()
            .for_each(|a| a.fallback = vec!["a-7".into(), "+14255550160".into()])
    });
    let a = adapter(&world, config(&[]));
    let leased = leased_number(&world, &a).await;
    let first = twiml_of(
        &a.handle(genuine("/twilio/inbound", &psap_call(&leased)))
            .await,
    );
    assert_never_stranded(&first);
    assert!(first.contains("<Client>a-42</Client>"), "{first}");
    assert!(first.contains("?attempt=1"), "{first}");
    // Each leg's <Dial action>, unanswered in its own way, moves on by one.
    let legs = [
        (
            "/twilio/inbound?attempt=1",
            "no-answer",
            "<Client>a-7</Client>",
            "?attempt=2",
        ),
        (
            "/twilio/inbound?attempt=2",
            "busy",
            "<Number>+14255550160</Number>",
            "?attempt=3",
        ),
        (
            "/twilio/inbound?attempt=3",
            "failed",
            "<Number>+14255550110</Number>",
            "?last=1",
        ),
        (
            "/twilio/inbound?last=1",
            "no-answer",
            "<Number>+14255550110</Number>",
            "?last=2",
        ),
        (
            "/twilio/inbound?last=2",
            "no-answer",
            "<Number>+14255550110</Number>",
            "?last=3",
        ),
    ];
    for (path, status, rings, next) in legs {
        let twiml = twiml_of(&a.handle(genuine(path, &leg_ended(&leased, status))).await);
        assert_never_stranded(&twiml);
        assert!(twiml.contains(rings), "{path}: {twiml}");
        assert!(
            twiml.contains(&format!(r#"action="{BASE}/twilio/inbound{next}""#)),
            "{path}: {twiml}"
        );
        assert!(twiml.contains(r#"timeout="20""#), "{path}: {twiml}");
        // Answered at this leg instead: the call is over when they hang up.
        let done = twiml_of(
            &a.handle(genuine(path, &leg_ended(&leased, "completed")))
                .await,
        );
        assert!(
            done.contains("<Hangup/>") && !done.contains("<Dial"),
            "{done}"
        );
    }
    // Only the move to the last resort is announced.
    let to_last = twiml_of(
        &a.handle(genuine(
            "/twilio/inbound?attempt=3",
            &leg_ended(&leased, "no-answer"),
        ))
        .await,
    );
    assert!(
        to_last.contains(&format!("<Say>{HOLD_MESSAGE}</Say><Dial")),
        "{to_last}"
    );
    // The last resort's rounds are bounded too: then a message and the end.
    let end = twiml_of(
        &a.handle(genuine(
            "/twilio/inbound?last=3",
            &leg_ended(&leased, "no-answer"),
        ))
        .await,
    );
    assert_never_stranded(&end);
    assert_eq!(
        end,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say>{NOBODY_MESSAGE}</Say><Hangup/></Response>"#
        )
    );
}

#[tokio::test]
async fn a_quarantined_number_goes_to_the_last_resort_not_the_tenants_handler() {
    let world = World::us(&POOL);
    let a = adapter(
        &world,
        config(&[(
            "LIFELINE_TWILIO_CONTINUE_URL",
            "https://tenant.example.com/voice",
        )]),
    );
    let leased = leased_number(&world, &a).await;
    // The call ended long ago; the window is over and the number in quarantine.
    let quarantine = world.config.settings.lease.quarantine;
    let expire = |hold: chrono::DateTime<chrono::Utc>| {
        world.store.with_state(|s| {
            for n in s.numbers.values_mut() {
                if let Some(l) = n.lease.as_mut() {
                    l.active_calls.clear();
                    l.expires_at = hold;
                    l.hold_until = hold;
                }
            }
        })
    };
    let now = world.clock().now();
    expire(now - chrono::Duration::minutes(1));
    for path in ["/twilio/inbound", "/twilio/inbound?attempt=1"] {
        let form = if path.contains('?') {
            leg_ended(&leased, "no-answer")
        } else {
            psap_call(&leased)
        };
        let twiml = twiml_of(&a.handle(genuine(path, &form)).await);
        assert_never_stranded(&twiml);
        assert!(
            twiml.contains(&format!("<Say>{HOLD_MESSAGE}</Say>"))
                && twiml.contains("<Number>+14255550110</Number>")
                && !twiml.contains("<Redirect"),
            "{path}: {twiml}"
        );
    }
    // Past its quarantine the number is free again: the tenant's handler.
    expire(now - quarantine - chrono::Duration::minutes(1));
    let twiml = twiml_of(
        &a.handle(genuine("/twilio/inbound", &psap_call(&leased)))
            .await,
    );
    assert!(twiml.contains("<Redirect"), "{twiml}");
}

#[tokio::test]
async fn an_unleased_number_without_a_continue_url_hears_a_message_then_the_last_resort() {
    let world = World::us(&POOL);
    let a = adapter(&world, config(&[]));
    let twiml = twiml_of(
        &a.handle(genuine("/twilio/inbound", &psap_call("+14255550777")))
            .await,
    );
    assert_never_stranded(&twiml);
    assert_eq!(
        twiml,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say>{HOLD_MESSAGE}</Say><Dial timeout="20" action="{BASE}/twilio/inbound?last=1" method="POST" record="do-not-record"><Number>+14255550110</Number></Dial></Response>"#
        )
    );
    // A supervisor's number set in the configuration, and a longer ring.
    let a = adapter(
        &world,
        config(&[
            (LAST_RESORT_VAR, "+14255550170"),
            ("LIFELINE_TWILIO_RING_SECONDS", "30"),
        ]),
    );
    let twiml = twiml_of(
        &a.handle(genuine("/twilio/inbound", &psap_call("+14255550777")))
            .await,
    );
    assert!(
        twiml.contains(r#"<Dial timeout="30""#) && twiml.contains("<Number>+14255550170</Number>"),
        "{twiml}"
    );
}

#[tokio::test]
async fn a_callback_whose_number_cannot_be_looked_up_goes_to_the_last_resort() {
    let world = World::us(&POOL);
    let a = adapter(
        &world,
        config(&[(
            "LIFELINE_TWILIO_CONTINUE_URL",
            "https://tenant.example.com/voice",
        )]),
    );
    let leased = leased_number(&world, &a).await;
    world.store.set_failing(true);
    for form in [
        psap_call(&leased),
        Form::from_pairs([("To", "not-a-number")]),
    ] {
        let twiml = twiml_of(&a.handle(genuine("/twilio/inbound", &form)).await);
        assert_never_stranded(&twiml);
        assert!(twiml.contains("<Number>+14255550110</Number>"), "{twiml}");
    }
}

#[tokio::test]
async fn the_last_resort_may_be_a_flex_queue() {
    let world = World::us(&POOL);
    let a = adapter(&world, config(&[(LAST_RESORT_VAR, WORKFLOW)]));
    let leased = leased_number(&world, &a).await;
    let twiml = twiml_of(
        &a.handle(genuine(
            "/twilio/inbound?attempt=1",
            &leg_ended(&leased, "no-answer"),
        ))
        .await,
    );
    assert_never_stranded(&twiml);
    assert!(
        twiml.contains(&format!(
            r#"<Say>{HOLD_MESSAGE}</Say><Enqueue workflowSid="{WORKFLOW}" action="{BASE}/twilio/inbound?last=1" method="POST"><Task priority="1000" timeout="120">"#
        )),
        "{twiml}"
    );
    assert!(twiml.contains("&quot;lastResort&quot;:true"), "{twiml}");
    assert!(!twiml.contains("targetWorker"), "{twiml}");
    // A worker took it: done. It left the queue unanswered: another round.
    let after = |result: &str| {
        let mut pairs = psap_call(&leased).pairs().to_vec();
        pairs.push(("QueueResult".into(), result.into()));
        Form::from_pairs(pairs)
    };
    let done = twiml_of(
        &a.handle(genuine("/twilio/inbound?last=1", &after("bridged")))
            .await,
    );
    assert!(done.contains("<Hangup/>"), "{done}");
    let again = twiml_of(
        &a.handle(genuine("/twilio/inbound?last=1", &after("leave")))
            .await,
    );
    assert_never_stranded(&again);
    assert!(again.contains("?last=2"), "{again}");
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
            r#"<Enqueue workflowSid="{WORKFLOW}" action="{BASE}/twilio/inbound?attempt=1" method="POST"><Task priority="1000" timeout="120">"#
        )),
        "{twiml}"
    );
    assert!(
        twiml.contains("&quot;targetWorker&quot;:&quot;client:a-42&quot;"),
        "{twiml}"
    );
    assert_never_stranded(&twiml);
}

#[tokio::test]
async fn with_flex_the_fallbacks_are_tasks_too_then_the_last_resort() {
    let world = World::us(&POOL);
    world.store.with_state(|s| {
        s.agents
            .values_mut()
            .for_each(|a| a.fallback = vec!["a-7".into(), "+14255550160".into()])
    });
    let a = adapter(
        &world,
        config(&[("LIFELINE_TWILIO_FLEX_WORKFLOW_SID", WORKFLOW)]),
    );
    let leased = leased_number(&world, &a).await;
    let left = |result: &str| {
        let mut pairs = psap_call(&leased).pairs().to_vec();
        pairs.push(("QueueResult".into(), result.into()));
        Form::from_pairs(pairs)
    };
    let colleague = twiml_of(
        &a.handle(genuine("/twilio/inbound?attempt=1", &left("leave")))
            .await,
    );
    assert_never_stranded(&colleague);
    assert!(
        colleague.contains("&quot;targetWorker&quot;:&quot;client:a-7&quot;")
            && colleague.contains("?attempt=2"),
        "{colleague}"
    );
    let desk = twiml_of(
        &a.handle(genuine("/twilio/inbound?attempt=2", &left("system-error")))
            .await,
    );
    assert_never_stranded(&desk);
    assert!(desk.contains("<Number>+14255550160</Number>"), "{desk}");
    let last = twiml_of(
        &a.handle(genuine(
            "/twilio/inbound?attempt=3",
            &leg_ended(&leased, "no-answer"),
        ))
        .await,
    );
    assert_never_stranded(&last);
    assert!(last.contains("<Number>+14255550110</Number>"), "{last}");
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
    let required = [
        ("LIFELINE_TWILIO_AUTH_TOKEN", "t0k3n"),
        ("LIFELINE_TWILIO_PUBLIC_URL", "https://api.example.com/"),
    ];
    // No last resort: a callback nobody answers would be stranded.
    let stranding = lambda(&required).unwrap_err();
    assert!(
        matches!(
            stranding,
            TwilioConfigError::Required {
                var: LAST_RESORT_VAR,
                ..
            }
        ),
        "{stranding}"
    );
    assert!(
        stranding
            .to_string()
            .starts_with("LIFELINE_TWILIO_LAST_RESORT must be set on AWS"),
        "{stranding}"
    );
    let with = |k, v| {
        // The first of a name wins: `k` before the default last resort.
        let mut vars = vec![(k, v)];
        vars.extend(required);
        vars.push((LAST_RESORT_VAR, "+14255550170"));
        lambda(&vars)
    };
    assert_eq!(with("X", "").unwrap().public_url, "https://api.example.com");
    let bad = |k, v| with(k, v).unwrap_err().to_string();
    assert!(bad("LIFELINE_TWILIO_CALLER_ID", "12345").contains("LIFELINE_TWILIO_CALLER_ID"));
    assert!(bad("LIFELINE_TWILIO_FLEX_WORKFLOW_SID", "WW123").contains("workflow SID"));
    assert!(bad("LIFELINE_TWILIO_CONTINUE_URL", "http://plain.example.com").contains("https"));
    assert!(bad("LIFELINE_TWILIO_RING_SECONDS", "1").contains("5 to 600"));
    for nonsense in ["12345", "+1", "WW123", "supervisor", "+1 425 555 0170x"] {
        let e = bad(LAST_RESORT_VAR, nonsense);
        assert!(e.starts_with("LIFELINE_TWILIO_LAST_RESORT: "), "{e}");
    }
    assert_eq!(
        with("X", "").unwrap().last_resort,
        LastResort::Number("+14255550170".parse().unwrap())
    );
    assert_eq!(
        with(LAST_RESORT_VAR, WORKFLOW).unwrap().last_resort,
        LastResort::Workflow(WORKFLOW.into())
    );
    assert!(lambda(&[
        ("LIFELINE_TWILIO_AUTH_TOKEN", "t0k3n"),
        ("LIFELINE_TWILIO_PUBLIC_URL", "http://insecure.example.com"),
        (LAST_RESORT_VAR, "+14255550170"),
    ])
    .is_err());
    // Locally everything has a default, the last resort a made-up supervisor line.
    let local = config(&[]);
    assert_eq!(local.public_url, BASE);
    assert_eq!(local.ring_seconds, 20);
    assert_eq!(
        local.last_resort,
        LastResort::Number(LOCAL_LAST_RESORT.parse().unwrap())
    );
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
