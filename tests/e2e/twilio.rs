//! Twilio end to end on the local system: form-encoded voice webhooks with
//! the parameters Twilio sends, signed as Twilio signs them, on the runner's
//! `/twilio/*` routes; TwiML back; the stream's side effects as on AWS.

use lifeline_app::ports::AdminStore;
use lifeline_e2e::{start, start_with, twilio_signature, Local, TWILIO_TOKEN, US_POOL};
use std::time::Duration;
use twilio_adapter::twilio::Form;

/// What a TwiML App's Voice URL gets when agent a-42's Voice SDK dials `to`.
fn voice_sdk_dial<'a>(call_sid: &'a str, to: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("AccountSid", "AC00000000000000000000000000000001"),
        ("ApiVersion", "2010-04-01"),
        ("ApplicationSid", "AP00000000000000000000000000000002"),
        ("CallSid", call_sid),
        ("CallStatus", "ringing"),
        ("Called", ""),
        ("Caller", "client:a-42"),
        ("Direction", "inbound"),
        ("From", "client:a-42"),
        ("To", to),
        ("CallerId", "+14255550100"),
        ("Country", "US"),
    ]
}

fn psap_callback<'a>(call_sid: &'a str, to: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("AccountSid", "AC00000000000000000000000000000001"),
        ("CallSid", call_sid),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
        ("From", "+12065550911"),
        ("To", to),
    ]
}

