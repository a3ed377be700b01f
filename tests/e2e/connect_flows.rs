//! Structural checks of the Amazon Connect flows in `infra/connect/` (Flow
//! language, version 2019-10-30): the graph is well formed, the adapter Lambda
//! is invoked as its contract says, every Lambda invocation fails open,
//! recording is off on every path that places or connects a call, and a
//! callback is never stranded: the agent, then each of the lease's fallbacks,
//! then the fallback queue, every wait bounded. No emulator, no AWS: the flow
//! files are read and walked as JSON.
//!
//! References (Amazon Connect Flow language, "Actions"): CheckMetricData
//! ("If the MetricType is NumberOfAgents* then the only supported condition is
//! NumberGreaterThan 0"; usable in inbound, transfer and customer queue flows),
//! TransferParticipantToThirdParty (`ThirdPartyConnectionTimeLimitSeconds`
//! 0 to 600, "Only used if ContinueFlowExecution is not False"; errors
//! `ConnectionTimeLimitExceeded`, `CallFailed`, `NoMatchingError`; contact,
//! transfer and customer queue flows), MessageParticipantIteratively
//! (`InterruptFrequencySeconds`, result `MessagesInterrupted`; customer queue
//! and hold flows), DequeueContactAndTransferToQueue (customer queue flow only;
//! `QueueAtCapacity`, `NoMatchingError`), UpdateContactEventHooks
//! (`CustomerQueue`), UpdateContactAttributes ("either all attributes are set
//! or none"). The admin guide's Loop prompts page: "Always use an interruption
//! period that's greater than 20 seconds".

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

const OUTBOUND: &str = "outbound-whisper.json";
const INBOUND: &str = "inbound-callback.json";
/// The customer queue flow the inbound flow sets before each queue transfer.
const QUEUE: &str = "callback-queue.json";

