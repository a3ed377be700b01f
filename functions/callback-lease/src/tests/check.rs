//! A degraded call (no lease: the pool is empty) whose end never comes:
//! its start schedules the agent's presence check, whose firing lifts the
//! override in storage.

use super::*;
use lifeline_app::service::presence::PresenceService;
use lifeline_domain::call::CallChange;
use lifeline_domain::expiry::ExpirySchedule;
use lifeline_domain::presence::Status;
use lifeline_domain::types::AgentId;

/// Agent a-42 (reported busy) and an empty pool: every dial is degraded.
async fn degraded_rig() -> (Rig, PresenceService<lifeline_app::fakes::MemoryStore>) {
    let w = World::us(&[]);
    let scheduler = Arc::new(MemoryScheduler::default());
    let handler = CallbackLease::new(
        w.store.clone(),
        scheduler.clone(),
        w.clock(),
        w.config.settings.presence,
    );
    let presence = PresenceService::new(w.store.clone(), w.clock(), w.config.settings.presence);
    presence.report(&a42(), Status::Busy).await.unwrap();
    let r = Rig {
        w,
        scheduler,
        handler,
        seq: std::cell::Cell::new(0),
    };
    (r, presence)
}

fn a42() -> AgentId {
    "a-42".parse().unwrap()
}

impl Rig {
    /// A 911 dial by a-42, recorded without a lease, and its start applied
    /// to the presence (presence-override's part): `call.started` as the bus
    /// delivers it to callback-lease.
    async fn degraded_call(&self, presence: &PresenceService<MemoryStore>, call: &str) -> Value {
        let answer = serde_json::to_value(self.w.dial(call, "a-42").await).unwrap();
        assert_eq!(answer["degraded"], true, "{answer}");
        let (at, lease_id) = self.w.store.with_state(|s| {
            let c = &s.calls[&call.parse().unwrap()];
            (c.dialed_at, c.lease_id.clone())
        });
        assert_eq!(lease_id, None, "a degraded call holds no lease");
        let start = CallChange::Started {
            agent: a42(),
            call: call.parse().unwrap(),
            at,
        };
        presence.apply(&start).await.unwrap();
        self.seq.set(self.seq.get() + 1);
        let event = DomainEvent::CallStarted(CallEvent {
            version: VERSION,
            call_id: call.parse().unwrap(),
            agent_id: a42(),
            at,
            lease_id,
        });
        delivered(self.seq.get(), &event)
    }

    /// The schedule named `name`, and the input its firing hands over.
    fn scheduled(&self, name: &str) -> (ExpirySchedule, Value) {
        let s = self.scheduler.schedules.lock().unwrap()[name].clone();
        let input = serde_json::to_value(&s.input).unwrap();
        (s, input)
    }

    fn stored_calls(&self) -> Vec<String> {
        self.w.store.with_state(|s| {
            let p = &s.presence[&a42()];
            p.active.keys().map(|c| c.to_string()).collect()
        })
    }
}

#[tokio::test]
async fn a_degraded_call_that_never_ends_is_lifted_when_its_check_fires() {
    let (r, presence) = degraded_rig().await;
    let started = r.degraded_call(&presence, "c-1").await;
    let due = t0() + Duration::minutes(241);
    assert_eq!(r.ok(started.clone()).await, json!({"presenceCheck": due}));
    let (s, input) = r.scheduled("presence-a-a-42");
    assert_eq!(s.at, due, "the limit (4 h) and a minute");
    assert_eq!(input["presenceCheck"]["agentId"], "a-42", "{input}");
    // A redelivered start moves nothing: still the one schedule.
    assert_eq!(r.ok(started).await, json!({"presenceCheck": due}));
    assert_eq!(r.scheduler.all().len(), 1);

    r.w.clock.set(due);
    assert_eq!(presence.get(&a42()).await.unwrap().status, Status::Busy);
    assert_eq!(r.stored_calls(), ["c-1"], "lifted only in the view so far");
    assert_eq!(
        r.ok(input.clone()).await,
        json!({"overrideLifted": true, "nextCheck": null})
    );
    assert!(r.stored_calls().is_empty(), "lifted in storage");
    // A duplicate or late firing changes nothing.
    let writes = r.w.store.writes();
    r.w.clock.advance(Duration::hours(2));
    assert_eq!(
        r.ok(input).await,
        json!({"overrideLifted": false, "nextCheck": null})
    );
    assert_eq!(r.w.store.writes(), writes);
    // The agent's next emergency call overrides again.
    r.degraded_call(&presence, "c-2").await;
    assert_eq!(
        presence.get(&a42()).await.unwrap().status,
        Status::DoNotDisturb
    );
}

#[tokio::test]
async fn a_later_call_keeps_the_override_and_gets_the_next_check() {
    let (r, presence) = degraded_rig().await;
    let first = r.degraded_call(&presence, "c-1").await;
    r.ok(first).await;
    r.w.clock.advance(Duration::minutes(30));
    let second = r.degraded_call(&presence, "c-2").await;
    let first_due = t0() + Duration::minutes(241);
    assert_eq!(
        r.ok(second).await,
        json!({"presenceCheck": first_due}),
        "c-1's limit still comes first"
    );
    r.w.clock.set(first_due);
    let (_, input) = r.scheduled("presence-a-a-42");
    let next_due = t0() + Duration::minutes(271);
    assert_eq!(
        r.ok(input).await,
        json!({"overrideLifted": true, "nextCheck": next_due})
    );
    assert_eq!(r.stored_calls(), ["c-2"]);
    assert_eq!(
        presence.get(&a42()).await.unwrap().status,
        Status::DoNotDisturb,
        "c-2 is not past the limit"
    );
    // The next check, under the agent's other name (the fired one is deleted).
    let (s, input) = r.scheduled("presence-again-a-a-42");
    assert_eq!(s.at, next_due);
    r.w.clock.set(next_due);
    assert_eq!(
        r.ok(input).await,
        json!({"overrideLifted": true, "nextCheck": null})
    );
    assert!(r.stored_calls().is_empty());
    assert_eq!(presence.get(&a42()).await.unwrap().status, Status::Busy);
}

#[tokio::test]
async fn failures_are_retried_by_lambda() {
    let (r, presence) = degraded_rig().await;
    let started = r.degraded_call(&presence, "c-1").await;
    r.scheduler.set_failing(true);
    assert_eq!(r.err(started.clone()).await, "SchedulerUnavailable");
    r.scheduler.set_failing(false);
    r.ok(started).await;
    let (s, input) = r.scheduled("presence-a-a-42");
    r.w.clock.set(s.at);
    r.w.store.set_failing_reads(true);
    assert_eq!(r.err(input.clone()).await, "PresenceNotLifted");
    r.w.store.set_failing_reads(false);
    assert_eq!(r.ok(input).await["overrideLifted"], true);
}
