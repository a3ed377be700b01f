//! What the console asks of the world beyond the services' stores: the
//! readiness checks and the dead letters (the `console` function answers
//! them with the readiness and dead-letter crates, as the CLI runs them).

use async_trait::async_trait;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Warning,
    Error,
}

/// One check's verdict on one scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// `deployment`, or `agent a-42`.
    pub scope: String,
    pub check: String,
    pub verdict: Verdict,
    pub detail: String,
    /// What to do (none when all is well).
    pub fix: Option<String>,
}

#[async_trait]
pub trait ReadinessSource: Send + Sync {
    /// Every check, run now; `Err` when the lookups could not be made (the
    /// reason, naming no number or address).
    async fn checks(&self, now: chrono::DateTime<chrono::Utc>) -> Result<Vec<Check>, String>;
}

/// One dead letter as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterLine {
    /// The id the show and replay take.
    pub id: String,
    pub short_id: String,
    /// Its queue or bucket.
    pub source: String,
    pub at: String,
    pub kind: String,
    /// The function or target it belongs to.
    pub target: String,
    /// Why it failed.
    pub reason: String,
    /// What it concerns (a call, a lease, an agent), masked.
    pub subject: String,
    pub replayable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadLetterError {
    #[error("no dead letter `{0}`")]
    NotFound(String),
    /// The replay did not go through, or may not be made (why).
    #[error("{0}")]
    Refused(String),
    /// The queues, bucket or function did not answer.
    #[error("{0}")]
    Unavailable(String),
}

#[async_trait]
pub trait DeadLetters: Send + Sync {
    async fn list(&self) -> Result<Vec<LetterLine>, DeadLetterError>;
    /// Everything about one, masked, as `lifeline dlq show` prints it.
    async fn show(&self, id: &str) -> Result<String, DeadLetterError>;
    /// Replays one through its own function and removes it once that went
    /// through; the outcome, as `lifeline dlq replay` says it.
    async fn replay(&self, id: &str) -> Result<String, DeadLetterError>;
}
