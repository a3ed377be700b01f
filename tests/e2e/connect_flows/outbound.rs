//! The outbound whisper flow: emergency calls placed with Lifeline's caller ID.

use super::model::*;
use serde_json::Value;

#[test]
fn outbound_whisper_places_emergency_calls_with_lifelines_caller_id() {
    let flow = Flow::load(OUTBOUND);
    // Whisper flows cannot queue or transfer; nothing may hang up the call.
    for ty in [
        "TransferToFlow",
        "TransferContactToQueue",
        "UpdateContactTargetQueue",
        "UpdateContactRoutingBehavior",
        "DisconnectParticipant",
    ] {
        assert!(
            flow.of_type(ty).is_empty(),
            "{OUTBOUND}: {ty} has no place here"
        );
    }

    let invoke = flow.action(flow.start());
    assert_eq!(
        kind(invoke),
        "InvokeLambdaFunction",
        "the adapter answers first"
    );
    let attrs = &invoke["Parameters"]["LambdaInvocationAttributes"];
    assert_eq!(attrs["agent"], "$.Agent.ARN");
    assert_eq!(attrs["country"], "$.Attributes.lifelineCountry");
    assert_eq!(attrs["address"], "$.Attributes.lifelineAddress");

    // The answer is branched on.
    let compare = flow.action(invoke["Transitions"]["NextAction"].as_str().expect("next"));
    assert_eq!(kind(compare), "Compare");
    assert_eq!(
        compare["Parameters"]["ComparisonValue"],
        "$.External.lifelineAction"
    );

    // emergency: attributes set, the call placed with the leased caller ID,
    // or with the queue's when the answer holds none that looks like E.164
    // (a call Connect refuses to place ends with no error branch).
    let emergency = flow.on_equals(compare, "emergency");
    let on_emergency = flow.reachable(&emergency);
    let calls: Vec<&Value> = on_emergency
        .iter()
        .map(|i| flow.action(i))
        .filter(|a| kind(a) == "CompleteOutboundCall")
        .collect();
    let with_id: Vec<&&Value> = calls
        .iter()
        .filter(|a| a["Parameters"].get("CallerId").is_some())
        .collect();
    assert_eq!(with_id.len(), 1, "one call presents the leased caller ID");
    assert_eq!(
        with_id[0]["Parameters"]["CallerId"]["Number"],
        "$.External.callerIdNumber"
    );
    assert_eq!(calls.len(), 2, "and one presents the queue's caller ID");
    let guard = on_emergency
        .iter()
        .map(|i| flow.action(i))
        .find(|a| {
            kind(a) == "Compare"
                && a["Parameters"]["ComparisonValue"] == "$.External.callerIdNumber"
        })
        .expect("the caller ID is checked before it is used");
    let guarded = guard["Transitions"]["Conditions"][0]["NextAction"]
        .as_str()
        .expect("guard condition");
    assert_eq!(
        guard["Transitions"]["Conditions"][0]["Condition"]["Operator"],
        "TextStartsWith"
    );
    assert_eq!(
        guarded,
        id(with_id[0]),
        "only a +number reaches the caller-ID call"
    );
    for fallback in [
        on_error(guard, "NoMatchingCondition").expect("guard no-match"),
        guard["Transitions"]["NextAction"]
            .as_str()
            .expect("guard next"),
    ] {
        let a = flow.action(fallback);
        assert_eq!(kind(a), "CompleteOutboundCall");
        assert!(
            a["Parameters"].get("CallerId").is_none(),
            "{fallback} keeps the queue's caller ID"
        );
    }
    let set = on_emergency
        .iter()
        .map(|i| flow.action(i))
        .find(|a| kind(a) == "UpdateContactAttributes")
        .expect("the emergency branch sets contact attributes");
    assert_eq!(set["Parameters"]["Attributes"]["lifelineEmergency"], "true");
    assert_eq!(
        set["Parameters"]["Attributes"]["lifelineDegraded"],
        "$.External.degraded"
    );

    // continue (or anything else): the flow just ends and the call proceeds.
    let other = on_error(compare, "NoMatchingCondition").expect("no-match branch");
    assert_eq!(kind(flow.action(other)), "EndFlowExecution");
    assert_eq!(compare["Transitions"]["NextAction"], other);

    // Lambda error or timeout: the call is still placed, with the queue's
    // caller ID (no override), recording off.
    let failed = on_error(invoke, "NoMatchingError").expect("error branch");
    let fail_calls: Vec<&Value> = flow
        .reachable(failed)
        .iter()
        .map(|i| flow.action(i))
        .filter(|a| kind(a) == "CompleteOutboundCall")
        .collect();
    assert_eq!(
        fail_calls.len(),
        1,
        "the error branch places exactly one call"
    );
    assert!(
        fail_calls[0]["Parameters"].get("CallerId").is_none(),
        "the error branch keeps the queue's default caller ID"
    );
    let ends = flow
        .reachable(failed)
        .iter()
        .any(|i| kind(flow.action(i)) == "EndFlowExecution");
    assert!(ends, "the error branch ends the flow");
}
