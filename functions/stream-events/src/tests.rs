use super::*;
use lifeline_app::clock::FixedClock;
use lifeline_app::fakes::{MemoryBus, MemoryFailures, RecordedMetrics};

const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:lifeline-prod-stream-events";

struct Rig {
    bus: Arc<MemoryBus>,
    failures: Arc<MemoryFailures>,
    metrics: Arc<RecordedMetrics>,
    handler: StreamEvents<MemoryBus, MemoryFailures>,
}

fn rig() -> Rig {
    let bus = Arc::new(MemoryBus::default());
    let failures = Arc::new(MemoryFailures::default());
    let metrics = Arc::new(RecordedMetrics::default());
    let clock = Arc::new(FixedClock::at("2026-11-24T05:00:05Z".parse().unwrap()));
    let handler =
        StreamEvents::new(bus.clone(), failures.clone(), clock).with_metrics(metrics.clone());
    Rig {
        bus,
        failures,
        metrics,
        handler,
    }
}

fn call_image(call: &str, ended: bool) -> Value {
    let mut v = json!({"pk": {"S": format!("CALL#{call}")}, "sk": {"S": "CALL"}, "type": {"S": "call"},
        "callId": {"S": call}, "agentId": {"S": "a-42"}, "dialedAt": {"S": "2026-11-24T05:00:00Z"}});
    if ended {
        v["endedAt"] = json!({"S": "2026-11-24T05:10:00Z"});
    }
    v
}

fn presence_image(on: bool) -> Value {
    json!({"pk": {"S": "AGENT#a-42"}, "sk": {"S": "PRESENCE"}, "type": {"S": "presence"},
        "agentId": {"S": "a-42"}, "reported": {"S": "busy"},
        "status": {"S": if on { "do_not_disturb" } else { "busy" }}, "override": {"BOOL": on},
        "updatedAt": {"S": "2026-11-24T05:00:01Z"}, "version": {"N": "1"}})
}

fn number_image() -> Value {
    json!({"pk": {"S": "NUMBER#+14255550199"}, "sk": {"S": "NUMBER"}, "type": {"S": "number"},
        "poolCountry": {"S": "US"}, "availableAt": {"N": "1795510800"},
        "number": {"S": "+14255550199"}, "country": {"S": "US"}, "agentId": {"S": "a-42"},
        "leaseId": {"S": "l-1"}, "leasedAt": {"N": "1795496400"}, "lastDialAt": {"N": "1795496400"},
        "expiresAt": {"N": "1795500000"}, "holdUntil": {"N": "1795510800"},
        "activeCalls": {"SS": ["c-1"]}, "fallback": {"L": [{"S": "+14255550111"}]}, "version": {"N": "1"}})
}

