//! Handler tests over the in-memory store and scheduler.

use super::*;
use chrono::Duration;
use lifeline_app::fakes::{MemoryScheduler, MemoryStore};
use lifeline_app::service::callback::CallbackService;
use lifeline_app::service::ended::EndService;
use lifeline_aws::dynamo::stream::number_image;
use lifeline_domain::lease::Lease;
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
    let handler = CallbackLease::new(w.store.clone(), scheduler.clone(), w.clock());
    Rig {
        w,
        scheduler,
        handler,
        seq: std::cell::Cell::new(0),
    }
}

impl Rig {
    fn lease(&self) -> Lease {
        self.w
            .store
            .with_state(|s| s.numbers[&NUMBER.parse().unwrap()].lease.clone().unwrap())
    }

    /// The stream record of the number item going from `old` to `new`.
    fn record(&self, old: Option<&Lease>, new: &Lease) -> Value {
        self.seq.set(self.seq.get() + 1);
        let image = |l: &Lease| serde_json::to_value(number_image(l, l.hold_until)).unwrap();
        json!({"eventID": format!("e-{}", self.seq.get()), "eventName": if old.is_some() { "MODIFY" } else { "INSERT" },
            "eventVersion": "1.1", "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
            "dynamodb": {"ApproximateCreationDateTime": 1795496400.0,
                "Keys": {"pk": {"S": format!("NUMBER#{NUMBER}")}, "sk": {"S": "NUMBER"}},
                "NewImage": image(new), "OldImage": old.map(image).unwrap_or(json!({})),
                "SequenceNumber": self.seq.get().to_string(), "SizeBytes": 300, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/lifeline/stream/x"})
    }

    async fn stream(&self, records: Vec<Value>) -> Vec<String> {
        let v = self
            .handler
            .invoke(json!({ "Records": records }))
            .await
            .unwrap();
        v["batchItemFailures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["itemIdentifier"].as_str().unwrap().to_string())
            .collect()
    }

    async fn fire(&self, l: &Lease) -> bool {
        let input = json!({"leaseId": l.lease_id, "number": NUMBER, "version": l.version});
        self.handler.invoke(input).await.unwrap()["released"]
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
    assert!(r.stream(vec![r.record(None, &first)]).await.is_empty());
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
    r.stream(vec![r.record(Some(&first), &ended)]).await;
    let s = r.scheduler.all();
    assert_eq!(s.len(), 1, "moved, not a second one");
    assert_eq!(s[0].at, t0() + Duration::minutes(70));
    assert_eq!(s[0].input.version, ended.version);

    let calls = r.scheduler.calls();
    r.stream(vec![
        r.record(Some(&first), &ended),
        r.record(Some(&ended), &ended),
    ])
    .await;
    assert_eq!(
        r.scheduler.calls(),
        calls + 1,
        "a redelivered record upserts the same schedule; an unchanged hold none"
    );
    assert_eq!(r.scheduler.all().len(), 1);
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
async fn scheduler_down_retries_the_record_and_expiry_stays_correct() {
    let r = rig();
    r.w.dial("c-1", "a-42").await;
    r.end("c-1").await;
    let l = r.lease();
    r.scheduler.set_failing(true);
    let failed = r.stream(vec![r.record(None, &l)]).await;
    assert_eq!(failed, vec!["1"], "reported for retry by sequence number");
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
async fn unknown_payloads_are_errors() {
    let r = rig();
    assert!(r.handler.invoke(json!({"hello": 1})).await.is_err());
    let other = json!({"Records": [{"eventID": "1", "eventName": "INSERT", "awsRegion": "us-east-1",
        "dynamodb": {"NewImage": {"type": {"S": "call"}}, "SizeBytes": 1, "SequenceNumber": "1"}}]});
    assert_eq!(
        r.handler.invoke(other).await.unwrap(),
        json!({"batchItemFailures": []})
    );
}

#[tokio::test]
async fn sample_events_run_through_the_handler() {
    let r = rig();
    let stream: Value =
        serde_json::from_str(include_str!("../../../events/callback-lease-stream.json")).unwrap();
    assert!(r
        .stream(stream["Records"].as_array().unwrap().clone())
        .await
        .is_empty());
    assert_eq!(r.scheduler.all().len(), 1);
    let fire: Value =
        serde_json::from_str(include_str!("../../../events/callback-lease-expiry.json")).unwrap();
    assert_eq!(
        r.handler.invoke(fire).await.unwrap(),
        json!({"released": false}),
        "no such lease here"
    );
}
