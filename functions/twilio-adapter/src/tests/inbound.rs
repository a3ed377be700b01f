//! `/twilio/inbound`: a callback is never stranded (agent, fallbacks, last resort).

use super::*;

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
