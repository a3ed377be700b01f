use super::*;
use aws_lambda_events::event::connect::ConnectEvent;
use lifeline_domain::call::{InboundAnswer, OutboundAnswer};
use lifeline_domain::numbers::OutsideLinePrefix;
use lifeline_domain::types::AgentId;
use lifeline_edge::fixtures::World;
use serde_json::json;
use serde_json::Value;
use std::sync::Arc;

const POOL: [&str; 2] = ["+14255550190", "+14255550191"];

fn sample(name: &str) -> Value {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn adapter(world: &World) -> ConnectAdapter<lifeline_app::fakes::MemoryStore> {
    ConnectAdapter::new(world.store.clone(), world.clock(), world.config.clone())
}

async fn flow(world: &World, event: Value) -> Value {
    adapter(world)
        .invoke(event)
        .await
        .expect("a flow always gets an answer")
}

#[test]
fn agent_ids_from_arns_or_ids() {
    let arn = "arn:aws:connect:us-east-1:111122223333:instance/c8c0/agent/5d2b-41";
    assert_eq!(
        agent_from_param(arn).map(|a| a.to_string()).as_deref(),
        Some("5d2b-41")
    );
    assert_eq!(
        agent_from_param("a-42").map(|a| a.to_string()).as_deref(),
        Some("a-42")
    );
    assert_eq!(agent_from_param(""), None);
    assert_eq!(agent_from_param("has space"), None);
}

#[test]
fn the_whisper_sample_translates_onto_the_canonical_dial() {
    let event: ConnectEvent =
        serde_json::from_value(sample("connect-outbound-whisper.json")).unwrap();
    match parse_flow(&event) {
        FlowRequest::Outbound(d) => {
            assert_eq!(d.call_id.as_str(), "4a573372-1f28-4e26-b97b-0c1d2e3f4a01");
            assert_eq!(d.agent_id.as_str(), "a-42");
            assert_eq!(d.dialed, "911", "+1911 from the CCP is 911");
            assert_eq!(d.from.as_str(), "+14255550100");
            let loc = d.location.expect("location from the parameters");
            assert_eq!(loc.country.as_deref(), Some("US"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn outbound_emergency_answers_the_leased_caller_id_with_recording_off() {
    let world = World::us(&POOL);
    let out = flow(&world, sample("connect-outbound-whisper.json")).await;
    assert_eq!(out["lifelineAction"], "emergency");
    assert!(
        POOL.contains(&out["callerIdNumber"].as_str().unwrap()),
        "{out}"
    );
    assert_eq!(out["recording"], "off");
    assert_eq!(out["emergencyNumber"], "911");
    assert_eq!(out["degraded"], "false");
    assert_eq!(out["test"], "false");
    assert_eq!(out["locationSource"], "call");
    assert!(out["locationQuality"].is_string(), "{out}");
    // Connect reads a flat map of strings.
    assert!(
        out.as_object().unwrap().values().all(Value::is_string),
        "{out}"
    );
    // A retried invocation answers the same number, one call recorded.
    let again = flow(&world, sample("connect-outbound-whisper.json")).await;
    assert_eq!(again["callerIdNumber"], out["callerIdNumber"]);
}

#[tokio::test]
async fn outbound_ordinary_continues_without_touching_the_store() {
    let world = World::us(&POOL);
    let out = flow(&world, sample("connect-outbound-ordinary.json")).await;
    assert_eq!(out, json!({"lifelineAction": "continue"}));
    assert_eq!(world.store.reads() + world.store.writes(), 0);
}

#[tokio::test]
async fn a_panic_below_the_whisper_fails_open() {
    let world = World::us(&POOL);
    let adapter = ConnectAdapter::new(
        Arc::new(lifeline_app::fakes::PanickingStore),
        world.clock(),
        world.config.clone(),
    );
    let out = adapter
        .invoke(sample("connect-outbound-whisper.json"))
        .await
        .expect("an answer");
    assert_eq!(
        (
            &out["lifelineAction"],
            &out["degraded"],
            &out["reason"],
            &out["recording"]
        ),
        (
            &json!("emergency"),
            &json!("true"),
            &json!("internal_error"),
            &json!("off")
        )
    );
}

/// A fail-open is reported: the call as Connect places it (the agent's own
/// number) reaches the outbox, and its consumer records exactly that.
#[tokio::test]
async fn a_fail_open_whisper_is_kept_in_the_outbox_as_presented() {
    use lifeline_app::fakes::MemoryCallOutbox;
    use lifeline_app::service::outbox::{OutboxService, Recorded};
    use lifeline_domain::degraded::DegradedReason;

    let world = World::us(&POOL);
    let outbox = Arc::new(MemoryCallOutbox::default());
    let adapter = ConnectAdapter::new(
        Arc::new(lifeline_app::fakes::PanickingStore),
        world.clock(),
        world.config.clone(),
    )
    .with_outbox(outbox.clone());
    let out = adapter
        .invoke(sample("connect-outbound-whisper.json"))
        .await
        .expect("an answer");
    assert_eq!(out["callerIdNumber"], "+14255550100");
    let kept = outbox.sent();
    assert_eq!(kept.len(), 1, "one report per fail-open");
    assert_eq!(kept[0].caller_id.as_str(), "+14255550100");
    assert_eq!(kept[0].reason, Some(DegradedReason::PlatformFailOpen));
    assert_eq!(kept[0].emergency_number, "911");

    // The outbox consumer, against the table: the record says what was placed.
    let consumer = OutboxService::new(
        world.store.clone(),
        world.clock(),
        Arc::new(lifeline_app::settings::Settings::from_lookup(|_| None).unwrap()),
    );
    let ttl = world.clock().now() + std::time::Duration::from_secs(30 * 3600);
    assert_eq!(
        consumer.record(&kept[0], ttl).await.ok(),
        Some(Recorded::Now)
    );
    let recorded = world
        .store
        .with_state(|s| s.calls.get(&kept[0].call_id).cloned())
        .expect("recorded");
    assert_eq!(recorded.caller_id.as_str(), "+14255550100");
    assert!(recorded.degraded && recorded.leased_number.is_none());

    // An ordinary dial that fails the same way is not an emergency call.
    adapter
        .invoke(sample("connect-outbound-ordinary.json"))
        .await
        .expect("an answer");
    assert_eq!(outbox.sent().len(), 1);
}

#[tokio::test]
async fn outbound_emergency_fails_open_when_the_store_fails() {
    let world = World::us(&POOL);
    world.store.set_failing(true);
    let out = flow(&world, sample("connect-outbound-whisper.json")).await;
    assert_eq!(out["lifelineAction"], "emergency");
    assert_eq!(
        out["callerIdNumber"], "+14255550100",
        "the agent's own number"
    );
    assert_eq!(out["degraded"], "true");
    assert_eq!(out["recording"], "off");
}

#[tokio::test]
async fn an_unusable_whisper_event_still_places_the_emergency_call() {
    let world = World::us(&POOL);
    // No agent parameter: the core cannot be asked.
    let mut event = sample("connect-outbound-whisper.json");
    event["Details"]["Parameters"] = json!({"flow": "outbound"});
    let out = flow(&world, event).await;
    assert_eq!(out["lifelineAction"], "emergency");
    assert_eq!(out["emergencyNumber"], "911");
    assert_eq!(out["callerIdNumber"], "+14255550100");
    assert_eq!(out["degraded"], "true");
    assert_eq!(out["reason"], "invalid_event");
    assert_eq!(world.store.writes(), 0);
    // Not even a contact flow event's shape (no ContactData): still placed.
    let out = flow(
        &world,
        json!({"Details": {"Parameters": {"flow": "outbound"}}, "Name": "ContactFlowEvent"}),
    )
    .await;
    assert_eq!(
        out["lifelineAction"], "continue",
        "nothing says it is an emergency"
    );
    let out = flow(
        &world,
        json!({"Details": {"ContactData": {"CustomerEndpoint": {"Address": "9-911"}}}}),
    )
    .await;
    assert_eq!(out["lifelineAction"], "emergency");
    assert_eq!(out["emergencyNumber"], "911");
    // An ordinary number in a broken event is just continued.
    let mut event = sample("connect-outbound-ordinary.json");
    event["Details"]["Parameters"] = json!({});
    event["Details"]["ContactData"]["ContactId"] = json!("bad id!");
    assert_eq!(flow(&world, event).await["lifelineAction"], "continue");
}

#[tokio::test]
async fn inbound_callback_to_a_leased_number_goes_to_the_agent_first() {
    let world = World::us(&POOL);
    let out = flow(&world, sample("connect-outbound-whisper.json")).await;
    let leased = out["callerIdNumber"].as_str().unwrap().to_string();
    let mut inbound = sample("connect-inbound.json");
    inbound["Details"]["ContactData"]["SystemEndpoint"]["Address"] = json!(leased);
    let answer = flow(&world, inbound).await;
    assert_eq!(answer["lifelineAction"], "connect_agent");
    assert_eq!(answer["agentId"], "a-42");
    assert_eq!(answer["queuePriority"], "1");
    assert_eq!(
        answer["agentArn"],
        "arn:aws:connect:us-east-1:111122223333:instance/c8c0e68d-2200-4265-82c0-5a4d8e2b1f3c/agent/a-42"
    );
    // Any other number follows normal routing.
    let mut other = sample("connect-inbound.json");
    other["Details"]["ContactData"]["SystemEndpoint"]["Address"] = json!("+14255550777");
    assert_eq!(
        flow(&world, other).await,
        json!({"lifelineAction": "continue"})
    );
}

#[tokio::test]
async fn inbound_continues_when_the_store_fails() {
    let world = World::us(&POOL);
    world.store.set_failing(true);
    let answer = flow(&world, sample("connect-inbound.json")).await;
    assert_eq!(answer, json!({"lifelineAction": "continue"}));
}

#[tokio::test]
async fn disconnect_ends_the_emergency_call_once() {
    let world = World::us(&POOL);
    flow(&world, sample("connect-outbound-whisper.json")).await;
    let a = adapter(&world);
    let first = a.invoke(sample("connect-disconnected.json")).await.unwrap();
    assert_eq!(first, json!({"ended": true}));
    let again = a.invoke(sample("connect-disconnected.json")).await.unwrap();
    assert_eq!(again, json!({"ended": true, "alreadyEnded": true}));
}

#[tokio::test]
async fn disconnects_of_other_contacts_are_no_ops_and_store_faults_are_retried() {
    let world = World::us(&POOL);
    let a = adapter(&world);
    // An ordinary contact: nothing recorded, nothing ended; the end is
    // kept (for its TTL) in case the call is recorded later.
    let out = a.invoke(sample("connect-disconnected.json")).await.unwrap();
    assert_eq!(out, json!({"ended": false, "kept": true}));
    let mut other = sample("connect-disconnected.json");
    other["detail"]["eventType"] = json!("CONNECTED_TO_AGENT");
    assert_eq!(a.invoke(other).await.unwrap()["reason"], "not_a_disconnect");
    let mut no_agent = sample("connect-disconnected.json");
    no_agent["detail"]
        .as_object_mut()
        .unwrap()
        .remove("agentInfo");
    assert_eq!(a.invoke(no_agent).await.unwrap()["reason"], "no_agent");
    // The store down: an error, so Lambda's async retries (then the DLQ) keep it.
    world.store.set_failing(true);
    assert!(matches!(
        a.invoke(sample("connect-disconnected.json")).await,
        Err(ConnectError::EndNotRecorded(_))
    ));
}

#[tokio::test]
async fn unknown_payloads_are_errors() {
    let world = World::us(&POOL);
    assert!(matches!(
        adapter(&world).invoke(json!({"hello": 1})).await,
        Err(ConnectError::Unrecognised(_))
    ));
}

#[test]
fn attributes_for_each_answer() {
    let prefix: OutsideLinePrefix = "9".parse().unwrap();
    let open = fail_open_outbound(Some("+1933"), None, &prefix, "timeout");
    assert_eq!(open["emergencyNumber"], "933");
    assert_eq!(open["test"], "true");
    assert_eq!(open["callerIdNumber"], "");
    let cont = outbound_attributes(&OutboundAnswer::Continue {
        reason: Some(lifeline_domain::degraded::DegradedReason::UnsupportedLocation),
    });
    assert_eq!(cont["reason"], "unsupported_location");
    let agent: AgentId = "a-1".parse().unwrap();
    let a = inbound_attributes(&InboundAnswer::connect(&agent, vec![]), Some("not-an-arn"));
    assert!(!a.contains_key("agentArn"));
}

const INSTANCE: &str =
    "arn:aws:connect:us-east-1:111122223333:instance/c8c0e68d-2200-4265-82c0-5a4d8e2b1f3c";
const QUEUE_ID: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

#[test]
fn callback_fallbacks_become_the_flows_attributes_in_order() {
    let agent: AgentId = "a-1".parse().unwrap();
    let answer = InboundAnswer::connect(
        &agent,
        vec![
            "+14255550111".into(),
            "a-1".into(),                // the agent itself: already tried
            "queue:Supervisors".into(),  // a queue name: no flow can use it
            " a-7 ".into(),              // a colleague (a Connect user id)
            "+14255550111".into(),       // a repeat
            format!("queue:{QUEUE_ID}"), // a queue id of this instance
            format!("{INSTANCE}/queue/bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee"), // a fourth: no slot
        ],
    );
    let a = inbound_attributes(&answer, Some(INSTANCE));
    // The names the flow already reads are unchanged.
    assert_eq!(a["lifelineAction"], "connect_agent");
    assert_eq!(a["agentId"], "a-1");
    assert_eq!(a["agentArn"], format!("{INSTANCE}/agent/a-1"));
    assert_eq!(a["queuePriority"], "1");
    assert_eq!(a["recording"], "off");
    // Then the fallbacks, in the lease's order, as the flow transfers to them.
    assert_eq!(a["lifelineFallback1Kind"], "phone");
    assert_eq!(a["lifelineFallback1"], "+14255550111");
    assert_eq!(a["lifelineFallback2Kind"], "agent");
    assert_eq!(a["lifelineFallback2"], format!("{INSTANCE}/agent/a-7"));
    assert_eq!(a["lifelineFallback3Kind"], "queue");
    assert_eq!(
        a["lifelineFallback3"],
        format!("{INSTANCE}/queue/{QUEUE_ID}")
    );
    assert!(!a.contains_key("lifelineFallback4"), "three slots: {a:?}");
    let (_, unusable) = connect_fallbacks(
        "a-1",
        &match &answer {
            InboundAnswer::ConnectAgent { fallback, .. } => fallback.clone(),
            InboundAnswer::Continue {} => unreachable!(),
        },
        Some(INSTANCE),
    );
    assert_eq!(unusable, 1, "only the queue name is unusable");

    // No fallback: every slot is still answered (Set contact attributes sets
    // all of its attributes or none), as "none".
    let a = inbound_attributes(&InboundAnswer::connect(&agent, vec![]), Some(INSTANCE));
    for slot in 1..=FALLBACK_SLOTS {
        assert_eq!(a[&format!("lifelineFallback{slot}")], NO_FALLBACK);
        assert_eq!(a[&format!("lifelineFallback{slot}Kind")], NO_FALLBACK);
    }
    // A continue answer carries none of it.
    assert_eq!(
        inbound_attributes(&InboundAnswer::Continue {}, Some(INSTANCE)).len(),
        1
    );
}

#[test]
fn fallback_targets_as_connect_reaches_them() {
    let at = |t: &str, i: Option<&str>| connect_fallback(t, i);
    assert_eq!(
        at("+4535550100", None),
        Some(ConnectFallback::Phone("+4535550100".parse().unwrap()))
    );
    assert_eq!(at("+12", None), None, "not E.164");
    assert_eq!(
        at("4255550111", None).map(|f| f.kind()),
        Some("agent"),
        "an id, not a number"
    );
    // Without the instance an agent stays a user id (Set working queue takes both),
    // and a bare queue id cannot be made an ARN.
    assert_eq!(
        at("client:a-7", None),
        Some(ConnectFallback::Agent("a-7".into()))
    );
    assert_eq!(at(&format!("queue:{QUEUE_ID}"), None), None);
    let queue_arn = format!("{INSTANCE}/queue/{QUEUE_ID}");
    assert_eq!(
        at(&format!("queue:{queue_arn}"), None),
        Some(ConnectFallback::Queue(queue_arn.clone()))
    );
    assert_eq!(at(&queue_arn, None).map(|f| f.kind()), Some("queue"));
    let agent_arn = format!("{INSTANCE}/agent/5d2b-41");
    assert_eq!(
        at(&agent_arn, None),
        Some(ConnectFallback::Agent(agent_arn.clone()))
    );
    assert_eq!(at(&format!("queue:{agent_arn}"), None), None, "not a queue");
    assert_eq!(at("arn:aws:sns:us-east-1:111122223333:topic", None), None);
    assert_eq!(at("has space", Some(INSTANCE)), None);
}

/// The flows read exactly what the adapter answers: every `$.External.*` the
/// inbound flow uses is an attribute of a `connect_agent` answer, and every
/// kind it branches on is one the adapter gives.
#[test]
fn the_inbound_flow_reads_what_the_adapter_answers() {
    let path = format!(
        "{}/../../infra/connect/inbound-callback.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let agent: AgentId = "a-1".parse().unwrap();
    let full = inbound_attributes(
        &InboundAnswer::connect(
            &agent,
            vec![
                "+14255550111".into(),
                "a-7".into(),
                format!("queue:{QUEUE_ID}"),
            ],
        ),
        Some(INSTANCE),
    );
    let mut read = std::collections::BTreeSet::new();
    for (at, _) in text.match_indices("$.External.") {
        let name: String = text[at + "$.External.".len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(
            full.contains_key(&name),
            "the flow reads $.External.{name}, which the adapter never answers"
        );
        read.insert(name);
    }
    for slot in 1..=FALLBACK_SLOTS {
        for key in [
            format!("lifelineFallback{slot}"),
            format!("lifelineFallback{slot}Kind"),
        ] {
            assert!(read.contains(&key), "the flow never reads {key}");
        }
    }
    let flow: Value = serde_json::from_str(&text).unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    for action in flow["Actions"].as_array().unwrap() {
        let compared = action["Parameters"]["ComparisonValue"]
            .as_str()
            .unwrap_or_default();
        if compared.starts_with("$.External.lifelineFallback") && compared.ends_with("Kind") {
            for c in action["Transitions"]["Conditions"].as_array().unwrap() {
                kinds.insert(c["Condition"]["Operands"][0].as_str().unwrap().to_string());
            }
        }
    }
    let answered: std::collections::BTreeSet<String> =
        ["phone", "agent", "queue"].map(String::from).into();
    assert_eq!(kinds, answered, "the kinds the flow branches on");
}