fn leased_in(twiml: &str) -> String {
    US_POOL
        .iter()
        .find(|n| twiml.contains(&format!(r#"callerId="{n}""#)))
        .unwrap_or_else(|| panic!("no leased caller id in {twiml}"))
        .to_string()
}

async fn post(l: &Local, path: &str, params: &[(&str, &str)]) -> String {
    let r = l.twilio(path, params, TWILIO_TOKEN, &l.base).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    assert_eq!(r.content_type, "text/xml");
    r.text
}

#[tokio::test]
async fn emergency_callback_and_end_through_twilios_webhooks() {
    let l = start(3).await;
    let sid = "CA0123456789abcdef0123456789abcdef";
    let twiml = post(&l, "/twilio/outbound", &voice_sdk_dial(sid, "9-911")).await;
    let leased = leased_in(&twiml);
    assert_eq!(
        twiml,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial callerId="{leased}" record="do-not-record" action="{}/twilio/status" method="POST"><Number>911</Number></Dial></Response>"#,
            l.base
        )
    );
    l.wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;

    // The PSAP calls back: the agent's client rings first.
    let cb = post(&l, "/twilio/inbound", &psap_callback("CAcb01", &leased)).await;
    assert!(cb.contains("<Client>a-42</Client>"), "{cb}");
    assert!(
        cb.contains(&format!(r#"action="{}/twilio/inbound?attempt=1""#, l.base)),
        "{cb}"
    );

    // The emergency call's <Dial action>: the call is over. Twilio may retry.
    let mut status = voice_sdk_dial(sid, "9-911");
    status.push(("DialCallStatus", "completed"));
    status.push(("DialCallDuration", "712"));
    for _ in 0..2 {
        let twiml = post(&l, "/twilio/status", &status).await;
        assert!(twiml.contains("<Hangup/>"), "{twiml}");
    }
    l.wait_for_status("a-42", "available", Duration::from_secs(10))
        .await;
    // Within the callback window after the end, callbacks still reach the agent.
    let cb = post(&l, "/twilio/inbound", &psap_callback("CAcb02", &leased)).await;
    assert!(cb.contains("<Client>a-42</Client>"), "{cb}");
}

#[tokio::test]
async fn ordinary_dials_keep_the_agents_caller_id_without_any_aws_call() {
    let l = start(1).await;
    l.calls.reset();
    let twiml = post(
        &l,
        "/twilio/outbound",
        &voice_sdk_dial("CA02", "+1 425 555 0123"),
    )
    .await;
    assert_eq!(
        twiml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial callerId="+14255550100"><Number>+1 425 555 0123</Number></Dial></Response>"#
    );
    assert_eq!(l.calls.total(), 0, "{:?}", l.calls.snapshot());
}

#[tokio::test]
async fn signatures_refuse_wrong_token_altered_parameters_and_wrong_url() {
    let l = start(1).await;
    let params = voice_sdk_dial("CA03", "+14255550123");
    let ok = l
        .twilio("/twilio/outbound", &params, TWILIO_TOKEN, &l.base)
        .await;
    assert_eq!(ok.status, 200);
    let wrong_token = l
        .twilio("/twilio/outbound", &params, "not-the-token", &l.base)
        .await;
    assert_eq!(wrong_token.status, 401);
    assert_eq!(wrong_token.content_type, "application/problem+json");
    let wrong_url = l
        .twilio(
            "/twilio/outbound",
            &params,
            TWILIO_TOKEN,
            "https://lifeline.example.com",
        )
        .await;
    assert_eq!(wrong_url.status, 401);
    // Altered: signed for one number, sent with another (the signature of
    // the original request on a changed body).
    let sig = twilio_signature("/twilio/outbound", &params, TWILIO_TOKEN, &l.base);
    let altered = Form::from_pairs(voice_sdk_dial("CA03", "+14255550124"));
    let resp = l
        .twilio_post("/twilio/outbound", altered.to_body(), &sig)
        .await;
    assert_eq!(resp.status, 401);
    // Inbound and status are refused the same way.
    let r = l
        .twilio(
            "/twilio/inbound",
            &psap_callback("CA04", US_POOL[0]),
            "x",
            &l.base,
        )
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn a_bad_signature_never_blocks_an_emergency_dial_and_records_nothing() {
    let l = start(1).await;
    l.calls.reset();
    let r = l
        .twilio(
            "/twilio/outbound",
            &voice_sdk_dial("CA05", "911"),
            "rotated-token",
            &l.base,
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(
        r.text.contains(
            r#"<Dial callerId="+14255550100" record="do-not-record"><Number>911</Number>"#
        ),
        "{}",
        r.text
    );
    assert_eq!(l.calls.total(), 0);
}

#[tokio::test]
async fn callbacks_to_numbers_nobody_holds_go_to_the_tenants_handler() {
    let l = start_with(
        1,
        &[(
            "LIFELINE_TWILIO_CONTINUE_URL",
            "https://tenant.example.com/voice",
        )],
    )
    .await;
    let twiml = post(&l, "/twilio/inbound", &psap_callback("CA06", US_POOL[0])).await;
    assert!(
        twiml.contains(r#"<Redirect method="POST">https://tenant.example.com/voice</Redirect>"#),
        "{twiml}"
    );
}

/// Every answer on a callback's path: never `<Reject>`, every `<Dial>`
/// bounded and unrecorded.
fn assert_never_stranded(twiml: &str) {
    assert!(!twiml.contains("<Reject"), "{twiml}");
    for dial in twiml.split("<Dial").skip(1) {
        let tag = &dial[..dial.find('>').unwrap_or(dial.len())];
        assert!(tag.contains(r#" timeout="20""#), "unbounded: {twiml}");
        assert!(
            tag.contains(r#" record="do-not-record""#),
            "recorded: {twiml}"
        );
    }
}

/// A `<Dial action>` request after a callback leg ended with `status`.
fn leg_ended<'a>(call_sid: &'a str, to: &'a str, status: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut params = psap_callback(call_sid, to);
    params.retain(|(k, _)| *k != "CallStatus");
    params.extend([
        ("CallStatus", "in-progress"),
        ("DialCallStatus", status),
        ("DialCallDuration", "0"),
    ]);
    params
}

#[tokio::test]
async fn an_unanswered_callback_goes_agent_then_fallback_then_the_last_resort() {
    let supervisor = "+14255550170";
    let l = start_with(2, &[("LIFELINE_TWILIO_LAST_RESORT", supervisor)]).await;
    // a-42's fallback: a colleague's client (the lease copies it at the dial).
    let mut ana = l
        .store
        .get_agent(&"a-42".parse().expect("id"))
        .await
        .expect("read")
        .expect("a-42");
    ana.fallback = vec!["a-43".into()];
    l.store.put_agent(&ana).await.expect("fallback");

    let sid = "CA0123456789abcdef0123456789abcd10";
    let leased = leased_in(&post(&l, "/twilio/outbound", &voice_sdk_dial(sid, "911")).await);
    // The emergency call drops (its <Dial action>): the callback window runs.
    let mut ended = voice_sdk_dial(sid, "911");
    ended.push(("DialCallStatus", "completed"));
    assert!(post(&l, "/twilio/status", &ended)
        .await
        .contains("<Hangup/>"));

    // The PSAP calls back: the agent rings first, for a bounded time.
    let cb = "CAcb10";
    let agent = post(&l, "/twilio/inbound", &psap_callback(cb, &leased)).await;
    assert_never_stranded(&agent);
    assert!(agent.contains("<Client>a-42</Client>"), "{agent}");
    assert!(
        agent.contains(&format!(r#"action="{}/twilio/inbound?attempt=1""#, l.base)),
        "{agent}"
    );
    // No answer: the fallback.
    let fallback = post(
        &l,
        "/twilio/inbound?attempt=1",
        &leg_ended(cb, &leased, "no-answer"),
    )
    .await;
    assert_never_stranded(&fallback);
    assert!(fallback.contains("<Client>a-43</Client>"), "{fallback}");
    assert!(
        fallback.contains(&format!(r#"action="{}/twilio/inbound?attempt=2""#, l.base)),
        "{fallback}"
    );
    // No answer there either: a word to the caller, then the supervisor.
    let last = post(
        &l,
        "/twilio/inbound?attempt=2",
        &leg_ended(cb, &leased, "no-answer"),
    )
    .await;
    assert_never_stranded(&last);
    assert_eq!(
        last,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say>Please hold while we connect you.</Say><Dial timeout="20" action="{}/twilio/inbound?last=1" method="POST" record="do-not-record"><Number>{supervisor}</Number></Dial></Response>"#,
            l.base
        )
    );
    // The supervisor answers: when they hang up, the call is over.
    let done = post(
        &l,
        "/twilio/inbound?last=1",
        &leg_ended(cb, &leased, "completed"),
    )
    .await;
    assert!(
        done.contains("<Hangup/>") && !done.contains("<Dial"),
        "{done}"
    );

    // A number nobody holds, and no continue URL: a word, then the supervisor.
    let free = US_POOL[..2]
        .iter()
        .find(|n| **n != leased)
        .expect("a free number");
    let twiml = post(&l, "/twilio/inbound", &psap_callback("CAcb11", free)).await;
    assert_never_stranded(&twiml);
    assert!(
        twiml.contains("<Say>") && twiml.contains(&format!("<Number>{supervisor}</Number>")),
        "{twiml}"
    );
}

#[tokio::test]
async fn a_dial_without_a_caller_id_still_gets_a_callback_number() {
    let l = start(1).await;
    let mut params = voice_sdk_dial("CA0123456789abcdef0123456789abcd11", "9-911");
    params.retain(|(k, _)| *k != "CallerId");
    let twiml = post(&l, "/twilio/outbound", &params).await;
    let leased = leased_in(&twiml);
    assert_eq!(leased, US_POOL[0]);
    // Recorded as any other: Do Not Disturb follows from the table's stream.
    l.wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;
}

#[tokio::test]
async fn with_flex_the_callback_is_a_task_for_the_agents_worker() {
    let l = start_with(
        2,
        &[(
            "LIFELINE_TWILIO_FLEX_WORKFLOW_SID",
            "WW0123456789abcdef0123456789abcdef",
        )],
    )
    .await;
    let leased = leased_in(&post(&l, "/twilio/outbound", &voice_sdk_dial("CA07", "911")).await);
    let twiml = post(&l, "/twilio/inbound", &psap_callback("CA08", &leased)).await;
    assert!(
        twiml.contains(&format!(
            r#"<Enqueue workflowSid="WW0123456789abcdef0123456789abcdef" action="{}/twilio/inbound?attempt=1" method="POST"><Task priority="1000" timeout="120">"#,
            l.base
        )),
        "{twiml}"
    );
    assert!(twiml.contains("client:a-42"), "{twiml}");
}
