//! Handler tests over the in-memory store and scheduler.

use super::*;
use chrono::Duration;
use lifeline_app::fakes::{MemoryScheduler, MemoryStore};
use lifeline_app::service::callback::CallbackService;
use lifeline_app::service::ended::EndService;
use lifeline_domain::events::{CallEvent, LeaseChanged, LeaseSnapshot, VERSION};
use lifeline_domain::lease::Lease;
use lifeline_edge::events::envelope;
use lifeline_edge::fixtures::{t0, World};
use lifeline_edge::webhook::{parse_ended, parse_inbound};
use serde_json::json;

const NUMBER: &str = "+14255550199";

struct Rig {
    w: World,
    scheduler: Arc<MemoryScheduler>,
    handler: CallbackLease<MemoryStore, MemoryScheduler>,
    seq: std::cell::Cell<u64>,
}

fn rig() -> Rig {
    let w = World::us(&[NUMBER]);
    let scheduler = Arc::new(MemoryScheduler::default());
    let handler = CallbackLease::new(
        w.store.clone(),
        scheduler.clone(),
        w.clock(),
        w.config.settings.presence,
    );
    Rig {
        w,
        scheduler,
        handler,
        seq: std::cell::Cell::new(0),
    }
}

/// The event as EventBridge delivers it.
fn delivered(seq: u64, event: &DomainEvent) -> Value {
    envelope(
        event,
        &format!("ev-{seq}"),
        t0(),
        "us-east-1",
        "123456789012",
    )
}

impl Rig {
    fn lease(&self) -> Lease {
        self.w
            .store
            .with_state(|s| s.numbers[&NUMBER.parse().unwrap()].lease.clone().unwrap())
    }

    /// `lifeline.lease.changed` of the number's lease going from `before` to
    /// `after` (a new delivery each time: its own id).
    fn changed(&self, before: Option<&Lease>, after: &Lease) -> Value {
        self.seq.set(self.seq.get() + 1);
        let e = DomainEvent::LeaseChanged(LeaseChanged {
            version: VERSION,
            number: after.number.clone(),
            country: after.country,
            before: before.map(LeaseSnapshot::of),
            after: Some(LeaseSnapshot::of(after)),
        });
        delivered(self.seq.get(), &e)
    }

    /// An invocation that must succeed.
    async fn ok(&self, payload: Value) -> Value {
        lifeline_edge::fixtures::invoked_ok(&self.handler, payload).await
    }

    /// An invocation that must fail: its error type.
    async fn err(&self, payload: Value) -> String {
        lifeline_edge::fixtures::invoked_err(&self.handler, payload).await
    }

    /// Delivers a lease change: whether a schedule was created or moved.
    async fn schedule(&self, payload: Value) -> bool {
        self.ok(payload).await["scheduled"].as_bool().unwrap()
    }

    fn expiry(l: &Lease) -> Value {
        json!({"leaseId": l.lease_id, "number": NUMBER, "version": l.version})
    }

    async fn fire(&self, l: &Lease) -> bool {
        self.handler.invoke(Self::expiry(l)).await.unwrap()["released"]
            .as_bool()
            .unwrap()
    }

    async fn end(&self, call: &str) {
        EndService::new(
            self.w.store.clone(),
            self.w.clock(),
            self.w.config.settings.clone(),
        )
        .end(parse_ended(format!(r#"{{"callId":"{call}","agentId":"a-42"}}"#).as_bytes()).unwrap())
        .await
        .unwrap();
    }

    async fn routed(&self) -> bool {
        let call =
            parse_inbound(format!(r#"{{"callId":"in","to":"{NUMBER}"}}"#).as_bytes()).unwrap();
        let a = CallbackService::new(
            self.w.store.clone(),
            self.w.clock(),
            self.w.config.settings.clone(),
        )
        .route(call)
        .await;
        serde_json::to_value(a).unwrap()["action"] == "connect_agent"
    }
}

#[tokio::test]
async fn one_schedule_per_lease_moved_with_its_hold() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    let first = r.lease();
    assert_eq!(
        r.handler.invoke(r.changed(None, &first)).await.unwrap(),
        json!({"scheduled": true})
    );
    let s = r.scheduler.all();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].name, format!("lease-{}", first.lease_id));
    assert_eq!(
        s[0].at,
        t0() + Duration::hours(4),
        "held while the call is active"
    );

    r.w.clock.advance(Duration::minutes(10));
    r.end("c-1").await;
    let ended = r.lease();
    assert!(r.schedule(r.changed(Some(&first), &ended)).await);
    let s = r.scheduler.all();
    assert_eq!(s.len(), 1, "moved, not a second one");
    assert_eq!(s[0].at, t0() + Duration::minutes(70));
    assert_eq!(
        s[0].input.lease().map(|e| e.version).unwrap(),
        ended.version
    );

    let calls = r.scheduler.calls();
    assert!(r.schedule(r.changed(Some(&first), &ended)).await);
    assert!(!r.schedule(r.changed(Some(&ended), &ended)).await);
    assert_eq!(
        r.scheduler.calls(),
        calls + 1,
        "a redelivered event upserts the same schedule; an unchanged hold none"
    );
    let s = r.scheduler.all();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].at, t0() + Duration::minutes(70));
}