/// The placeholders `infra/connect/render.sh` substitutes.
const PLACEHOLDERS: [&str; 4] = [
    "${ConnectAdapterArn}",
    "${FallbackQueueArn}",
    "${NormalInboundFlowArn}",
    "${CallbackQueueFlowArn}",
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

/// Actions that wait and leave only through a condition or an error (the
/// console writes Loop prompts without a `NextAction`).
const WAITS: [&str; 1] = ["MessageParticipantIteratively"];

/// The action types each flow may use, from each action's "Restrictions" in
/// the Flow language reference (an inbound contact flow, a customer queue
/// flow, an outbound whisper flow).
const ALLOWED: [(&str, &[&str]); 3] = [
    (
        OUTBOUND,
        &[
            "InvokeLambdaFunction",
            "Compare",
            "UpdateContactRecordingBehavior",
            "UpdateContactAttributes",
            "CompleteOutboundCall",
            "EndFlowExecution",
        ],
    ),
    (
        INBOUND,
        &[
            "InvokeLambdaFunction",
            "Compare",
            "UpdateContactRecordingBehavior",
            "UpdateContactRoutingBehavior",
            "UpdateContactAttributes",
            "UpdateContactEventHooks",
            "UpdateContactTargetQueue",
            "CheckMetricData",
            "TransferContactToQueue",
            "TransferParticipantToThirdParty",
            "TransferToFlow",
            "MessageParticipant",
            "DisconnectParticipant",
        ],
    ),
    (
        QUEUE,
        &[
            "UpdateContactRecordingBehavior",
            "MessageParticipantIteratively",
            "Compare",
            "CheckMetricData",
            "UpdateContactAttributes",
            "TransferParticipantToThirdParty",
            "DequeueContactAndTransferToQueue",
            "EndFlowExecution",
            "MessageParticipant",
            "DisconnectParticipant",
        ],
    ),
];

/// How long a fallback number rings, at most (seconds; Twilio's is 20).
const MAX_RING_SECONDS: u64 = 60;
/// How long a callback waits in one queue before the next target, at most.
const MAX_QUEUE_WAIT_SECONDS: u64 = 120;

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

    /// Every `(action, state)` pair reachable from `from` starting in
    /// `init`, where `step(state, action, edge label)` is the state on
    /// arrival at that edge's target. A state search: a loop ends once its
    /// states repeat.
    fn walk_states<S: Clone + Ord>(
        &self,
        from: &str,
        init: S,
        step: impl Fn(&S, &Value, &str) -> S,
    ) -> BTreeSet<(String, S)> {
        let by_id = self.by_id();
        let mut seen = BTreeSet::new();
        let mut todo = VecDeque::from([(from.to_string(), init)]);
        while let Some((ident, state)) = todo.pop_front() {
            if !seen.insert((ident.clone(), state.clone())) {
                continue;
            }
            let action = by_id
                .get(ident.as_str())
                .unwrap_or_else(|| panic!("{}: transition to missing action {ident}", self.name));
            for (label, next) in edges(action) {
                todo.push_back((next, step(&state, action, &label)));
            }
        }
        seen
    }

    /// The one `Compare` of `value`.
    fn compare_of(&self, value: &str) -> &Value {
        let found: Vec<&Value> = self
            .of_type("Compare")
            .into_iter()
            .filter(|a| a["Parameters"]["ComparisonValue"] == value)
            .collect();
        assert_eq!(found.len(), 1, "{}: one Compare of {value}", self.name);
        found[0]
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

/// The actions that place a call (outbound) or hand the contact to an agent,
/// a queue or a number (inbound, customer queue).
fn connects_a_call(action: &Value) -> bool {
    matches!(
        kind(action),
        "CompleteOutboundCall"
            | "TransferContactToQueue"
            | "DequeueContactAndTransferToQueue"
            | "TransferParticipantToThirdParty"
    )
}

/// The order in which a callback's targets are tried.
const AGENT: i8 = 0;
const FALLBACK_SLOTS: i8 = 3;
const FALLBACK_QUEUE: i8 = 4;
const NORMAL_ROUTING: i8 = 5;

/// Which target a value names: the agent, fallback slot n, the fallback
/// queue.
fn rank_of(source: &str) -> Option<i8> {
    match source {
        "$.External.agentArn" | "$.External.agentId" => Some(AGENT),
        "${FallbackQueueArn}" => Some(FALLBACK_QUEUE),
        s => s
            .strip_prefix("$.External.lifelineFallback")
            .or_else(|| s.strip_prefix("$.Attributes.lifelineFallback"))
            .and_then(|n| n.parse::<i8>().ok())
            .filter(|n| (1..=FALLBACK_SLOTS).contains(n)),
    }
}

/// The target an action works on, if any: the queue it sets or checks, the
/// number it rings, the queue it moves the contact to, normal routing.
fn target_rank(action: &Value) -> Option<i8> {
    let p = &action["Parameters"];
    let source = match kind(action) {
        "UpdateContactTargetQueue" | "CheckMetricData" | "DequeueContactAndTransferToQueue" => {
            p["AgentId"].as_str().or_else(|| p["QueueId"].as_str())
        }
        "TransferParticipantToThirdParty" => p["ThirdPartyPhoneNumber"].as_str(),
        "TransferToFlow" => {
            return (p["ContactFlowId"] == "${NormalInboundFlowArn}").then_some(NORMAL_ROUTING)
        }
        _ => None,
    };
    source.and_then(rank_of)
}

/// `lifelineStage`, which tells the customer queue flow which target the
/// contact waits for.
fn stage_name(rank: i8) -> String {
    match rank {
        AGENT => "agent".into(),
        FALLBACK_QUEUE => "fallbackQueue".into(),
        n => format!("fallback{n}"),
    }
}

/// Where a callback has got to on one path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Progress {
    /// The target being tried ([`rank_of`]); -1 before the first.
    rank: i8,
    /// Whether an action of that target has run (the next one must rank higher).
    trying: bool,
    /// `lifelineStage` as last set.
    stage: Option<String>,
    /// The customer queue flow (`CustomerQueue` hook) is set: a queue wait ends.
    bounded: bool,
    /// A staffing check of the current target took its staffed branch.
    staffed: bool,
    /// Arrived through a queue-to-queue transfer's success.
    handed_over: bool,
}

impl Progress {
    fn start() -> Progress {
        Progress {
            rank: -1,
            trying: false,
            stage: None,
            bounded: false,
            staffed: false,
            handed_over: false,
        }
    }

    /// The state on the far side of `label` of `action`; panics when the
    /// action goes back to an earlier target or tries one again.
    fn step(&self, flow: &str, action: &Value, label: &str) -> Progress {
        let mut p = self.clone();
        p.handed_over = false;
        if let Some(rank) = target_rank(action) {
            assert!(
                rank > p.rank || (rank == p.rank && p.trying),
                "{flow}: {} tries target {rank} after target {}: a callback goes agent, \
                 fallbacks 1 to 3, fallback queue, in that order, each once",
                id(action),
                p.rank
            );
            if rank != p.rank {
                p.staffed = false;
            }
            p.rank = rank;
            p.trying = true;
        }
        let params = &action["Parameters"];
        match kind(action) {
            "CheckMetricData" if label.starts_with("Condition") => p.staffed = true,
            "UpdateContactAttributes" if label == "NextAction" => {
                if let Some(stage) = params["Attributes"]["lifelineStage"].as_str() {
                    p.stage = Some(stage.to_string());
                }
            }
            "UpdateContactEventHooks"
                if label == "NextAction"
                    && params["EventHooks"]["CustomerQueue"] == "${CallbackQueueFlowArn}" =>
            {
                p.bounded = true
            }
            "DequeueContactAndTransferToQueue" if label == "NextAction" => p.handed_over = true,
            _ => {}
        }
        p
    }
}

/// Whether the graph, without the edges a wait takes when its time is up,
/// still has a cycle (a loop that never waits).
fn loops_without_waiting(flow: &Flow) -> Option<String> {
    let by_id = flow.by_id();
    let next = |a: &Value| -> Vec<String> {
        edges(a)
            .into_iter()
            .filter(|(label, _)| !label.contains("MessagesInterrupted"))
            .map(|(_, n)| n)
            .collect()
    };
    // Depth-first, colouring: 1 on the stack, 2 done.
    let mut colour: BTreeMap<String, u8> = BTreeMap::new();
    fn visit(
        ident: &str,
        by_id: &BTreeMap<&str, &Value>,
        next: &dyn Fn(&Value) -> Vec<String>,
        colour: &mut BTreeMap<String, u8>,
    ) -> Option<String> {
        match colour.get(ident) {
            Some(1) => return Some(ident.to_string()),
            Some(_) => return None,
            None => {}
        }
        colour.insert(ident.to_string(), 1);
        for n in next(by_id[ident]) {
            if let Some(found) = visit(&n, by_id, next, colour) {
                return Some(found);
            }
        }
        colour.insert(ident.to_string(), 2);
        None
    }
    by_id
        .keys()
        .find_map(|ident| visit(ident, &by_id, &next, &mut colour))
}

fn all() -> [Flow; 3] {
    [Flow::load(OUTBOUND), Flow::load(INBOUND), Flow::load(QUEUE)]
}

#[test]
fn every_flow_is_a_well_formed_graph() {
    for flow in all() {
        let name = flow.name;
        assert_eq!(flow.json["Version"], "2019-10-30", "{name}: Version");
        assert!(!flow.actions().is_empty(), "{name}: no actions");
        let allowed = ALLOWED
            .iter()
            .find(|(file, _)| *file == name)
            .map(|(_, types)| *types)
            .expect("allowed types");
        for a in flow.actions() {
            assert!(
                allowed.contains(&kind(a)),
                "{name}: {} ({}) is not available in this type of flow",
                id(a),
                kind(a)
            );
        }

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
            if !TERMINAL.contains(&kind(a)) && !WAITS.contains(&kind(a)) {
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
    for flow in all() {
        for a in flow.actions() {
            let needed: &[&str] = match kind(a) {
                "Compare" => &["NoMatchingCondition"],
                "TransferContactToQueue" | "DequeueContactAndTransferToQueue" => {
                    &["QueueAtCapacity", "NoMatchingError"]
                }
                // Both only with ContinueFlowExecution True, which every ring here uses.
                "TransferParticipantToThirdParty" => &[
                    "CallFailed",
                    "ConnectionTimeLimitExceeded",
                    "NoMatchingError",
                ],
                "InvokeLambdaFunction"
                | "UpdateContactAttributes"
                | "UpdateContactTargetQueue"
                | "UpdateContactEventHooks"
                | "CheckMetricData"
                | "TransferToFlow"
                | "MessageParticipant"
                | "MessageParticipantIteratively" => &["NoMatchingError"],
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
    for flow in all() {
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

/// `render.sh` fills every placeholder and writes valid JSON, in two passes
/// (the inbound flow names the customer queue flow, which must be imported
/// first), takes the adapter and the fallback queue from the stack's outputs
/// with `--stack`, and refuses an ARN of the wrong kind or instance.
#[test]
fn render_fills_every_placeholder() {
    let dir = std::env::temp_dir().join(format!("lifeline-render-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/connect/render.sh");
    let instance =
        "arn:aws:connect:us-east-1:111122223333:instance/c8c0e68d-2200-4265-82c0-5a4d8e2b1f3c";
    let queue_arn = format!("{instance}/queue/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    let normal = format!("{instance}/contact-flow/bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee");
    let queue_flow = format!("{instance}/contact-flow/cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee");
    let run = |out: &std::path::Path, args: &[&str], path: Option<&std::path::Path>| {
        let mut cmd = std::process::Command::new("bash");
        cmd.arg(script).args(args).arg("--out").arg(out);
        if let Some(bin) = path {
            let old = std::env::var("PATH").unwrap_or_default();
            cmd.env("PATH", format!("{}:{old}", bin.display()));
        }
        cmd.output().expect("bash runs")
    };
    let ok = |out: &std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let rendered = |out: &std::path::Path, file: &str| -> String {
        let text = std::fs::read_to_string(out.join(file)).expect("rendered");
        assert!(!text.contains("${"), "{file} keeps a placeholder");
        let flow: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(flow["Version"], "2019-10-30");
        text
    };
    let adapter = "arn:aws:lambda:us-east-1:111122223333:function:lifeline-connect";
    let base = [
        "--connect-adapter-arn",
        adapter,
        "--fallback-queue-arn",
        queue_arn.as_str(),
        "--normal-inbound-flow-arn",
        normal.as_str(),
    ];

    // First pass: the whisper and the customer queue flow; the inbound flow waits.
    let first = dir.join("first");
    let said = ok(&run(&first, &base, None));
    assert!(rendered(&first, OUTBOUND).contains("function:lifeline-connect"));
    assert!(rendered(&first, QUEUE).contains(&queue_arn));
    assert!(
        !first.join(INBOUND).exists(),
        "the inbound flow needs the queue flow's ARN"
    );
    assert!(said.contains("--type CUSTOMER_QUEUE"), "{said}");
    assert!(said.contains("--callback-queue-flow-arn"), "{said}");

    // Second pass, with the imported queue flow's ARN.
    let second = dir.join("second");
    let mut args = base.to_vec();
    args.extend(["--callback-queue-flow-arn", queue_flow.as_str()]);
    let said = ok(&run(&second, &args, None));
    let text = rendered(&second, INBOUND);
    for value in [
        adapter,
        queue_arn.as_str(),
        normal.as_str(),
        queue_flow.as_str(),
    ] {
        assert!(text.contains(value), "{INBOUND} lacks {value}");
    }
    assert!(said.contains("--type CONTACT_FLOW"), "{said}");

    // --stack: the adapter and the fallback queue from the stack's outputs (a
    // stand-in `aws` answers describe-stacks as the CLI does with --query).
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let outputs = serde_json::json!([
        {"OutputKey": "ConnectAdapterFunctionArn", "OutputValue": adapter},
        {"OutputKey": "ConnectFallbackQueueArn", "OutputValue": queue_arn},
    ]);
    let fake = bin.join("aws");
    std::fs::write(
        &fake,
        format!(
            "#!/usr/bin/env bash\n[ \"$1 $2 $3 $4\" = \"cloudformation describe-stacks --stack-name lifeline-test\" ] || exit 254\necho '{outputs}'\n"
        ),
    )
    .expect("fake aws");
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&fake)
        .status()
        .expect("chmod");
    let stacked = dir.join("stack");
    ok(&run(
        &stacked,
        &[
            "--stack",
            "lifeline-test",
            "--normal-inbound-flow-arn",
            normal.as_str(),
        ],
        Some(&bin),
    ));
    assert!(rendered(&stacked, OUTBOUND).contains("function:lifeline-connect"));
    assert!(rendered(&stacked, QUEUE).contains(&queue_arn));
    let missing = run(
        &dir.join("missing"),
        &["--stack", "other-stack"],
        Some(&bin),
    );
    assert!(
        !missing.status.success(),
        "a stack that cannot be read is refused"
    );

    // Refused: a malformed ARN, a queue flow of another instance.
    let mut bad = base.to_vec();
    bad[1] = "not-an-arn";
    assert!(
        !run(&dir.join("bad"), &bad, None).status.success(),
        "a malformed ARN"
    );
    let other = "arn:aws:connect:us-east-1:111122223333:instance/dddddddd-2200-4265-82c0-5a4d8e2b1f3c/contact-flow/cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee";
    let mut args = base.to_vec();
    args.extend(["--callback-queue-flow-arn", other]);
    let refused = run(&dir.join("other"), &args, None);
    assert!(
        !refused.status.success(),
        "a queue flow of another instance"
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("different instances"));
    let _ = std::fs::remove_dir_all(&dir);
}