fn record(seq: u32, name: &str, old: Option<Value>, new: Option<Value>) -> Value {
    let mut ddb = json!({"ApproximateCreationDateTime": 1795496400.0,
        "Keys": {"pk": {"S": "x"}, "sk": {"S": "y"}}, "SequenceNumber": seq.to_string(),
        "SizeBytes": 10, "StreamViewType": "NEW_AND_OLD_IMAGES"});
    if let Some(o) = old {
        ddb["OldImage"] = o;
    }
    if let Some(n) = new {
        ddb["NewImage"] = n;
    }
    json!({"eventID": format!("e-{seq}"), "eventName": name, "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": "us-east-1", "dynamodb": ddb,
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:1:table/lifeline/stream/x"})
}

fn batch(records: Vec<Value>) -> Event {
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

fn failed(r: &DynamoDbEventResponse) -> Vec<String> {
    r.batch_item_failures
        .iter()
        .filter_map(|f| f.item_identifier.clone())
        .collect()
}

#[tokio::test]
async fn each_change_becomes_its_events_in_the_streams_order() {
    let rig = rig();
    let r = rig
        .handler
        .handle(
            batch(vec![
                record(1, "INSERT", None, Some(call_image("c-1", false))),
                record(2, "INSERT", None, Some(number_image())),
                record(3, "INSERT", None, Some(presence_image(true))),
                record(
                    4,
                    "MODIFY",
                    Some(call_image("c-1", false)),
                    Some(call_image("c-1", true)),
                ),
                // Not an item the events describe.
                record(
                    5,
                    "INSERT",
                    None,
                    Some(json!({"pk": {"S": "AGENT#a-42"}, "type": {"S": "profile"}})),
                ),
            ]),
            ARN,
            false,
        )
        .await;
    assert!(failed(&r).is_empty());
    assert_eq!(
        rig.bus.detail_types(),
        [
            "lifeline.call.started",
            "lifeline.lease.changed",
            "lifeline.presence.overridden",
            "lifeline.call.ended"
        ]
    );
    let lease: Value = serde_json::from_str(&rig.bus.published()[1].detail).unwrap();
    assert_eq!(lease["after"]["leaseId"], "l-1");
    assert!(
        !lease.to_string().contains("+14255550111"),
        "no fallback number in an event: {lease}"
    );
}

#[tokio::test]
async fn an_undecodable_record_is_kept_with_its_payload_and_the_others_go_on() {
    let rig = rig();
    let mut poison = call_image("c-bad", false);
    poison["dialedAt"] = json!({"S": "yesterday"});
    let r = rig
        .handler
        .handle(
            batch(vec![
                record(1, "INSERT", None, Some(call_image("c-1", false))),
                record(2, "INSERT", None, Some(poison)),
                record(3, "INSERT", None, Some(call_image("c-2", false))),
            ]),
            ARN,
            false,
        )
        .await;
    assert!(failed(&r).is_empty(), "the shard is not held up");
    assert_eq!(
        rig.bus.detail_types(),
        ["lifeline.call.started", "lifeline.call.started"]
    );
    let kept = rig.failures.kept();
    assert_eq!(kept.len(), 1);
    let kept: Value = serde_json::from_str(&kept[0]).unwrap();
    assert_eq!(kept["requestContext"]["condition"], UNDECODABLE);
    assert_eq!(kept["requestContext"]["functionArn"], ARN);
    assert_eq!(
        kept["requestPayload"]["Records"][0]["dynamodb"]["NewImage"]["callId"]["S"],
        "c-bad"
    );
    assert_eq!(kept["requestPayload"]["replay"], true);
    assert_eq!(rig.metrics.values("UndecodableStreamRecords"), [1.0]);
}

#[tokio::test]
async fn a_replayed_record_that_still_does_not_decode_fails_and_is_not_kept_twice() {
    let rig = rig();
    let mut poison = call_image("c-bad", false);
    poison["agentId"] = json!({"N": "42"});
    let mut payload = json!({"Records": [record(7, "INSERT", None, Some(poison))]});
    payload["replay"] = true.into();
    let out = rig.handler.invoke(payload, ARN).await.unwrap();
    assert_eq!(out["batchItemFailures"][0]["itemIdentifier"], "7");
    assert!(rig.failures.kept().is_empty());
}

#[tokio::test]
async fn a_refused_publication_retries_from_its_record_and_publishes_nothing_after() {
    let rig = rig();
    rig.bus.refuse_from(Some(1));
    let r = rig
        .handler
        .handle(
            batch(vec![
                record(1, "INSERT", None, Some(call_image("c-1", false))),
                record(2, "INSERT", None, Some(call_image("c-2", false))),
                record(3, "INSERT", None, Some(call_image("c-3", false))),
            ]),
            ARN,
            false,
        )
        .await;
    assert_eq!(
        failed(&r),
        ["2"],
        "Lambda retries from the first unpublished record"
    );
    assert_eq!(rig.bus.published().len(), 1);
    assert_eq!(rig.metrics.values("EventsNotPublished"), [1.0]);
}

#[tokio::test]
async fn an_undecodable_record_that_cannot_be_kept_is_retried_after_what_came_before() {
    let rig = rig();
    rig.failures.set_unavailable(true);
    let mut poison = call_image("c-bad", false);
    poison["dialedAt"] = json!({"N": "5"});
    let r = rig
        .handler
        .handle(
            batch(vec![
                record(1, "INSERT", None, Some(call_image("c-1", false))),
                record(2, "INSERT", None, Some(poison)),
                record(3, "INSERT", None, Some(call_image("c-3", false))),
            ]),
            ARN,
            false,
        )
        .await;
    assert_eq!(failed(&r), ["2"]);
    assert_eq!(
        rig.bus.detail_types(),
        ["lifeline.call.started"],
        "c-1 went before"
    );
}

#[test]
fn configuration_names_what_is_missing() {
    let env = |k: &str| match k {
        "LIFELINE_EVENT_BUS" => Some("lifeline-prod".to_string()),
        _ => None,
    };
    assert_eq!(
        StreamEventsConfig::from_lookup(env),
        Err(MissingVariable(FAILURE_QUEUE_VAR))
    );
}

/// The samples in `events/`: the stream batch and, in the order it publishes
/// them, the events it means (each as EventBridge delivers it).
const SAMPLE_BATCH: &str = include_str!("../../../events/stream-events.json");
const SAMPLE_EVENTS: [(&str, &str); 7] = [
    (
        "lifeline.call.started",
        include_str!("../../../events/lifeline.call.started.json"),
    ),
    (
        "lifeline.lease.changed",
        include_str!("../../../events/lifeline.lease.changed.json"),
    ),
    (
        "lifeline.presence.overridden",
        include_str!("../../../events/lifeline.presence.overridden.json"),
    ),
    (
        "lifeline.notification.sent",
        include_str!("../../../events/lifeline.notification.sent.json"),
    ),
    (
        "lifeline.notification.failed",
        include_str!("../../../events/lifeline.notification.failed.json"),
    ),
    (
        "lifeline.call.ended",
        include_str!("../../../events/lifeline.call.ended.json"),
    ),
    (
        "lifeline.presence.restored",
        include_str!("../../../events/lifeline.presence.restored.json"),
    ),
];

/// `events/stream-events.json` through the handler publishes exactly the
/// sample events' details, in the stream's order (the envelopes' `id` and
/// `time` are EventBridge's own).
#[tokio::test]
async fn the_sample_batch_publishes_the_sample_events() {
    let rig = rig();
    let event: Event = serde_json::from_str(SAMPLE_BATCH).expect("events/stream-events.json");
    let r = rig.handler.handle(event, ARN, false).await;
    assert!(failed(&r).is_empty(), "{r:?}");
    assert!(rig.failures.kept().is_empty());
    let published = rig.bus.published();
    assert_eq!(
        rig.bus.detail_types(),
        SAMPLE_EVENTS.map(|(t, _)| t),
        "one event per sample, in the stream's order"
    );
    for (entry, (detail_type, file)) in published.iter().zip(SAMPLE_EVENTS) {
        let sample: Value = serde_json::from_str(file).expect(detail_type);
        assert_eq!(
            sample["detail-type"], detail_type,
            "events/{detail_type}.json"
        );
        assert_eq!(sample["source"], "lifeline");
        let detail: Value = serde_json::from_str(&entry.detail).unwrap();
        assert_eq!(
            detail, sample["detail"],
            "events/{detail_type}.json is not what the code publishes"
        );
    }
    // The samples the side-effect functions take are the same events.
    let same = |file: &str, sample: &str| {
        let a: Value = serde_json::from_str(file).unwrap();
        let b: Value = serde_json::from_str(sample).unwrap();
        assert_eq!(a, b);
    };
    same(
        include_str!("../../../events/presence-override.json"),
        SAMPLE_EVENTS[0].1,
    );
    same(
        include_str!("../../../events/notifier.json"),
        SAMPLE_EVENTS[0].1,
    );
    same(
        include_str!("../../../events/callback-lease-event.json"),
        SAMPLE_EVENTS[1].1,
    );
}
