//! What a replay may do (pure): the stage whose places are read, the
//! stage's own functions (the only ones a replay invokes) and the plan for
//! each dead letter.

use serde_json::Value;

/// The deployment stage whose queues are read (`lifeline-<stage>-…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage(String);

impl Stage {
    /// As the template allows it: 1 to 20 lowercase letters, digits, dashes.
    pub fn parse(stage: &str) -> Result<Self, String> {
        let ok = (1..=20).contains(&stage.len())
            && stage
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        match ok {
            true => Ok(Stage(stage.to_string())),
            false => Err(format!(
                "`{stage}`: 1 to 20 lowercase letters, digits and dashes, as the template's Stage"
            )),
        }
    }

    /// As given (`prod`).
    pub fn name(&self) -> &str {
        &self.0
    }

    /// What every queue of the stage is named with first.
    pub fn queue_prefix(&self) -> String {
        format!("lifeline-{}-", self.0)
    }

    /// A queue that keeps failures: the stage's, ending `-failures` or `-dlq`.
    pub fn is_failure_queue(&self, name: &str) -> bool {
        name.starts_with(&self.queue_prefix())
            && (name.ends_with("-failures") || name.ends_with("-dlq"))
    }

    /// The dial's outbox, whose consumer records a call the table did not take.
    pub fn outbox_queue(&self) -> String {
        format!("lifeline-{}-call-outbox", self.0)
    }

    /// Where the outbox's messages go once its consumer gave up.
    pub fn outbox_dead_letter_queue(&self) -> String {
        format!("lifeline-{}-call-outbox-dlq", self.0)
    }
}

/// A function of the stage, by its deployed name: the only thing a replay
/// invokes. Made only from the stage, by `Owners`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageFunction(String);

impl StageFunction {
    pub(super) fn of(stage: &Stage, function: &str) -> Self {
        StageFunction(format!("{}{function}", stage.queue_prefix()))
    }

    /// `lifeline-<stage>-<function>`.
    pub fn name(&self) -> &str {
        &self.0
    }
}

/// How a dead letter goes back in.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplayPlan {
    /// Invoke the stage's `function` synchronously with `payload`. A stream
    /// batch (`Records`) also fails when its answer names failed items.
    Invoke {
        function: StageFunction,
        payload: Value,
        stream_batch: bool,
    },
    /// Send `body` back to the queue `queue`: its consumer takes it from there.
    SendBack { queue: String, body: String },
    /// Not replayed, and why: it names another function than the stage's
    /// own that its place belongs to (a replay says so; `--all` too).
    Refused { why: String },
    /// Never replayed, and why: nothing to replay (an unknown shape, no payload).
    Never { why: String },
}

impl ReplayPlan {
    pub fn is_replayable(&self) -> bool {
        matches!(
            self,
            ReplayPlan::Invoke { .. } | ReplayPlan::SendBack { .. }
        )
    }

    pub fn is_refused(&self) -> bool {
        matches!(self, ReplayPlan::Refused { .. })
    }

    /// In a sentence: `invoke NAME`, `send back to QUEUE`, `refused: WHY`,
    /// `never: WHY`.
    pub fn describe(&self) -> String {
        match self {
            ReplayPlan::Invoke { function, .. } => format!("invoke {}", function.name()),
            ReplayPlan::SendBack { queue, .. } => format!("send back to {queue}"),
            ReplayPlan::Refused { why } => format!("refused: {why}"),
            ReplayPlan::Never { why } => format!("never: {why}"),
        }
    }
}
