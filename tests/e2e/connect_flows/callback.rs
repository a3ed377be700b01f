//! The inbound callback: the agent, then each fallback, then the fallback
//! queue, every wait bounded.

use super::model::*;
use serde_json::Value;
use std::collections::BTreeSet;

#[test]
fn inbound_callback_goes_to_the_agent_then_a_fallback_never_to_a_hang_up_first() {
    let flow = Flow::load(INBOUND);
    // Not available in inbound contact flows.
    for ty in ["EndFlowExecution", "CompleteOutboundCall"] {
        assert!(
            flow.of_type(ty).is_empty(),
            "{INBOUND}: {ty} has no place here"
        );
    }

    let invoke = flow.action(flow.start());
    assert_eq!(
        kind(invoke),
        "InvokeLambdaFunction",
        "the adapter answers first"
    );
    let compare = flow.action(invoke["Transitions"]["NextAction"].as_str().expect("next"));
    assert_eq!(kind(compare), "Compare");
    assert_eq!(
        compare["Parameters"]["ComparisonValue"],
        "$.External.lifelineAction"
    );

    let normal = |a: &Value| {
        kind(a) == "TransferToFlow" && a["Parameters"]["ContactFlowId"] == "${NormalInboundFlowArn}"
    };
    // continue, no match, Lambda error: the tenant's normal routing.
    for target in [
        on_error(compare, "NoMatchingCondition").expect("no-match branch"),
        compare["Transitions"]["NextAction"].as_str().expect("next"),
        on_error(invoke, "NoMatchingError").expect("error branch"),
    ] {
        assert!(
            normal(flow.action(target)),
            "{target} is not the normal-routing transfer"
        );
    }

    // connect_agent: the agent's queue, at priority 1.
    let agent_branch = flow.on_equals(compare, "connect_agent");
    let on_agent: Vec<&Value> = flow
        .reachable(&agent_branch)
        .iter()
        .map(|i| flow.action(i))
        .collect();
    let agent_queues: BTreeSet<&str> = on_agent
        .iter()
        .filter(|a| kind(a) == "UpdateContactTargetQueue")
        .filter_map(|a| a["Parameters"]["AgentId"].as_str())
        .collect();
    assert!(
        !agent_queues.is_empty(),
        "the connect_agent branch sets the agent's queue"
    );
    for source in ["$.External.agentArn", "$.External.agentId"] {
        assert!(
            agent_queues.contains(source),
            "the agent's queue from {source}"
        );
    }
    for source in &agent_queues {
        assert!(
            rank_of(source).is_some(),
            "an agent queue from {source}, neither the agent nor a fallback"
        );
    }
    let priority = on_agent
        .iter()
        .find(|a| kind(a) == "UpdateContactRoutingBehavior")
        .expect("the connect_agent branch sets the routing priority");
    assert_eq!(priority["Parameters"]["QueuePriority"], "1");
    // The priority is set before any queue transfer, so it holds for the
    // fallback queue too.
    let prioritised = |a: &Value| kind(a) == "UpdateContactRoutingBehavior";
    for (ident, set) in flow.walk(&agent_branch, prioritised) {
        if kind(flow.action(&ident)) == "TransferContactToQueue" {
            assert!(set, "{ident} is reached before the routing priority is set");
        }
    }

    // On failure: the fallback queue before anything that could hang up.
    let fallback = |a: &Value| {
        kind(a) == "UpdateContactTargetQueue" && a["Parameters"]["QueueId"] == "${FallbackQueueArn}"
    };
    assert!(
        on_agent.iter().any(|a| fallback(a)),
        "a fallback queue is configured"
    );
    for (ident, tried) in flow.walk(&agent_branch, fallback) {
        if kind(flow.action(&ident)) == "DisconnectParticipant" {
            assert!(
                tried,
                "{ident} can hang up a callback before the fallback queue was tried"
            );
        }
    }
    for a in flow.of_type("TransferContactToQueue") {
        let full = on_error(a, "QueueAtCapacity").expect("at-capacity branch");
        assert_ne!(
            kind(flow.action(full)),
            "DisconnectParticipant",
            "{}: at capacity must not hang up",
            id(a)
        );
    }
}