#[tokio::test]
async fn the_same_event_delivered_twice_leaves_one_schedule() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    let l = r.lease();
    let event = r.changed(None, &l);
    assert!(r.schedule(event.clone()).await);
    let once = r.scheduler.all();
    assert!(r.schedule(event).await);
    assert_eq!(r.scheduler.all(), once, "the same one schedule");
    assert_eq!(once.len(), 1);
}

#[tokio::test]
async fn firing_releases_only_the_same_lease_past_its_hold() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    r.w.clock.advance(Duration::minutes(10));
    r.end("c-1").await;
    let l = r.lease();
    r.w.clock.advance(Duration::minutes(59));
    assert!(!r.fire(&l).await, "early: nothing");
    assert!(r.routed().await);
    r.w.clock.advance(Duration::minutes(1));
    assert!(r.fire(&l).await, "on time: released");
    assert!(!r.routed().await);
    assert!(!r.fire(&l).await, "a duplicate firing: nothing");
    r.w.clock.advance(Duration::hours(3));
    assert!(!r.fire(&l).await, "a late duplicate: nothing");
}

#[tokio::test]
async fn a_stale_firing_after_a_redial_changes_nothing() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    r.end("c-1").await;
    let before = r.lease();
    r.w.clock.advance(Duration::minutes(30));
    r.w.dial("c-2", "a-42").await; // inside the window: same number, new version
    r.w.clock.advance(Duration::minutes(31));
    assert!(!r.fire(&before).await, "the old schedule's firing is stale");
    assert!(r.routed().await, "the agent still gets callbacks");
    let s =
        r.w.store
            .with_state(|s| s.numbers[&NUMBER.parse().unwrap()].lease.clone().unwrap());
    assert_eq!(s.lease_id, before.lease_id);
    assert!(s.released_at.is_none());
}

#[tokio::test]
async fn scheduler_down_fails_the_invocation_and_expiry_stays_correct() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    r.end("c-1").await;
    let l = r.lease();
    r.scheduler.set_failing(true);
    assert_eq!(r.err(r.changed(None, &l)).await, "SchedulerUnavailable");
    assert!(r.scheduler.all().is_empty());
    r.w.clock.advance(Duration::minutes(59));
    assert!(r.routed().await);
    r.w.clock.advance(Duration::minutes(2));
    assert!(
        !r.routed().await,
        "no firing needed: past its window the lease is over"
    );
    // And a stranger gets the number after the quarantine, without any release.
    r.w.store.add_agent(lifeline_edge::fixtures::agent(
        "a-43",
        lifeline_domain::numbers::Country::US,
        lifeline_domain::route::NumberType::CallingPlan,
        "+14255550101",
    ));
    r.w.clock.advance(Duration::minutes(60));
    let v = serde_json::to_value(r.w.dial("c-9", "a-43").await).unwrap();
    assert_eq!(v["callerId"], NUMBER);
}

#[tokio::test]
async fn the_retry_after_the_scheduler_returns_creates_the_one_schedule() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    r.end("c-1").await;
    let l = r.lease();
    let event = r.changed(None, &l);
    r.scheduler.set_failing(true);
    assert_eq!(r.err(event.clone()).await, "SchedulerUnavailable");
    assert_eq!(r.err(event.clone()).await, "SchedulerUnavailable");
    r.scheduler.set_failing(false);
    // Lambda's retry: the same payload.
    assert!(r.schedule(event.clone()).await);
    let s = r.scheduler.all();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].name, format!("lease-{}", l.lease_id));
    assert_eq!(s[0].at, t0() + Duration::minutes(60));
    // A replay from the failure queue later: still the one schedule.
    assert!(r.schedule(event).await);
    assert_eq!(r.scheduler.all(), s);
}

