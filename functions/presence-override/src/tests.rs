//! Handler tests over the in-memory store, and the order-independence property.

use super::*;

use chrono::{DateTime, Duration, Utc};

use lifeline_app::fakes::MemoryStore;
use lifeline_domain::presence::{PresenceView, Status};
use lifeline_domain::types::AgentId;
use lifeline_edge::fixtures::{t0, World};
use proptest::prelude::*;
use serde_json::{json, Value};

fn record(seq: u64, name: &str, call: &str, agent: &str, ended: Option<DateTime<Utc>>) -> Value {
    let mut image = json!({"pk": {"S": format!("CALL#{call}")}, "sk": {"S": "CALL"}, "type": {"S": "call"},
        "callId": {"S": call}, "agentId": {"S": agent}, "dialedAt": {"S": "2026-11-24T05:00:00Z"}});
    if let Some(t) = ended {
        image["endedAt"] = json!({"S": t.to_rfc3339()});
    }
    json!({"eventID": format!("e-{seq}"), "eventName": name, "eventVersion": "1.1", "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {"ApproximateCreationDateTime": 1795496400.0,
                     "Keys": {"pk": {"S": format!("CALL#{call}")}, "sk": {"S": "CALL"}},
                     "NewImage": image, "SequenceNumber": seq.to_string(), "SizeBytes": 100,
                     "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/lifeline/stream/2026-11-24T00:00:00.000"})
}