/// The agent's branch and the customer queue flow, walked path by path: the
/// agent (when staffed), then each fallback slot (a number rung for a
/// bounded time; an agent or a queue when staffed, with its own bound), then
/// the fallback queue, then the tenant's normal routing; never back, never
/// twice; every queue transfer after a staffing check of that queue and with
/// `lifelineStage` naming it; a hang-up only after the last resort.
#[test]
fn a_callback_tries_the_agent_then_each_fallback_then_the_fallback_queue() {
    let inbound = Flow::load(INBOUND);
    let queue = Flow::load(QUEUE);
    let compare = inbound.action("lifeline-check-action");
    let agent_branch = inbound.on_equals(compare, "connect_agent");
    let walked = inbound.walk_states(&agent_branch, Progress::start(), |p, a, label| {
        p.step(INBOUND, a, label)
    });
    let mut stages_queued = BTreeSet::new();
    let mut ranks_queued = BTreeSet::new();
    for (ident, p) in &walked {
        let action = inbound.action(ident);
        match kind(action) {
            "TransferContactToQueue" => {
                assert!(
                    p.staffed,
                    "{ident}: queued without a staffing check of that queue: {p:?}"
                );
                assert_eq!(
                    p.stage.as_deref(),
                    Some(stage_name(p.rank).as_str()),
                    "{ident}: lifelineStage does not name the queue: {p:?}"
                );
                // Only the last resort may wait unbounded, when the customer
                // queue flow itself could not be set.
                assert!(
                    p.bounded || p.rank == FALLBACK_QUEUE,
                    "{ident}: queued with no customer queue flow to end the wait: {p:?}"
                );
                stages_queued.insert(p.stage.clone().unwrap_or_default());
                ranks_queued.insert(p.rank);
            }
            "DisconnectParticipant" => assert_eq!(
                p.rank, NORMAL_ROUTING,
                "{ident}: hangs up before the fallback queue and normal routing were tried: {p:?}"
            ),
            _ => {}
        }
    }
    assert_eq!(
        ranks_queued,
        BTreeSet::from([AGENT, 1, 2, 3, FALLBACK_QUEUE]),
        "the agent, every fallback slot and the fallback queue are queued to"
    );
    let tried: BTreeSet<i8> = walked.iter().map(|(_, p)| p.rank).collect();
    assert!(tried.contains(&NORMAL_ROUTING), "normal routing comes last");

    // Each slot, for each kind the adapter answers, in both flows.
    for (flow, prefix) in [(&inbound, "$.External"), (&queue, "$.Attributes")] {
        for slot in 1..=FALLBACK_SLOTS {
            let value = format!("{prefix}.lifelineFallback{slot}");
            let kinds = flow.compare_of(&format!("{value}Kind"));
            let phone = flow.action(&flow.on_equals(kinds, "phone"));
            assert_eq!(
                kind(phone),
                "TransferParticipantToThirdParty",
                "{}",
                flow.name
            );
            assert_eq!(phone["Parameters"]["ThirdPartyPhoneNumber"], value.as_str());
            for (k, key) in [("agent", "AgentId"), ("queue", "QueueId")] {
                let on = flow.reachable(&flow.on_equals(kinds, k));
                let moves = on
                    .iter()
                    .map(|i| flow.action(i))
                    .filter(|a| {
                        matches!(
                            kind(a),
                            "UpdateContactTargetQueue" | "DequeueContactAndTransferToQueue"
                        ) && a["Parameters"][key] == value.as_str()
                    })
                    .count();
                assert!(
                    moves > 0,
                    "{}: a {k} in slot {slot} is never queued to",
                    flow.name
                );
            }
            // None (or anything else): the next slot.
            let skip = flow.action(on_error(kinds, "NoMatchingCondition").expect("no match"));
            assert_eq!(kinds["Transitions"]["NextAction"], id(skip));
            let next = match kind(skip) {
                "Compare" => rank_of(
                    skip["Parameters"]["ComparisonValue"]
                        .as_str()
                        .unwrap_or_default()
                        .trim_end_matches("Kind"),
                ),
                _ => target_rank(skip),
            };
            assert_eq!(
                next,
                Some(slot + 1),
                "{}: slot {slot} with no target",
                flow.name
            );
        }
    }

    // The customer queue flow takes over where the contact waits: each stage
    // the inbound flow queues with goes on to the targets after it.
    let dispatch = queue.compare_of("$.Attributes.lifelineStage");
    let mut stages_handled = BTreeSet::new();
    let mut starts: Vec<(Option<String>, String)> = dispatch["Transitions"]["Conditions"]
        .as_array()
        .expect("stage conditions")
        .iter()
        .map(|c| {
            let stage = c["Condition"]["Operands"][0]
                .as_str()
                .expect("stage")
                .to_string();
            stages_handled.insert(stage.clone());
            (
                Some(stage),
                c["NextAction"].as_str().expect("next").to_string(),
            )
        })
        .collect();
    // No stage (its attributes could not be set): from the first fallback.
    starts.push((
        None,
        on_error(dispatch, "NoMatchingCondition")
            .expect("unknown stage")
            .to_string(),
    ));
    assert_eq!(
        stages_handled, stages_queued,
        "the customer queue flow handles exactly the stages the inbound flow queues with"
    );
    for (stage, first) in starts {
        let rank = match stage.as_deref() {
            None => AGENT,
            Some(s) => (AGENT..=FALLBACK_QUEUE)
                .find(|r| stage_name(*r) == s)
                .unwrap_or_else(|| panic!("{QUEUE}: unknown stage {s}")),
        };
        let init = Progress {
            rank,
            // The last resort is where the contact stays: it may check it again.
            trying: rank == FALLBACK_QUEUE,
            stage: stage.clone(),
            bounded: true,
            staffed: false,
            handed_over: false,
        };
        for (ident, p) in queue.walk_states(&first, init, |p, a, label| p.step(QUEUE, a, label)) {
            let action = queue.action(&ident);
            match kind(action) {
                "DequeueContactAndTransferToQueue" => {
                    assert_eq!(target_rank(action), Some(p.rank), "{ident}: {p:?}");
                    assert!(p.staffed, "{ident}: moved without a staffing check: {p:?}");
                    assert_eq!(
                        p.stage.as_deref(),
                        Some(stage_name(p.rank).as_str()),
                        "{ident}: lifelineStage does not name the queue: {p:?}"
                    );
                }
                "DisconnectParticipant" => assert_eq!(
                    p.rank, FALLBACK_QUEUE,
                    "{ident}: hangs up before the fallback queue was tried: {p:?}"
                ),
                // The flow ends once the contact is in its next queue (whose
                // run takes over), or rests in the fallback queue.
                "EndFlowExecution" => assert!(
                    p.handed_over
                        || (p.rank == FALLBACK_QUEUE
                            && p.stage.as_deref() == Some("fallbackQueue")),
                    "{ident}: the flow ends with the contact in no queue it is bounded in: {p:?}"
                ),
                _ => {}
            }
        }
    }
}