#[tokio::test]
async fn a_release_not_recorded_fails_the_firing_and_its_retry_releases_once() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    r.end("c-1").await;
    let l = r.lease();
    r.w.clock.advance(Duration::minutes(61));
    r.w.store.set_failing(true);
    assert_eq!(r.err(Rig::expiry(&l)).await, "StoreUnavailable");
    r.w.store.set_failing(false);
    assert!(r.lease().released_at.is_none());
    assert!(r.fire(&l).await, "the retry releases it");
    let released = r.lease().released_at;
    assert!(released.is_some());
    r.w.clock.advance(Duration::minutes(1));
    assert!(!r.fire(&l).await, "a further retry: nothing");
    assert_eq!(r.lease().released_at, released);
}

#[tokio::test]
async fn a_released_lease_is_not_scheduled() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    r.end("c-1").await;
    let l = r.lease();
    r.w.clock.advance(Duration::minutes(61));
    assert!(r.fire(&l).await);
    let released = r.lease();
    let calls = r.scheduler.calls();
    assert!(!r.schedule(r.changed(Some(&l), &released)).await);
    assert_eq!(r.scheduler.calls(), calls);
}

#[tokio::test]
async fn events_of_other_detail_types_are_ignored() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    let writes = r.w.store.writes();
    let call = CallEvent {
        version: VERSION,
        call_id: "c-1".parse().unwrap(),
        agent_id: "a-42".parse().unwrap(),
        at: t0(),
        lease_id: Some(r.lease().lease_id),
    };
    // A leased call's start: its lease's expiry covers it, no check.
    for (seq, e) in [
        (1, DomainEvent::CallStarted(call.clone())),
        (2, DomainEvent::CallerIdCorrected(call.clone())),
    ] {
        assert_eq!(
            r.ok(delivered(seq, &e)).await,
            json!({"presenceCheck": null})
        );
    }
    let ended = DomainEvent::CallEnded(call);
    assert_eq!(
        r.ok(delivered(3, &ended)).await,
        json!({"ignored": ended.detail_type()})
    );
    assert_eq!(r.scheduler.calls(), 0);
    assert_eq!(r.w.store.writes(), writes);
    assert!(r.lease().released_at.is_none());
}

#[tokio::test]
async fn a_malformed_event_is_a_bad_event_and_schedules_nothing() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    let l = r.lease();
    let mut no_number = r.changed(None, &l);
    no_number["detail"]["number"] = json!("");
    let mut unknown = r.changed(None, &l);
    unknown["detail-type"] = json!("lifeline.lease.moved");
    let mut newer = r.changed(None, &l);
    newer["detail"]["version"] = json!(2);
    let mut no_lease_id = r.changed(None, &l);
    no_lease_id["detail"]["after"]
        .as_object_mut()
        .unwrap()
        .remove("leaseId");
    let mut bad_hold = r.changed(None, &l);
    bad_hold["detail"]["after"]["holdUntil"] = json!("not a time");
    let mut foreign = r.changed(None, &l);
    foreign["source"] = json!("aws.scheduler");
    for payload in [no_number, unknown, newer, no_lease_id, bad_hold, foreign] {
        assert!(
            matches!(
                r.handler.invoke(payload.clone()).await,
                Err(LeaseError::BadEvent(_))
            ),
            "{payload}"
        );
        assert_eq!(r.err(payload).await, "BadEvent");
    }
    assert_eq!(r.scheduler.calls(), 0);
    assert!(r.scheduler.all().is_empty());
}

#[tokio::test]
async fn unknown_payloads_are_errors() {
    let r = rig();
    assert_eq!(r.err(json!({"hello": 1})).await, "UnrecognisedEvent");
    // A stream batch (a leftover mapping) is refused, not acknowledged.
    let stream = json!({"Records": [{"eventID": "1", "eventName": "INSERT", "awsRegion": "us-east-1",
        "dynamodb": {"NewImage": {"type": {"S": "number"}}, "SizeBytes": 1, "SequenceNumber": "1"}}]});
    assert_eq!(r.err(stream).await, "UnrecognisedEvent");
    // A presence check naming no valid agent, or with nothing in it.
    for bad in [
        json!({"presenceCheck": {}}),
        json!({"presenceCheck": {"agentId": "a 42", "until": "2026-11-24T09:00:00Z"}}),
        json!({"presenceCheck": {"agentId": "a-42"}}),
    ] {
        assert_eq!(r.err(bad.clone()).await, "UnrecognisedEvent", "{bad}");
    }
    assert_eq!(r.scheduler.calls(), 0);
}