fn event(records: Vec<Value>) -> Event {
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

fn start(seq: u64, call: &str) -> Value {
    record(seq, "INSERT", call, "a-42", None)
}
fn end(seq: u64, call: &str) -> Value {
    record(
        seq,
        "MODIFY",
        call,
        "a-42",
        Some(t0() + Duration::minutes(10)),
    )
}

struct Rig {
    w: World,
    handler: PresenceOverride<MemoryStore>,
    service: PresenceService<MemoryStore>,
}

fn rig() -> Rig {
    let w = World::us(&[]);
    let handler = PresenceOverride::new(w.store.clone(), w.clock(), w.config.clone());
    let service = PresenceService::new(w.store.clone(), w.clock(), w.config.settings.presence);
    Rig {
        w,
        handler,
        service,
    }
}

impl Rig {
    async fn view(&self) -> PresenceView {
        self.service
            .get(&"a-42".parse::<AgentId>().unwrap())
            .await
            .unwrap()
    }
    async fn report(&self, s: Status) {
        self.service
            .report(&"a-42".parse().unwrap(), s)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn start_sets_dnd_and_the_last_end_restores() {
    let r = rig();
    r.report(Status::Busy).await;
    let resp = r
        .handler
        .handle(event(vec![start(1, "c-1"), start(2, "c-2")]))
        .await;
    assert!(resp.batch_item_failures.is_empty());
    assert_eq!(
        r.view().await,
        PresenceView {
            status: Status::DoNotDisturb,
            override_active: true
        }
    );
    r.report(Status::Away).await;
    assert_eq!(
        r.view().await.status,
        Status::DoNotDisturb,
        "a report does not lift the override"
    );
    r.handler.handle(event(vec![end(3, "c-1")])).await;
    assert_eq!(
        r.view().await.status,
        Status::DoNotDisturb,
        "c-2 is still live"
    );
    r.handler.handle(event(vec![end(4, "c-2")])).await;
    assert_eq!(
        r.view().await,
        PresenceView {
            status: Status::Away,
            override_active: false
        }
    );
}

#[tokio::test]
async fn redelivered_start_after_its_end_changes_nothing() {
    let r = rig();
    r.handler.handle(event(vec![end(2, "c-1")])).await;
    r.handler
        .handle(event(vec![start(1, "c-1"), start(1, "c-1")]))
        .await;
    assert_eq!(r.view().await.status, Status::Available);
    let writes = r.w.store.writes();
    r.handler
        .handle(event(vec![end(2, "c-1"), start(1, "c-1")]))
        .await;
    assert_eq!(r.w.store.writes(), writes, "duplicates write nothing");
}

#[tokio::test]
async fn other_records_are_ignored_and_failures_are_reported_by_sequence_number() {
    let r = rig();
    let mut number = start(7, "c-1");
    number["dynamodb"]["NewImage"]["type"] = json!({"S": "number"});
    let mut removal = start(8, "c-1");
    removal["eventName"] = json!("REMOVE");
    let resp = r.handler.handle(event(vec![number, removal])).await;
    assert!(resp.batch_item_failures.is_empty());
    assert_eq!(r.w.store.reads() + r.w.store.writes(), 0);

    let mut broken = start(9, "c-2");
    broken["dynamodb"]["NewImage"]["dialedAt"] = json!({"S": "not a time"});
    r.w.store.set_failing(true);
    let resp = r
        .handler
        .handle(event(vec![start(10, "c-3"), broken]))
        .await;
    let ids: Vec<_> = resp
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone().unwrap())
        .collect();
    assert_eq!(ids, vec!["10", "9"]);
}

#[tokio::test]
async fn a_stuck_override_is_lifted_after_the_limit() {
    let r = rig();
    r.report(Status::Busy).await;
    r.handler.handle(event(vec![start(1, "c-1")])).await;
    assert!(r.view().await.override_active);
    r.w.clock.advance(Duration::hours(4));
    assert_eq!(
        r.view().await,
        PresenceView {
            status: Status::Busy,
            override_active: false
        }
    );
    // The next change writes the lift down.
    r.report(Status::Away).await;
    assert!(r
        .w
        .store
        .with_state(|s| s.presence[&"a-42".parse::<AgentId>().unwrap()]
            .active
            .is_empty()));
}

#[tokio::test]
async fn sample_event_runs_through_the_handler() {
    let r = rig();
    let e: Event =
        serde_json::from_str(include_str!("../../../events/presence-override.json")).unwrap();
    let resp = r.handler.handle(e).await;
    assert!(resp.batch_item_failures.is_empty());
    assert_eq!(r.view().await.status, Status::DoNotDisturb);
}

/// One delivery: a call's start or end, or a status report.
#[derive(Debug, Clone)]
enum Delivery {
    Start(usize),
    End(usize),
    Report(Status),
}

fn status() -> impl Strategy<Value = Status> {
    prop::sample::select(Status::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the order, duplication and batching of the deliveries, the
    /// final presence is the obvious one: Do Not Disturb while some call
    /// started and did not end, else the last reported status.
    #[test]
    fn order_does_not_matter(
        initial in status(),
        // For each call: whether its start and its end were delivered.
        calls in prop::collection::vec((any::<bool>(), any::<bool>()), 1..6),
        report in prop::option::of(status()),
        dup in prop::collection::vec(0usize..64, 0..8),
        order in Just(()).prop_perturb(|_, mut rng| rng.random::<u64>()),
        batch in 1usize..4,
    ) {
        let mut deliveries: Vec<Delivery> = Vec::new();
        for (i, (started, ended)) in calls.iter().enumerate() {
            if *started { deliveries.push(Delivery::Start(i)); }
            if *ended { deliveries.push(Delivery::End(i)); }
        }
        if let Some(s) = report { deliveries.push(Delivery::Report(s)); }
        if deliveries.is_empty() { return Ok(()); }
        for d in &dup {
            let copy = deliveries[d % deliveries.len()].clone();
            deliveries.push(copy);
        }
        // A deterministic shuffle from the drawn seed.
        let mut seed = order;
        for i in (1..deliveries.len()).rev() {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            deliveries.swap(i, (seed >> 33) as usize % (i + 1));
        }

        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let final_view = rt.block_on(async {
            let r = rig();
            r.w.clock.set(t0() + Duration::minutes(30));
            r.report(initial).await;
            let mut seq = 0u64;
            for chunk in deliveries.chunks(batch) {
                let mut records = Vec::new();
                for d in chunk {
                    seq += 1;
                    match d {
                        Delivery::Start(i) => records.push(start(seq, &format!("c-{i}"))),
                        Delivery::End(i) => records.push(end(seq, &format!("c-{i}"))),
                        Delivery::Report(s) => {
                            if !records.is_empty() {
                                r.handler.handle(event(std::mem::take(&mut records))).await;
                            }
                            r.report(*s).await;
                        }
                    }
                }
                if !records.is_empty() {
                    let resp = r.handler.handle(event(records)).await;
                    assert!(resp.batch_item_failures.is_empty());
                }
            }
            r.view().await
        });
        let live = calls.iter().any(|(started, ended)| *started && !*ended);
        let expected = if live { Status::DoNotDisturb } else { report.unwrap_or(initial) };
        prop_assert_eq!(final_view, PresenceView { status: expected, override_active: live });
    }
}
