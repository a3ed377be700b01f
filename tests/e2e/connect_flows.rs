//! Structural checks of the Amazon Connect flows in `infra/connect/` (Flow
//! language, version 2019-10-30): the graph is well formed, the adapter Lambda
//! is invoked as its contract says, every Lambda invocation fails open, and
//! recording is off on every path that places or connects a call. No emulator,
//! no AWS: the flow files are read and walked as JSON.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

const OUTBOUND: &str = "outbound-whisper.json";
const INBOUND: &str = "inbound-callback.json";

/// The placeholders `infra/connect/render.sh` substitutes.
const PLACEHOLDERS: [&str; 3] = [
    "${ConnectAdapterArn}",
    "${FallbackQueueArn}",
    "${NormalInboundFlowArn}",
];

/// Actions after which the flow legitimately stops (or hands the contact
/// over): they need no `NextAction`.
const TERMINAL: [&str; 5] = [
    "DisconnectParticipant",
    "EndFlowExecution",
    "TransferToFlow",
    "TransferContactToQueue",
    "CompleteOutboundCall",
];

/// Characters the Flow language forbids in an action `Identifier`.
const FORBIDDEN_IN_IDENTIFIER: &str = "%:(\\/)=$,;[]{}";

struct Flow {
    name: &'static str,
    json: Value,
}

impl Flow {
    fn load(name: &'static str) -> Flow {
        let path = format!("{}/../infra/connect/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        Flow { name, json }
    }

    fn actions(&self) -> &Vec<Value> {
        self.json["Actions"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: Actions is not an array", self.name))
    }

    fn by_id(&self) -> BTreeMap<&str, &Value> {
        self.actions().iter().map(|a| (id(a), a)).collect()
    }

    fn action(&self, ident: &str) -> &Value {
        self.by_id()
            .get(ident)
            .copied()
            .unwrap_or_else(|| panic!("{}: no action {ident}", self.name))
    }

    fn of_type(&self, ty: &str) -> Vec<&Value> {
        self.actions().iter().filter(|a| kind(a) == ty).collect()
    }

    fn start(&self) -> &str {
        self.json["StartAction"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: StartAction is not a string", self.name))
    }

    /// Every `(action, flag)` pair reachable from `from`, where the flag says
    /// whether some action on the way (the action itself included) satisfied
    /// `sets_flag`. A state search, so loops are fine.
    fn walk(&self, from: &str, sets_flag: impl Fn(&Value) -> bool) -> BTreeSet<(String, bool)> {
        let by_id = self.by_id();
        let mut seen = BTreeSet::new();
        let mut todo = VecDeque::from([(from.to_string(), false)]);
        while let Some((ident, before)) = todo.pop_front() {
            let action = by_id
                .get(ident.as_str())
                .unwrap_or_else(|| panic!("{}: transition to missing action {ident}", self.name));
            let flag = before || sets_flag(action);
            if !seen.insert((ident.clone(), flag)) {
                continue;
            }
            for (_, next) in edges(action) {
                todo.push_back((next, flag));
            }
        }
        seen
    }

    fn reachable(&self, from: &str) -> BTreeSet<String> {
        self.walk(from, |_| false)
            .into_iter()
            .map(|(ident, _)| ident)
            .collect()
    }

    /// The action a `Compare` sends its `Equals <value>` condition to.
    fn on_equals(&self, compare: &Value, value: &str) -> String {
        compare["Transitions"]["Conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| {
                c["Condition"]["Operator"] == "Equals"
                    && c["Condition"]["Operands"] == Value::from(vec![value])
            })
            .and_then(|c| c["NextAction"].as_str())
            .map(String::from)
            .unwrap_or_else(|| {
                panic!(
                    "{}: {} has no Equals {value} condition",
                    self.name,
                    id(compare)
                )
            })
    }
}

fn id(action: &Value) -> &str {
    action["Identifier"]
        .as_str()
        .expect("Identifier is a string")
}

fn kind(action: &Value) -> &str {
    action["Type"].as_str().expect("Type is a string")
}

/// `(label, target)` for `NextAction`, each condition and each error.
fn edges(action: &Value) -> Vec<(String, String)> {
    let t = &action["Transitions"];
    let mut out = Vec::new();
    if let Some(next) = t["NextAction"].as_str() {
        out.push(("NextAction".to_string(), next.to_string()));
    }
    for c in t["Conditions"].as_array().into_iter().flatten() {
        let next = c["NextAction"].as_str().expect("condition NextAction");
        out.push((format!("Condition {}", c["Condition"]), next.to_string()));
    }
    for e in t["Errors"].as_array().into_iter().flatten() {
        let next = e["NextAction"].as_str().expect("error NextAction");
        let ty = e["ErrorType"].as_str().expect("ErrorType");
        out.push((format!("Error {ty}"), next.to_string()));
    }
    out
}

/// The action an error of this type goes to, if the action handles it.
fn on_error<'a>(action: &'a Value, error_type: &str) -> Option<&'a str> {
    action["Transitions"]["Errors"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["ErrorType"] == error_type)
        .and_then(|e| e["NextAction"].as_str())
}

