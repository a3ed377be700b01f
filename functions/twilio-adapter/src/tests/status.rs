//! `/twilio/status`: an emergency call's end, recorded once.

use super::*;

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

/// The core could not answer (a panic below the dial): the call went out
/// with the agent's own number, and the `<Dial action>` says to report it.
#[tokio::test]
async fn a_fail_open_dial_asks_its_end_to_report_the_caller_id() {
    let world = World::us(&POOL);
    let adapter = panicking_adapter(&world);
    let form = Form::from_pairs([
        ("CallSid", "CA-open"),
        ("From", "client:a-42"),
        ("To", "9-911"),
        ("CallerId", "+14255550100"),
    ]);
    let twiml = twiml_of(&adapter.handle(genuine("/twilio/outbound", &form)).await);
    assert!(
        twiml.contains("/twilio/status?presented=fail_open&amp;callerId=%2B14255550100"),
        "{twiml}"
    );
}

/// That end, for a call the core never recorded: the call is recorded with
/// the number the PSAP saw (so the e-mail follows), then ended.
#[tokio::test]
async fn the_end_of_a_fail_open_records_what_the_psap_saw_then_ends_it() {
    let world = World::us(&POOL);
    let a = adapter(&world, config(&[]));
    let done = Form::from_pairs([
        ("CallSid", "CA-open"),
        ("From", "client:a-42"),
        ("To", "9-911"),
        ("DialCallStatus", "completed"),
    ]);
    let path = crate::outbound::report_path(&"+14255550100".parse().unwrap());
    twiml_of(&a.handle(genuine(&path, &done)).await);
    let id: lifeline_domain::types::CallId = "CA-open".parse().unwrap();
    let call = world
        .store
        .with_state(|s| s.calls.get(&id).cloned())
        .expect("recorded from the report");
    assert_eq!(call.caller_id.as_str(), "+14255550100");
    assert_eq!(
        call.reason,
        Some(lifeline_domain::degraded::DegradedReason::PlatformFailOpen)
    );
    assert!(call.ended_at.is_some(), "and ended: {call:?}");
    // Without the report's query, an unknown call's end writes nothing.
    let other = Form::from_pairs([
        ("CallSid", "CA-other"),
        ("From", "client:a-42"),
        ("To", "9-911"),
        ("DialCallStatus", "completed"),
    ]);
    twiml_of(&a.handle(genuine("/twilio/status", &other)).await);
    let other_id: lifeline_domain::types::CallId = "CA-other".parse().unwrap();
    assert!(world.store.with_state(|s| !s.calls.contains_key(&other_id)));
}
