//! The flows as a graph: loading, the actions' kinds and edges, the stages
//! a callback goes through, and what the tests below check them against.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

pub(super) const OUTBOUND: &str = "outbound-whisper.json";
pub(super) const INBOUND: &str = "inbound-callback.json";
/// The customer queue flow the inbound flow sets before each queue transfer.
pub(super) const QUEUE: &str = "callback-queue.json";

/// The placeholders `infra/connect/render.sh` substitutes.
pub(super) const PLACEHOLDERS: [&str; 4] = [
    "${ConnectAdapterArn}",
    "${FallbackQueueArn}",
    "${NormalInboundFlowArn}",
    "${CallbackQueueFlowArn}",
];

/// Actions after which the flow legitimately stops (or hands the contact
/// over): they need no `NextAction`.
pub(super) const TERMINAL: [&str; 5] = [
    "DisconnectParticipant",
    "EndFlowExecution",
    "TransferToFlow",
    "TransferContactToQueue",
    "CompleteOutboundCall",
];

/// Actions that wait and leave only through a condition or an error (the
/// console writes Loop prompts without a `NextAction`).
pub(super) const WAITS: [&str; 1] = ["MessageParticipantIteratively"];

/// The action types each flow may use, from each action's "Restrictions" in
/// the Flow language reference (an inbound contact flow, a customer queue
/// flow, an outbound whisper flow).
pub(super) const ALLOWED: [(&str, &[&str]); 3] = [
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
pub(super) const MAX_RING_SECONDS: u64 = 60;
/// How long a callback waits in one queue before the next target, at most.
pub(super) const MAX_QUEUE_WAIT_SECONDS: u64 = 120;

/// Characters the Flow language forbids in an action `Identifier`.
pub(super) const FORBIDDEN_IN_IDENTIFIER: &str = "%:(\\/)=$,;[]{}";

pub(super) struct Flow {
    pub(super) name: &'static str,
    pub(super) json: Value,
}

impl Flow {
    pub(super) fn load(name: &'static str) -> Flow {
        let path = format!("{}/../infra/connect/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        Flow { name, json }
    }

    pub(super) fn actions(&self) -> &Vec<Value> {
        self.json["Actions"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: Actions is not an array", self.name))
    }

    pub(super) fn by_id(&self) -> BTreeMap<&str, &Value> {
        self.actions().iter().map(|a| (id(a), a)).collect()
    }

    pub(super) fn action(&self, ident: &str) -> &Value {
        self.by_id()
            .get(ident)
            .copied()
            .unwrap_or_else(|| panic!("{}: no action {ident}", self.name))
    }

    pub(super) fn of_type(&self, ty: &str) -> Vec<&Value> {
        self.actions().iter().filter(|a| kind(a) == ty).collect()
    }

    pub(super) fn start(&self) -> &str {
        self.json["StartAction"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: StartAction is not a string", self.name))
    }

    /// Every `(action, flag)` pair reachable from `from`, where the flag says
    /// whether some action on the way (the action itself included) satisfied
    /// `sets_flag`. A state search, so loops are fine.
    pub(super) fn walk(
        &self,
        from: &str,
        sets_flag: impl Fn(&Value) -> bool,
    ) -> BTreeSet<(String, bool)> {
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
    pub(super) fn walk_states<S: Clone + Ord>(
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
    pub(super) fn compare_of(&self, value: &str) -> &Value {
        let found: Vec<&Value> = self
            .of_type("Compare")
            .into_iter()
            .filter(|a| a["Parameters"]["ComparisonValue"] == value)
            .collect();
        assert_eq!(found.len(), 1, "{}: one Compare of {value}", self.name);
        found[0]
    }

    pub(super) fn reachable(&self, from: &str) -> BTreeSet<String> {
        self.walk(from, |_| false)
            .into_iter()
            .map(|(ident, _)| ident)
            .collect()
    }

    /// The action a `Compare` sends its `Equals <value>` condition to.
    pub(super) fn on_equals(&self, compare: &Value, value: &str) -> String {
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

pub(super) fn id(action: &Value) -> &str {
    action["Identifier"]
        .as_str()
        .expect("Identifier is a string")
}

pub(super) fn kind(action: &Value) -> &str {
    action["Type"].as_str().expect("Type is a string")
}

/// `(label, target)` for `NextAction`, each condition and each error.
pub(super) fn edges(action: &Value) -> Vec<(String, String)> {
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
pub(super) fn on_error<'a>(action: &'a Value, error_type: &str) -> Option<&'a str> {
    action["Transitions"]["Errors"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["ErrorType"] == error_type)
        .and_then(|e| e["NextAction"].as_str())
}

pub(super) fn recording_off(action: &Value) -> bool {
    kind(action) == "UpdateContactRecordingBehavior"
        && action["Parameters"]["RecordingBehavior"]["RecordedParticipants"] == Value::Array(vec![])
}

/// The actions that place a call (outbound) or hand the contact to an agent,
/// a queue or a number (inbound, customer queue).
pub(super) fn connects_a_call(action: &Value) -> bool {
    matches!(
        kind(action),
        "CompleteOutboundCall"
            | "TransferContactToQueue"
            | "DequeueContactAndTransferToQueue"
            | "TransferParticipantToThirdParty"
    )
}

/// The order in which a callback's targets are tried.
pub(super) const AGENT: i8 = 0;
pub(super) const FALLBACK_SLOTS: i8 = 3;
pub(super) const FALLBACK_QUEUE: i8 = 4;
pub(super) const NORMAL_ROUTING: i8 = 5;

/// Which target a value names: the agent, fallback slot n, the fallback
/// queue.
pub(super) fn rank_of(source: &str) -> Option<i8> {
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
pub(super) fn target_rank(action: &Value) -> Option<i8> {
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
pub(super) fn stage_name(rank: i8) -> String {
    match rank {
        AGENT => "agent".into(),
        FALLBACK_QUEUE => "fallbackQueue".into(),
        n => format!("fallback{n}"),
    }
}

/// Where a callback has got to on one path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Progress {
    /// The target being tried ([`rank_of`]); -1 before the first.
    pub(super) rank: i8,
    /// Whether an action of that target has run (the next one must rank higher).
    pub(super) trying: bool,
    /// `lifelineStage` as last set.
    pub(super) stage: Option<String>,
    /// The customer queue flow (`CustomerQueue` hook) is set: a queue wait ends.
    pub(super) bounded: bool,
    /// A staffing check of the current target took its staffed branch.
    pub(super) staffed: bool,
    /// Arrived through a queue-to-queue transfer's success.
    pub(super) handed_over: bool,
}

impl Progress {
    pub(super) fn start() -> Progress {
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
    pub(super) fn step(&self, flow: &str, action: &Value, label: &str) -> Progress {
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
pub(super) fn loops_without_waiting(flow: &Flow) -> Option<String> {
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

pub(super) fn all() -> [Flow; 3] {
    [Flow::load(OUTBOUND), Flow::load(INBOUND), Flow::load(QUEUE)]
}