fn recording_off(action: &Value) -> bool {
    kind(action) == "UpdateContactRecordingBehavior"
        && action["Parameters"]["RecordingBehavior"]["RecordedParticipants"] == Value::Array(vec![])
}

/// The actions that place a call (outbound) or hand the contact to an agent
/// or a queue (inbound).
fn connects_a_call(action: &Value) -> bool {
    matches!(
        kind(action),
        "CompleteOutboundCall" | "TransferContactToQueue"
    )
}

fn both() -> [Flow; 2] {
    [Flow::load(OUTBOUND), Flow::load(INBOUND)]
}

#[test]
fn both_flows_are_well_formed_graphs() {
    for flow in both() {
        let name = flow.name;
        assert_eq!(flow.json["Version"], "2019-10-30", "{name}: Version");
        assert!(!flow.actions().is_empty(), "{name}: no actions");

        let mut ids = BTreeSet::new();
        for a in flow.actions() {
            let ident = id(a);
            assert!(ids.insert(ident), "{name}: duplicate Identifier {ident}");
            assert!(
                !ident.is_empty() && ident.chars().count() <= 50,
                "{name}: Identifier {ident:?} must be 1 to 50 characters"
            );
            assert!(
                !ident.chars().any(|c| FORBIDDEN_IN_IDENTIFIER.contains(c)),
                "{name}: Identifier {ident:?} has a character the Flow language forbids"
            );
            assert!(
                a["Parameters"].is_object(),
                "{name}: {ident} has no Parameters object"
            );
            assert!(
                a["Transitions"].is_object(),
                "{name}: {ident} has no Transitions object"
            );
            for e in a["Transitions"]["Errors"].as_array().into_iter().flatten() {
                assert!(
                    e["ErrorType"].is_string(),
                    "{name}: {ident}: error without ErrorType"
                );
            }
            for c in a["Transitions"]["Conditions"]
                .as_array()
                .into_iter()
                .flatten()
            {
                assert!(
                    c["Condition"]["Operator"].is_string() && c["Condition"]["Operands"].is_array(),
                    "{name}: {ident}: condition without Operator and Operands"
                );
            }
        }

        assert!(
            ids.contains(flow.start()),
            "{name}: StartAction {} is not an action",
            flow.start()
        );
        for a in flow.actions() {
            for (label, next) in edges(a) {
                assert!(
                    ids.contains(next.as_str()),
                    "{name}: {} {label} -> {next}, which does not exist",
                    id(a)
                );
            }
            if !TERMINAL.contains(&kind(a)) {
                assert!(
                    a["Transitions"]["NextAction"].is_string(),
                    "{name}: {} ({}) has no NextAction",
                    id(a),
                    kind(a)
                );
            }
        }

        let reachable = flow.reachable(flow.start());
        for ident in &ids {
            assert!(
                reachable.contains(*ident),
                "{name}: {ident} is unreachable from StartAction"
            );
        }

        let meta = flow.json["Metadata"]["ActionMetadata"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: Metadata.ActionMetadata missing"));
        let meta_ids: BTreeSet<&str> = meta.keys().map(String::as_str).collect();
        assert_eq!(
            meta_ids, ids,
            "{name}: ActionMetadata must list exactly the actions"
        );

        let text = flow.json.to_string();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("${") {
            let tail = &rest[at..];
            let end = tail.find('}').map(|e| e + 1).unwrap_or(tail.len());
            let placeholder = &tail[..end];
            assert!(
                PLACEHOLDERS.contains(&placeholder),
                "{name}: {placeholder} is not a placeholder render.sh substitutes"
            );
            rest = &tail[end..];
        }
    }
}

#[test]
fn every_lambda_invocation_is_the_adapter_and_fails_open() {
    for (flow, flow_param) in [
        (Flow::load(OUTBOUND), "outbound"),
        (Flow::load(INBOUND), "inbound"),
    ] {
        let name = flow.name;
        let invokes = flow.of_type("InvokeLambdaFunction");
        assert!(!invokes.is_empty(), "{name}: no InvokeLambdaFunction");
        for a in invokes {
            let p = &a["Parameters"];
            assert_eq!(
                p["LambdaFunctionARN"],
                "${ConnectAdapterArn}",
                "{name}: {}",
                id(a)
            );
            assert_eq!(
                p["InvocationTimeLimitSeconds"], "8",
                "{name}: timeout is Connect's maximum"
            );
            assert_eq!(
                p["ResponseValidation"]["ResponseType"],
                "STRING_MAP",
                "{name}: {}",
                id(a)
            );
            assert_eq!(
                p["LambdaInvocationAttributes"]["flow"], flow_param,
                "{name}: passes flow"
            );
            assert!(
                on_error(a, "NoMatchingError").is_some(),
                "{name}: {} has no error branch: a Lambda failure must not stop the call",
                id(a)
            );
        }
    }
}

#[test]
fn every_action_that_can_fail_has_its_error_branch() {
    for flow in both() {
        for a in flow.actions() {
            let needed: &[&str] = match kind(a) {
                "Compare" => &["NoMatchingCondition"],
                "TransferContactToQueue" => &["QueueAtCapacity", "NoMatchingError"],
                "InvokeLambdaFunction"
                | "UpdateContactAttributes"
                | "UpdateContactTargetQueue"
                | "TransferToFlow"
                | "MessageParticipant" => &["NoMatchingError"],
                _ => &[],
            };
            for error_type in needed {
                assert!(
                    on_error(a, error_type).is_some(),
                    "{}: {} ({}) does not handle {error_type}",
                    flow.name,
                    id(a),
                    kind(a)
                );
            }
        }
    }
}

#[test]
fn recording_is_off_on_every_path_that_places_or_connects_a_call() {
    for flow in both() {
        for a in flow.of_type("UpdateContactRecordingBehavior") {
            assert!(
                recording_off(a),
                "{}: {} turns recording on",
                flow.name,
                id(a)
            );
        }
        assert!(
            !flow.json.to_string().contains("AnalyticsBehavior"),
            "{}: no analytics on these calls",
            flow.name
        );
        let by_id = flow.by_id();
        for (ident, off) in flow.walk(flow.start(), recording_off) {
            let action = by_id[ident.as_str()];
            if connects_a_call(action) {
                assert!(
                    off,
                    "{}: a path reaches {ident} ({}) with recording on",
                    flow.name,
                    kind(action)
                );
            }
        }
    }
}

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
    for source in &agent_queues {
        assert!(
            ["$.External.agentArn", "$.External.agentId"].contains(source),
            "agent queue from {source}"
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

/// `render.sh` fills every placeholder and writes valid JSON, and refuses
/// an ARN of the wrong kind.
#[test]
fn render_fills_every_placeholder() {
    let dir = std::env::temp_dir().join(format!("lifeline-render-{}", std::process::id()));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/connect/render.sh");
    let instance =
        "arn:aws:connect:us-east-1:111122223333:instance/c8c0e68d-2200-4265-82c0-5a4d8e2b1f3c";
    let run = |adapter: &str| {
        std::process::Command::new("bash")
            .arg(script)
            .args(["--connect-adapter-arn", adapter])
            .args([
                "--fallback-queue-arn",
                &format!("{instance}/queue/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"),
            ])
            .args([
                "--normal-inbound-flow-arn",
                &format!("{instance}/contact-flow/bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee"),
            ])
            .arg("--out")
            .arg(&dir)
            .output()
            .expect("bash runs")
    };
    let out = run("arn:aws:lambda:us-east-1:111122223333:function:lifeline-connect");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in ["outbound-whisper.json", "inbound-callback.json"] {
        let text = std::fs::read_to_string(dir.join(file)).expect("rendered");
        assert!(!text.contains("${"), "{file} keeps a placeholder");
        let flow: Value = serde_json::from_str(&text).expect("valid JSON");
        assert!(text.contains("function:lifeline-connect"), "{file}");
        assert_eq!(flow["Version"], "2019-10-30");
    }
    let bad = run("not-an-arn");
    assert!(!bad.status.success(), "a malformed ARN is refused");
    let _ = std::fs::remove_dir_all(&dir);
}