#[tokio::test]
async fn sample_events_run_through_the_handler() {
    let r = rig();
    // A lease's creation as the bus delivers it to the rule's target.
    let changed = json!({
        "version": "0",
        "id": "0d7a3a1c-8a8e-4f37-9d5e-0b7f4b1e2c3d",
        "detail-type": "lifeline.lease.changed",
        "source": "lifeline",
        "account": "123456789012",
        "time": "2026-11-24T05:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "version": 1,
            "number": NUMBER,
            "country": "US",
            "after": {
                "leaseId": "2f1d0c1e-6a55-4c1e-9d0b-3a3f6f1c2b7a",
                "agentId": "a-42",
                "leasedAt": "2026-11-24T05:00:00Z",
                "lastDialAt": "2026-11-24T05:00:00Z",
                "expiresAt": "2026-11-24T06:00:00Z",
                "holdUntil": "2026-11-24T09:00:00Z",
                "activeCalls": ["c-1"],
                "leaseVersion": 1
            }
        }
    });
    let event = DomainEvent::LeaseChanged(LeaseChanged {
        version: VERSION,
        number: NUMBER.parse().unwrap(),
        country: lifeline_domain::numbers::Country::US,
        before: None,
        after: Some(LeaseSnapshot {
            lease_id: "2f1d0c1e-6a55-4c1e-9d0b-3a3f6f1c2b7a".parse().unwrap(),
            agent_id: "a-42".parse().unwrap(),
            leased_at: t0(),
            last_dial_at: t0(),
            expires_at: t0() + Duration::hours(1),
            hold_until: t0() + Duration::hours(4),
            active_calls: vec!["c-1".parse().unwrap()],
            lease_version: 1,
            released_at: None,
        }),
    });
    assert_eq!(
        changed,
        envelope(
            &event,
            "0d7a3a1c-8a8e-4f37-9d5e-0b7f4b1e2c3d",
            t0(),
            "us-east-1",
            "123456789012"
        ),
        "the envelope the tests build is what EventBridge delivers"
    );
    assert_eq!(r.ok(changed).await, json!({"scheduled": true}));
    let s = r.scheduler.all();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].at, t0() + Duration::hours(4));
    let fire: Value =
        serde_json::from_str(include_str!("../../../events/callback-lease-expiry.json")).unwrap();
    assert_eq!(
        r.ok(fire).await,
        json!({"released": false, "overrideLifted": false}),
        "no such lease here"
    );
}

/// A call that never reports its end (a crashed desktop): the lease's
/// firing, due when the active-call limit passes, lifts the override in
/// storage — not only in the `GET` view — so that `presence.restored` is
/// published and the platform follows. Before the limit it lifts nothing.
#[tokio::test]
async fn the_firing_lifts_an_override_whose_call_never_ended() {
    use lifeline_app::service::presence::PresenceService;
    use lifeline_domain::call::CallChange;
    use lifeline_domain::presence::Status;

    let r = rig();
    let agent: lifeline_domain::types::AgentId = "a-42".parse().unwrap();
    let presence =
        PresenceService::new(r.w.store.clone(), r.w.clock(), r.w.config.settings.presence);
    presence.report(&agent, Status::Busy).await.unwrap();
    r.w.dial("c-1", "a-42").await;
    let started = CallChange::Started {
        agent: agent.clone(),
        call: "c-1".parse().unwrap(),
        at: t0(),
    };
    presence.apply(&started).await.unwrap();
    let l = r.lease();
    let mut firing = Rig::expiry(&l);
    firing["agentId"] = json!("a-42");
    let stored_override = || {
        r.w.store.with_state(|s| {
            s.presence[&agent]
                .active
                .contains_key(&"c-1".parse().unwrap())
        })
    };
    r.w.clock.advance(Duration::minutes(60));
    let early = r.handler.invoke(firing.clone()).await.unwrap();
    assert_eq!(early["overrideLifted"], false, "{early}");
    assert!(stored_override());
    // The limit (4 h) passes: the firing lifts it in storage.
    r.w.clock.advance(Duration::minutes(181));
    let due = r.handler.invoke(firing).await.unwrap();
    assert_eq!(due["overrideLifted"], true, "{due}");
    assert!(!stored_override(), "lifted in storage");
    assert_eq!(presence.get(&agent).await.unwrap().status, Status::Busy);
}

/// Calls without a lease: the presence check.
mod check;
