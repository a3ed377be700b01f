//! The dead-letter port: what the commands need of SQS, S3 and Lambda,
//! answered by the AWS adapter (`lifeline_aws::dlq`, with the `aws`
//! feature) or, in tests, by an in-memory fake. And the gathering of every
//! dead letter over it.

use async_trait::async_trait;
#[cfg(feature = "aws")]
use lifeline_aws::dlq::DeadLetterClients;
/// The port's plain data, as the AWS adapter reads it (a fake builds them too).
pub use lifeline_aws::dlq::{DlqError, Invocation, PeekedMessage, QueueRef, StoredObject};
use serde_json::Value;

use super::letter::{classify_message, classify_object, DeadLetter, Stage};

#[async_trait]
pub trait DeadLetterPort: Sync {
    /// Every queue whose name starts with `prefix`.
    async fn queues_with_prefix(&self, prefix: &str) -> Result<Vec<QueueRef>, DlqError>;
    /// The queue's messages, without hiding them from other receivers.
    async fn peek(&self, queue: &QueueRef) -> Result<Vec<PeekedMessage>, DlqError>;
    /// Deletes one message by id; `Ok(false)` when it is no longer there.
    async fn delete_message(&self, queue: &QueueRef, message_id: &str) -> Result<bool, DlqError>;
    /// Sends `body` to the queue named `queue_name`.
    async fn send(&self, queue_name: &str, body: &str) -> Result<(), DlqError>;
    /// Invokes `function` synchronously.
    async fn invoke(&self, function: &str, payload: &Value) -> Result<Invocation, DlqError>;
    async fn object_keys(&self, bucket: &str) -> Result<Vec<String>, DlqError>;
    async fn object(&self, bucket: &str, key: &str) -> Result<StoredObject, DlqError>;
    async fn delete_object(&self, bucket: &str, key: &str) -> Result<(), DlqError>;
}

/// The port over AWS: SQS, S3 and Lambda through the clients built from the
/// shared configuration (`DeadLetterClients::from_conf`).
#[cfg(feature = "aws")]
#[async_trait]
impl DeadLetterPort for DeadLetterClients {
    async fn queues_with_prefix(&self, prefix: &str) -> Result<Vec<QueueRef>, DlqError> {
        DeadLetterClients::queues_with_prefix(self, prefix).await
    }
    async fn peek(&self, queue: &QueueRef) -> Result<Vec<PeekedMessage>, DlqError> {
        DeadLetterClients::peek(self, queue).await
    }
    async fn delete_message(&self, queue: &QueueRef, message_id: &str) -> Result<bool, DlqError> {
        DeadLetterClients::delete_message(self, queue, message_id).await
    }
    async fn send(&self, queue_name: &str, body: &str) -> Result<(), DlqError> {
        DeadLetterClients::send(self, queue_name, body).await
    }
    async fn invoke(&self, function: &str, payload: &Value) -> Result<Invocation, DlqError> {
        DeadLetterClients::invoke(self, function, payload).await
    }
    async fn object_keys(&self, bucket: &str) -> Result<Vec<String>, DlqError> {
        DeadLetterClients::object_keys(self, bucket).await
    }
    async fn object(&self, bucket: &str, key: &str) -> Result<StoredObject, DlqError> {
        DeadLetterClients::object(self, bucket, key).await
    }
    async fn delete_object(&self, bucket: &str, key: &str) -> Result<(), DlqError> {
        DeadLetterClients::delete_object(self, bucket, key).await
    }
}

/// The stage `lifeline dlq` reads when none is given (`--stage`,
/// `LIFELINE_STAGE`).
pub const DEFAULT_STAGE: &str = "prod";

/// Where dead letters are looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Places {
    pub stage: Stage,
    /// The stream's failure bucket, if there is one.
    pub failure_bucket: Option<String>,
    /// Only this queue (or bucket), when given.
    pub only: Option<String>,
}

