//! A callback lease's fallbacks as Amazon Connect flows can reach them:
//! phone numbers, Connect users and queues, in the flows' few slots.

use lifeline_domain::call::InboundAnswer;
use lifeline_domain::types::{AgentId, E164};

/// How many of the lease's fallbacks the flows try, in order, after the
/// agent: `lifelineFallback1` … `lifelineFallback3`.
pub const FALLBACK_SLOTS: usize = 3;

/// The value of an empty slot (a flow attribute is never left out: "Set
/// contact attributes" sets all of its attributes or none).
pub const NO_FALLBACK: &str = "none";

/// A lease fallback as an Amazon Connect flow can reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectFallback {
    /// An external number: *Transfer to phone number*, a bounded ring.
    Phone(E164),
    /// A Connect user (Lifeline's agent id is the user id): the agent's
    /// queue, as an ARN when the instance is known, else the user id.
    Agent(String),
    /// A Connect queue, as its ARN.
    Queue(String),
}

impl ConnectFallback {
    /// `lifelineFallback<n>Kind`, which the flows branch on.
    pub fn kind(&self) -> &'static str {
        match self {
            ConnectFallback::Phone(_) => "phone",
            ConnectFallback::Agent(_) => "agent",
            ConnectFallback::Queue(_) => "queue",
        }
    }

    /// `lifelineFallback<n>`: what the flow transfers to.
    pub fn value(&self) -> &str {
        match self {
            ConnectFallback::Phone(n) => n.as_str(),
            ConnectFallback::Agent(a) | ConnectFallback::Queue(a) => a,
        }
    }
}

fn is_connect_id(s: &str) -> bool {
    s.len() == 36 && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// One lease fallback target (as `lifeline agent put --fallback` or
/// `LIFELINE_CALLBACK_FALLBACK` gives it) for Connect: an E.164 number; a
/// Connect queue or agent ARN; `queue:<queue id or ARN>`; or an agent id
/// (`agent:`/`client:` prefixes allowed). `None` when a flow cannot use it
/// (a queue by name, a malformed number).
pub fn connect_fallback(target: &str, instance_arn: Option<&str>) -> Option<ConnectFallback> {
    let target = target.trim();
    let connect_arn = |arn: &str| -> Option<ConnectFallback> {
        let (_, rest) = arn.split_once(":connect:")?;
        if rest.contains("/queue/") {
            Some(ConnectFallback::Queue(arn.to_string()))
        } else if rest.contains("/agent/") {
            Some(ConnectFallback::Agent(arn.to_string()))
        } else {
            None
        }
    };
    let agent = |id: &str| -> Option<ConnectFallback> {
        let id: AgentId = id.trim().parse().ok()?;
        Some(ConnectFallback::Agent(match instance_arn {
            Some(instance) => format!("{instance}/agent/{id}"),
            None => id.to_string(),
        }))
    };
    if target.starts_with('+') {
        return target.parse().ok().map(ConnectFallback::Phone);
    }
    if target.starts_with("arn:") {
        return connect_arn(target);
    }
    if let Some(queue) = target.strip_prefix("queue:").map(str::trim) {
        return match (queue.starts_with("arn:"), instance_arn) {
            (true, _) => connect_arn(queue).filter(|q| matches!(q, ConnectFallback::Queue(_))),
            (false, Some(instance)) if is_connect_id(queue) => {
                Some(ConnectFallback::Queue(format!("{instance}/queue/{queue}")))
            }
            // A queue name: the flow language takes ids and ARNs only.
            _ => None,
        };
    }
    let id = target
        .strip_prefix("agent:")
        .or_else(|| target.strip_prefix("client:"))
        .unwrap_or(target);
    agent(id)
}

/// The lease's fallbacks a Connect flow can use, in order, without the
/// agent itself or repeats, at most [`FALLBACK_SLOTS`]; and how many targets
/// were left out because a flow cannot reach them.
pub fn connect_fallbacks(
    agent_id: &str,
    targets: &[String],
    instance_arn: Option<&str>,
) -> (Vec<ConnectFallback>, usize) {
    let own = connect_fallback(agent_id, instance_arn);
    let mut usable: Vec<ConnectFallback> = vec![];
    let mut unusable = 0;
    for target in targets {
        match connect_fallback(target, instance_arn) {
            Some(f) if Some(&f) == own.as_ref() || usable.contains(&f) => {}
            Some(f) => usable.push(f),
            None => unusable += 1,
        }
    }
    usable.truncate(FALLBACK_SLOTS);
    (usable, unusable)
}

/// What the flow will try after the agent: kinds and counts only (the
/// targets are colleagues' numbers and ids, never logged).
pub(crate) fn log_fallbacks(answer: &InboundAnswer, instance_arn: Option<&str>) {
    if let InboundAnswer::ConnectAgent {
        agent_id, fallback, ..
    } = answer
    {
        let instance = instance_arn.filter(|i| i.contains(":instance/"));
        let (usable, unusable) = connect_fallbacks(agent_id, fallback, instance);
        let kinds: Vec<&str> = usable.iter().map(ConnectFallback::kind).collect();
        if usable.is_empty() {
            tracing::warn!(unusable, "callback with no fallback the Connect flow can use: after the agent, the fallback queue");
        } else if unusable > 0 {
            tracing::warn!(fallbacks = %kinds.join(","), unusable,
                "some lease fallbacks are neither an E.164 number, an agent id nor a queue id or ARN; the Connect flow skips them");
        } else {
            tracing::info!(fallbacks = %kinds.join(","), "callback fallbacks for the Connect flow");
        }
    }
}