/// Every wait has a bound: a number rings for a set time and the flow goes
/// on; a queue is entered with the customer queue flow set, whose loop is
/// interrupted after a set time; no loop runs without waiting.
#[test]
fn every_wait_for_a_callback_is_bounded() {
    for flow in [Flow::load(INBOUND), Flow::load(QUEUE)] {
        let name = flow.name;
        for a in flow.of_type("TransferParticipantToThirdParty") {
            let p = &a["Parameters"];
            assert_eq!(
                p["ContinueFlowExecution"],
                "True",
                "{name}: {}: the flow must go on",
                id(a)
            );
            let ring: u64 = p["ThirdPartyConnectionTimeLimitSeconds"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("{name}: {}: a static ring time", id(a)));
            assert!(
                (1..=MAX_RING_SECONDS).contains(&ring),
                "{name}: {} rings {ring} s",
                id(a)
            );
            // No caller ID override: the fallback sees the emergency service's number.
            assert!(p.get("CallerId").is_none(), "{name}: {}", id(a));
        }
        for a in flow.of_type("MessageParticipantIteratively") {
            let every: u64 = a["Parameters"]["InterruptFrequencySeconds"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("{name}: {}: waits with no interruption", id(a)));
            assert!(
                (21..=MAX_QUEUE_WAIT_SECONDS).contains(&every),
                "{name}: {} waits {every} s (more than 20, the agent's time to accept)",
                id(a)
            );
            let interrupted = a["Transitions"]["Conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["Condition"]["Operands"] == Value::from(vec!["MessagesInterrupted"]));
            assert!(
                interrupted,
                "{name}: {} has no MessagesInterrupted branch",
                id(a)
            );
        }
        for a in flow.of_type("CheckMetricData") {
            let metric = a["Parameters"]["MetricType"].as_str().unwrap_or_default();
            assert_eq!(metric, "NumberOfAgentsStaffed", "{name}: {}", id(a));
            let conditions = a["Transitions"]["Conditions"]
                .as_array()
                .expect("conditions");
            assert_eq!(conditions.len(), 1, "{name}: {}", id(a));
            assert_eq!(conditions[0]["Condition"]["Operator"], "NumberGreaterThan");
            assert_eq!(
                conditions[0]["Condition"]["Operands"],
                Value::from(vec!["0"])
            );
        }
        if let Some(at) = loops_without_waiting(&flow) {
            panic!("{name}: a loop through {at} never waits");
        }
    }
    let inbound = Flow::load(INBOUND);
    let hooks = inbound.of_type("UpdateContactEventHooks");
    assert_eq!(hooks.len(), 1, "the customer queue flow is set once");
    assert_eq!(
        hooks[0]["Parameters"]["EventHooks"],
        serde_json::json!({"CustomerQueue": "${CallbackQueueFlowArn}"})
    );
    // Its attributes reach the customer queue flow as contact attributes
    // ($.External is gone by then), all in one block.
    let saved = inbound
        .of_type("UpdateContactAttributes")
        .into_iter()
        .find(|a| {
            a["Parameters"]["Attributes"]
                .get("lifelineFallback1")
                .is_some()
        })
        .expect("the fallbacks are saved");
    for slot in 1..=FALLBACK_SLOTS {
        for key in [
            format!("lifelineFallback{slot}"),
            format!("lifelineFallback{slot}Kind"),
        ] {
            assert_eq!(
                saved["Parameters"]["Attributes"][&key],
                format!("$.External.{key}").as_str(),
                "{key}"
            );
        }
    }
    assert_eq!(saved["Parameters"]["TargetContact"], "Current");
}