impl Places {
    /// The places as given (by `lifeline dlq`'s `--stage` and
    /// `--failure-bucket`, or `LIFELINE_STAGE` and
    /// `LIFELINE_STREAM_FAILURE_BUCKET`): the stage trimmed and checked as
    /// the template's, a blank bucket as none; `only` restricts them to one
    /// queue or bucket. The error is [`Stage::parse`]'s.
    pub fn new(
        stage: &str,
        failure_bucket: Option<&str>,
        only: Option<String>,
    ) -> Result<Self, String> {
        Ok(Places {
            stage: Stage::parse(stage.trim())?,
            failure_bucket: failure_bucket
                .map(|b| b.trim().to_string())
                .filter(|b| !b.is_empty()),
            only,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GatherError {
    #[error(transparent)]
    Aws(#[from] DlqError),
    #[error("`{0}` is not one of the stage's failure queues (names `{1}…-failures` or `…-dlq`) nor its failure bucket")]
    NoSuchPlace(String, String),
}

/// What was found, and what was skipped (said, not fatal).
#[derive(Debug, Clone, PartialEq)]
pub struct Gathered {
    pub letters: Vec<DeadLetter>,
    /// E.g. a failure bucket that does not exist (yet).
    pub notes: Vec<String>,
}

/// Every dead letter of the stage's failure queues and failure bucket (or
/// of the one named by `only`), in queue order, then bucket order.
pub async fn gather(port: &impl DeadLetterPort, places: &Places) -> Result<Gathered, GatherError> {
    let prefix = places.stage.queue_prefix();
    let mut queues: Vec<QueueRef> = port
        .queues_with_prefix(&prefix)
        .await?
        .into_iter()
        .filter(|q| places.stage.is_failure_queue(&q.name))
        .collect();
    queues.sort_by(|a, b| a.name.cmp(&b.name));
    let mut bucket = places.failure_bucket.clone().filter(|b| !b.is_empty());
    if let Some(only) = &places.only {
        queues.retain(|q| &q.name == only);
        bucket = bucket.filter(|b| b == only || only.strip_prefix("s3://") == Some(b.as_str()));
        if queues.is_empty() && bucket.is_none() {
            return Err(GatherError::NoSuchPlace(only.clone(), prefix));
        }
    }
    let mut letters = Vec::new();
    let mut notes = Vec::new();
    for queue in &queues {
        let messages = port.peek(queue).await?;
        letters.extend(
            messages
                .iter()
                .map(|m| classify_message(&places.stage, queue, m)),
        );
    }
    if let Some(bucket) = bucket {
        let keys = match port.object_keys(&bucket).await {
            Ok(keys) => keys,
            // Nothing was ever kept there (or it is not created yet).
            Err(DlqError::NotFound { .. }) => {
                notes.push(format!("failure bucket {bucket} not found: skipped"));
                Vec::new()
            }
            Err(e) => return Err(e.into()),
        };
        for key in keys {
            let object = port.object(&bucket, &key).await?;
            letters.push(classify_object(&places.stage, &bucket, &object));
        }
    }
    Ok(Gathered { letters, notes })
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FindError {
    #[error("no dead letter `{0}` (`lifeline dlq list` shows them)")]
    NotFound(String),
    #[error("`{0}` names {1} dead letters: give more of the id")]
    Ambiguous(String, usize),
}

/// The dead letter `id` names: its whole id, its short id, or a unique
/// beginning of its id (at least 4 characters).
pub fn find<'a>(letters: &'a [DeadLetter], id: &str) -> Result<&'a DeadLetter, FindError> {
    if let Some(exact) = letters.iter().find(|l| l.id == id) {
        return Ok(exact);
    }
    let matches: Vec<&DeadLetter> = letters
        .iter()
        .filter(|l| l.short_id() == id || (id.chars().count() >= 4 && l.id.starts_with(id)))
        .collect();
    match matches.as_slice() {
        [] => Err(FindError::NotFound(id.to_string())),
        [one] => Ok(one),
        many => Err(FindError::Ambiguous(id.to_string(), many.len())),
    }
}
