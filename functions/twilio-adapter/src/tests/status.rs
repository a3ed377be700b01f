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
