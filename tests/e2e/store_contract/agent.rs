//! What follows a call: the agent's presence (saved only over the version
//! read), the location they registered, the e-mail's outcome on the call
//! record, and the outbox consumer's writes.

use lifeline_app::ports::{
    Delivery, ErrorCode, LocationError, NotificationOutcome, NotifyProgress, RecordError,
    SaveError, Tally,
};
use lifeline_domain::location::{Location, RegisteredLocation};
use lifeline_domain::presence::{PresencePolicy, PresenceState, Status};
use lifeline_domain::types::{AgentId, CallId};

use super::fixtures::*;
use super::{ContractStore, Side};

/// Saves `state` for `agent_id` over the version it carries.
async fn save<S: ContractStore>(
    s: &S,
    agent_id: &str,
    state: &PresenceState,
) -> Result<(), SaveError> {
    let view = PresencePolicy::default().view(state, t(0));
    s.save_presence(&id(agent_id), state, view, t(0)).await
}

async fn presence<S: ContractStore>(s: &S, agent_id: &str) -> (bool, Option<PresenceState>) {
    s.agent_presence(&id(agent_id)).await.expect("read")
}

pub async fn presence_is_saved_only_over_the_version_read<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[]).await;
    assert_eq!(presence(s, A42).await, (true, None));
    assert_eq!(presence(s, "a-99").await, (false, None));

    // The override: c-1 starts (nothing stored yet: version 0).
    let mut started = PresenceState::default();
    assert!(started.start(&id("c-1"), t(0)));
    save(s, A42, &started).await.expect("first save");
    let stored = PresenceState {
        version: 1,
        ..started.clone()
    };
    assert_eq!(presence(s, A42).await, (true, Some(stored.clone())));
    // The same event again, from the same read: refused, nothing changes.
    assert!(matches!(
        save(s, A42, &started).await,
        Err(SaveError::Conflict)
    ));
    assert_eq!(presence(s, A42).await.1, Some(stored.clone()));

    // The platform reports Busy meanwhile; c-1 ends: Busy is restored.
    let mut restored = stored.clone();
    restored.report(Status::Busy);
    assert!(restored.end(&id("c-1"), t(5)));
    save(s, A42, &restored).await.expect("save over version 1");
    let now = presence(s, A42).await.1.expect("stored");
    assert_eq!(now.version, 2);
    assert_eq!((now.reported, now.active.len()), (Status::Busy, 0));
    assert_eq!(now.ended.get(&id::<CallId>("c-1")), Some(&t(5)));
    assert!(!PresencePolicy::default().view(&now, t(6)).override_active);

    // A late start of c-1 saved over the old read, or a version from nowhere.
    let mut late = stored.clone();
    late.start(&id("c-2"), t(6));
    assert!(matches!(
        save(s, A42, &late).await,
        Err(SaveError::Conflict)
    ));
    let ahead = PresenceState {
        version: 9,
        ..now.clone()
    };
    assert!(matches!(
        save(s, A42, &ahead).await,
        Err(SaveError::Conflict)
    ));
    assert_eq!(presence(s, A42).await.1, Some(now));
}

pub async fn a_location_is_kept_only_for_an_agent_with_a_profile<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[]).await;
    let at = |address: &str, minutes: i64| RegisteredLocation {
        location: Location {
            country: Some("US".into()),
            address: Some(address.into()),
            lat: Some(47.6),
            lon: Some(-122.125),
            ..Default::default()
        },
        registered_at: t(minutes),
        signed_at: t(minutes).timestamp(),
    };
    let stranger: AgentId = id("a-99");
    match s
        .register_location(&stranger, &at("1 Main St", 0), ttl())
        .await
    {
        Err(LocationError::UnknownAgent(a)) => assert_eq!(a, stranger),
        other => panic!("unknown agent: {other:?}"),
    }
    assert_eq!(
        s.registered_location(&stranger).await.expect("read"),
        (false, None)
    );
    let a42: AgentId = id(A42);
    assert_eq!(
        s.registered_location(&a42).await.expect("read"),
        (true, None)
    );
    s.register_location(&a42, &at("1 Main St", 0), ttl())
        .await
        .expect("register");
    // The latest registration wins.
    s.register_location(&a42, &at("2 Side St", 5), ttl())
        .await
        .expect("register again");
    let latest = at("2 Side St", 5);
    assert_eq!(
        s.registered_location(&a42).await.expect("read"),
        (true, Some(latest.clone()))
    );
    // A registration signed before the stored one (a replay) is refused and
    // changes nothing; one signed in the same second is no conflict.
    match s.register_location(&a42, &at("1 Main St", 1), ttl()).await {
        Err(LocationError::Stale(_)) => {}
        other => panic!("an older-signed registration: {other:?}"),
    }
    assert_eq!(
        s.registered_location(&a42).await.expect("read"),
        (true, Some(latest.clone()))
    );
    s.register_location(&a42, &at("2 Side St", 5), ttl())
        .await
        .expect("the same second again");
    let ctx = s.dial_context(&id("c-1"), &a42).await.expect("context");
    assert_eq!(ctx.registered, Some(latest));
}

pub async fn a_notification_outcome_is_recorded_on_the_call_only<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[]).await;
    let call = own_number_call("c-1", A42, t(0));
    s.record_emergency(&call, ttl(), None)
        .await
        .expect("record");
    let context =
        |c: &'static str| async move { s.notify_context(&id(c), &id(A42)).await.expect("read") };
    let ctx = context("c-1").await;
    assert_eq!((ctx.call.as_ref(), ctx.notification), (Some(&call), None));
    assert!(ctx.progress.is_empty());

    let refused = ErrorCode::new("MessageRejected");
    let progress = NotifyProgress(
        [
            ("0123456789ab".to_string(), Delivery::Sent),
            (
                "ba9876543210".to_string(),
                Delivery::Refused(refused.clone()),
            ),
        ]
        .into(),
    );
    // One delivery at a time holds the sending; the progress lets go of it;
    // a claim lapses.
    let c1: CallId = id("c-1");
    let claim = |now: i64| s.claim_sending(&c1, t(now), t(now + 1));
    assert!(claim(0).await.expect("claim"), "the first delivery's");
    assert!(!claim(0).await.expect("claim"), "the second's, meanwhile");
    assert!(!s
        .claim_sending(&id("c-none"), t(0), t(1))
        .await
        .expect("claim"));
    s.record_progress(&id("c-1"), &progress)
        .await
        .expect("progress");
    assert_eq!(context("c-1").await.progress, progress);
    assert!(claim(0).await.expect("claim"), "released with the progress");
    assert!(claim(2).await.expect("claim"), "lapsed");

    let outcome = NotificationOutcome::Settled(Tally {
        recipients: 3,
        sent: 2,
        refused: [(refused, 1)].into(),
    });
    let named = call.caller_id.clone();
    s.record_notification(&id("c-1"), &outcome, Some(&named), t(1))
        .await
        .expect("outcome");
    // A duplicate delivery records the same again; a late progress write
    // never lands over the outcome.
    s.record_notification(&id("c-1"), &outcome, Some(&named), t(2))
        .await
        .expect("again");
    s.record_progress(&id("c-1"), &progress)
        .await
        .expect("late progress");
    assert!(
        !claim(10).await.expect("claim"),
        "nothing to send once the outcome is recorded"
    );
    let ctx = context("c-1").await;
    assert_eq!(ctx.notification.as_deref(), Some("partial"));
    assert!(ctx.progress.is_empty(), "{:?}", ctx.progress);
    assert_eq!(
        (ctx.named.as_ref(), ctx.corrected.as_ref()),
        (Some(&named), None)
    );
    assert_eq!(ctx.call, Some(call));
    // A correction e-mail's number is kept beside it.
    let own: lifeline_domain::types::E164 = "+14255550100".parse().unwrap();
    s.record_correction(&id("c-1"), &own)
        .await
        .expect("correction");
    let ctx = context("c-1").await;
    assert_eq!((ctx.named, ctx.corrected), (Some(named), Some(own.clone())));

    // No record (expired, or never written): nothing is recorded for it.
    s.record_progress(&id("c-404"), &progress)
        .await
        .expect("progress");
    s.record_notification(&id("c-404"), &outcome, None, t(1))
        .await
        .expect("outcome");
    s.record_correction(&id("c-404"), &own)
        .await
        .expect("correction");
    let ctx = context("c-404").await;
    assert_eq!(
        (ctx.call, ctx.notification, ctx.corrected),
        (None, None, None)
    );
    assert!(ctx.progress.is_empty(), "{:?}", ctx.progress);
}

pub async fn the_outbox_records_once_and_settles_only_the_recorded_answer<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1]).await;
    let own = own_number_call("c-1", A42, t(0));
    s.record_call(&own, ttl()).await.expect("record");
    match s.record_call(&own, ttl()).await {
        Err(RecordError::CallExists(Some(stored))) => assert_eq!(*stored, own),
        other => panic!("recorded once: {other:?}"),
    }

    // The dial's lease write committed after it gave up and presented its
    // own number: the record says what was presented, the lease stays.
    let d = claim("c-2", A42, N1, t(0), None);
    dialed(s, &d).await;
    let presented = lifeline_domain::call::EmergencyCall {
        reason: Some(lifeline_domain::degraded::DegradedReason::Timeout),
        ..own_number_call("c-2", A42, t(0))
    };
    assert!(s
        .settle_presented(&d.call, &presented, None)
        .await
        .expect("settle"));
    let settled = lifeline_domain::call::EmergencyCall {
        caller_id: presented.caller_id.clone(),
        degraded: true,
        reason: presented.reason,
        leased_number: None,
        lease_id: None,
        callback_expires_at: None,
        ..d.call.clone()
    };
    assert_eq!(record(s, "c-2").await, Some(settled.clone()));
    assert_eq!(lease_on(s, N1).await, Some(d.lease));
    // Again (a redelivered message): the record no longer shows the leased number.
    assert!(!s
        .settle_presented(&d.call, &presented, None)
        .await
        .expect("settle"));
    assert_eq!(record(s, "c-2").await, Some(settled));
    // No record: nothing settled, nothing created.
    let unknown = claim("c-404", A42, N1, t(0), None);
    assert!(!s
        .settle_presented(&unknown.call, &presented, None)
        .await
        .expect("settle"));
    assert_eq!(record(s, "c-404").await, None);
}
