//! Dead letters, for the admin CLI (`lifeline dlq`): the SQS failure queues
//! (peeked without hiding their messages), the stream's S3 failure bucket,
//! and the two ways back in — a synchronous Lambda `Invoke`, or a message sent
//! back to a queue. Each call says what it was doing when it fails.

use std::collections::{BTreeMap, HashSet};

use aws_sdk_lambda::types::InvocationType;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, Utc};

/// Receives that bring no message not seen yet before a peek stops: SQS
/// answers a short poll from a sample of its servers, so one empty or
/// repeated answer does not mean there is nothing else.
const QUIET_ROUNDS: usize = 3;
/// A bound on receives per peek or search, whatever the queue does.
const MAX_ROUNDS: usize = 60;
/// How long a message being looked for (to delete it) is hidden from others.
const SEARCH_VISIBILITY_S: i32 = 30;
/// How long a peek's sweep hides what it passes over (shown again right
/// after; this is only the bound if that fails).
const SWEEP_VISIBILITY_S: i32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum DlqError {
    #[error("{operation} {target}: not found")]
    NotFound {
        operation: &'static str,
        target: String,
    },
    #[error("{operation} {target}: access denied ({code}): {message}")]
    Denied {
        operation: &'static str,
        target: String,
        code: String,
        message: String,
    },
    #[error("{operation} {target}: the service could not be reached: {detail}")]
    Unreachable {
        operation: &'static str,
        target: String,
        detail: String,
    },
    #[error("{operation} {target}: {code}: {message}")]
    Refused {
        operation: &'static str,
        target: String,
        code: String,
        message: String,
    },
    #[error("{operation} {target}: {detail}")]
    Failed {
        operation: &'static str,
        target: String,
        detail: String,
    },
    #[error("{operation} {target}: the content is not text: {detail}")]
    NotText {
        operation: &'static str,
        target: String,
        detail: String,
    },
}

/// A queue found by name: its name (what people read) and URL (what SQS takes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRef {
    pub name: String,
    pub url: String,
}

impl QueueRef {
    /// The name is the URL's last path segment.
    pub fn from_url(url: &str) -> Self {
        QueueRef {
            name: url.rsplit('/').next().unwrap_or(url).to_string(),
            url: url.to_string(),
        }
    }
}

/// A message as seen by a peek: nothing is changed by looking.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeekedMessage {
    pub message_id: String,
    pub body: String,
    /// System attributes (`SentTimestamp`, `ApproximateReceiveCount`, …).
    pub attributes: BTreeMap<String, String>,
    /// Message attributes with a string value (`ERROR_CODE`, `TARGET_ARN`, …).
    pub message_attributes: BTreeMap<String, String>,
}

/// An object of the failure bucket, read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub key: String,
    pub body: String,
    pub last_modified: Option<DateTime<Utc>>,
}

/// What a synchronous invocation answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// `Handled`/`Unhandled` when the function failed (Lambda's `FunctionError`).
    pub function_error: Option<String>,
    /// The function's result (or its error object); a non-JSON answer as a string.
    pub payload: serde_json::Value,
}

/// The clients the dead-letter commands use, built from the shared AWS
/// configuration (endpoints from `AWS_ENDPOINT_URL*` only).
#[derive(Debug, Clone)]
pub struct DeadLetterClients {
    pub sqs: aws_sdk_sqs::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub s3: aws_sdk_s3::Client,
}

impl DeadLetterClients {
    pub fn from_conf(conf: &aws_config::SdkConfig) -> Self {
        // An emulator answers at one host (moto, LocalStack): path-style
        // bucket addressing, not `bucket.host`.
        let emulated = conf.endpoint_url().is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some_and(|v| !v.is_empty());
        let s3 = aws_sdk_s3::config::Builder::from(conf)
            .force_path_style(emulated)
            .build();
        DeadLetterClients {
            sqs: aws_sdk_sqs::Client::new(conf),
            lambda: aws_sdk_lambda::Client::new(conf),
            s3: aws_sdk_s3::Client::from_conf(s3),
        }
    }

    /// Every queue whose name starts with `prefix` (`ListQueues`, all pages).
    pub async fn queues_with_prefix(&self, prefix: &str) -> Result<Vec<QueueRef>, DlqError> {
        let mut queues = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = self
                .sqs
                .list_queues()
                .queue_name_prefix(prefix)
                .max_results(1000)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| sdk_failure("ListQueues", prefix, e))?;
            queues.extend(page.queue_urls().iter().map(|u| QueueRef::from_url(u)));
            match page.next_token() {
                Some(t) if !t.is_empty() => next = Some(t.to_string()),
                _ => return Ok(queues),
            }
        }
    }

    /// The queue named `name` (`GetQueueUrl`).
    pub async fn queue(&self, name: &str) -> Result<QueueRef, DlqError> {
        let out = self
            .sqs
            .get_queue_url()
            .queue_name(name)
            .send()
            .await
            .map_err(|e| sdk_failure("GetQueueUrl", name, e))?;
        match out.queue_url() {
            Some(url) => Ok(QueueRef {
                name: name.to_string(),
                url: url.to_string(),
            }),
            None => Err(DlqError::NotFound {
                operation: "GetQueueUrl",
                target: name.to_string(),
            }),
        }
    }

    /// The queue's messages, looked at without hiding them (visibility
    /// timeout 0): receives are repeated until a few bring nothing new. If
    /// the queue says it holds more than that (a receiver that always answers
    /// the same first ten, as an emulator may), the rest is swept: received
    /// hidden for a few seconds, then made visible again at once.
    pub async fn peek(&self, queue: &QueueRef) -> Result<Vec<PeekedMessage>, DlqError> {
        let mut seen = HashSet::new();
        let mut messages = Vec::new();
        let mut quiet = 0;
        for _ in 0..MAX_ROUNDS {
            let batch = self.receive(queue, 0).await?;
            let before = messages.len();
            for (message, _receipt) in batch {
                if seen.insert(message.message_id.clone()) {
                    messages.push(message);
                }
            }
            quiet = if messages.len() == before {
                quiet + 1
            } else {
                0
            };
            if quiet >= QUIET_ROUNDS {
                break;
            }
        }
        if self.visible_count(queue).await? > messages.len() {
            let mut hidden: Vec<String> = Vec::new();
            let swept = self.sweep(queue, &mut seen, &mut hidden).await;
            self.show_again(queue, &hidden).await;
            messages.extend(swept?);
        }
        Ok(messages)
    }

    /// Receives with a short visibility timeout until a few rounds bring
    /// nothing new, so that each round reaches messages the last one did
    /// not. Every receipt is kept in `hidden`, to be shown again.
    async fn sweep(
        &self,
        queue: &QueueRef,
        seen: &mut HashSet<String>,
        hidden: &mut Vec<String>,
    ) -> Result<Vec<PeekedMessage>, DlqError> {
        let mut found = Vec::new();
        let mut quiet = 0;
        for _ in 0..MAX_ROUNDS {
            let batch = self.receive(queue, SWEEP_VISIBILITY_S).await?;
            let before = found.len();
            for (message, receipt) in batch {
                hidden.push(receipt);
                if seen.insert(message.message_id.clone()) {
                    found.push(message);
                }
            }
            quiet = if found.len() == before { quiet + 1 } else { 0 };
            if quiet >= QUIET_ROUNDS {
                break;
            }
        }
        Ok(found)
    }

    /// `ApproximateNumberOfMessages`: how many the queue holds, visible.
    async fn visible_count(&self, queue: &QueueRef) -> Result<usize, DlqError> {
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(&queue.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map_err(|e| sdk_failure("GetQueueAttributes", &queue.name, e))?;
        Ok(out
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0))
    }

    /// Deletes the message `message_id`: it is received again (hidden for a
    /// short while) for a current receipt handle. `Ok(false)` when it is no
    /// longer there (deleted, or held by another receiver). Other messages
    /// received on the way are made visible again at once.
    pub async fn delete_message(
        &self,
        queue: &QueueRef,
        message_id: &str,
    ) -> Result<bool, DlqError> {
        let mut passed_over: Vec<String> = Vec::new();
        let mut found = None;
        let mut quiet = 0;
        for _ in 0..MAX_ROUNDS {
            let batch = match self.receive(queue, SEARCH_VISIBILITY_S).await {
                Ok(b) => b,
                Err(e) => {
                    self.show_again(queue, &passed_over).await;
                    return Err(e);
                }
            };
            quiet = if batch.is_empty() { quiet + 1 } else { 0 };
            for (message, receipt) in batch {
                if message.message_id == message_id && found.is_none() {
                    found = Some(receipt);
                } else {
                    passed_over.push(receipt);
                }
            }
            if found.is_some() || quiet >= QUIET_ROUNDS {
                break;
            }
        }
        self.show_again(queue, &passed_over).await;
        let Some(receipt) = found else {
            return Ok(false);
        };
        self.sqs
            .delete_message()
            .queue_url(&queue.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| sdk_failure("DeleteMessage", &queue.name, e))?;
        Ok(true)
    }

    /// Sends `body` to the queue named `queue_name`.
    pub async fn send(&self, queue_name: &str, body: &str) -> Result<(), DlqError> {
        let queue = self.queue(queue_name).await?;
        self.sqs
            .send_message()
            .queue_url(&queue.url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| sdk_failure("SendMessage", queue_name, e))?;
        Ok(())
    }

    /// Invokes `function` (name or ARN) synchronously with `payload`.
    pub async fn invoke(
        &self,
        function: &str,
        payload: &serde_json::Value,
    ) -> Result<Invocation, DlqError> {
        let body = serde_json::to_vec(payload).map_err(|e| DlqError::Failed {
            operation: "Invoke",
            target: function.to_string(),
            detail: format!("the payload could not be serialized: {e}"),
        })?;
        let out = self
            .lambda
            .invoke()
            .function_name(function)
            .invocation_type(InvocationType::RequestResponse)
            .payload(aws_smithy_types::Blob::new(body))
            .send()
            .await
            .map_err(|e| sdk_failure("Invoke", function, e))?;
        let answer = out.payload().map(|b| b.as_ref()).unwrap_or_default();
        Ok(Invocation {
            function_error: out.function_error().map(str::to_string),
            payload: parse_answer(answer),
        })
    }

    /// Every object key of `bucket` (`ListObjectsV2`, all pages).
    pub async fn object_keys(&self, bucket: &str) -> Result<Vec<String>, DlqError> {
        let mut keys = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = self
                .s3
                .list_objects_v2()
                .bucket(bucket)
                .set_continuation_token(next.take())
                .send()
                .await
                .map_err(|e| sdk_failure("ListObjectsV2", bucket, e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key())
                    .map(str::to_string),
            );
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => next = Some(t.to_string()),
                _ => return Ok(keys),
            }
        }
    }

    /// The object `key` of `bucket`, read whole as UTF-8 text.
    pub async fn object(&self, bucket: &str, key: &str) -> Result<StoredObject, DlqError> {
        let target = || format!("s3://{bucket}/{key}");
        let out = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| sdk_failure("GetObject", &target(), e))?;
        let last_modified = out
            .last_modified()
            .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()));
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| DlqError::Unreachable {
                operation: "GetObject",
                target: target(),
                detail: error_chain(&e),
            })?
            .into_bytes();
        let body = String::from_utf8(bytes.to_vec()).map_err(|e| DlqError::NotText {
            operation: "GetObject",
            target: target(),
            detail: e.to_string(),
        })?;
        Ok(StoredObject {
            key: key.to_string(),
            body,
            last_modified,
        })
    }

    /// Deletes the object `key` of `bucket`.
    pub async fn delete_object(&self, bucket: &str, key: &str) -> Result<(), DlqError> {
        self.s3
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| sdk_failure("DeleteObject", &format!("s3://{bucket}/{key}"), e))?;
        Ok(())
    }

    /// One `ReceiveMessage` of up to 10 messages, with every attribute.
    async fn receive(
        &self,
        queue: &QueueRef,
        visibility_s: i32,
    ) -> Result<Vec<(PeekedMessage, String)>, DlqError> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(&queue.url)
            .max_number_of_messages(10)
            .visibility_timeout(visibility_s)
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| sdk_failure("ReceiveMessage", &queue.name, e))?;
        Ok(out
            .messages()
            .iter()
            .filter_map(|m| {
                let message = PeekedMessage {
                    message_id: m.message_id()?.to_string(),
                    body: m.body().unwrap_or_default().to_string(),
                    attributes: m
                        .attributes()
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| (k.as_str().to_string(), v.clone()))
                        .collect(),
                    message_attributes: m
                        .message_attributes()
                        .into_iter()
                        .flatten()
                        .filter_map(|(k, v)| Some((k.clone(), v.string_value()?.to_string())))
                        .collect(),
                };
                Some((message, m.receipt_handle()?.to_string()))
            })
            .collect())
    }

    /// Makes messages received while searching visible again. Best effort:
    /// if it fails they reappear by themselves after the search's timeout.
    async fn show_again(&self, queue: &QueueRef, receipts: &[String]) {
        for chunk in receipts.chunks(10) {
            let entries = chunk.iter().enumerate().filter_map(|(i, r)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(r)
                    .visibility_timeout(0)
                    .build()
                    .ok()
            });
            let sent = self
                .sqs
                .change_message_visibility_batch()
                .queue_url(&queue.url)
                .set_entries(Some(entries.collect()))
                .send()
                .await;
            if let Err(e) = sent {
                tracing::warn!(queue = %queue.name, error = %error_chain(&e),
                    "messages passed over stay hidden until their visibility timeout");
            }
        }
    }
}

/// A function's answer as JSON; anything else (empty, plain text) as a string.
pub fn parse_answer(answer: &[u8]) -> serde_json::Value {
    serde_json::from_slice(answer)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(answer).into_owned()))
}

/// An SDK error as what happened: not found, denied, unreachable, or the
/// service's own code and message.
fn sdk_failure<E, R>(operation: &'static str, target: &str, e: SdkError<E, R>) -> DlqError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + 'static,
{
    let target = target.to_string();
    match &e {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("Unknown").to_string();
            let message = se.err().message().unwrap_or_default().to_string();
            if is_not_found(&code) {
                DlqError::NotFound { operation, target }
            } else if code.contains("AccessDenied") || code.contains("Unauthorized") {
                DlqError::Denied {
                    operation,
                    target,
                    code,
                    message,
                }
            } else {
                DlqError::Refused {
                    operation,
                    target,
                    code,
                    message,
                }
            }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => DlqError::Unreachable {
            operation,
            target,
            detail: error_chain(&e),
        },
        _ => DlqError::Failed {
            operation,
            target,
            detail: error_chain(&e),
        },
    }
}

/// An error and its causes, each as it displays itself (`a: b: c`), once each.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

fn is_not_found(code: &str) -> bool {
    matches!(
        code,
        "AWS.SimpleQueueService.NonExistentQueue"
            | "QueueDoesNotExist"
            | "ResourceNotFoundException"
            | "NoSuchBucket"
            | "NoSuchKey"
            | "NotFound"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_is_named_by_its_url() {
        let q =
            QueueRef::from_url("http://127.0.0.1:4566/123456789012/lifeline-local-notifier-dlq");
        assert_eq!(q.name, "lifeline-local-notifier-dlq");
    }

    #[test]
    fn an_answer_that_is_not_json_is_kept_as_text() {
        assert_eq!(parse_answer(br#"{"a":1}"#), serde_json::json!({"a": 1}));
        assert_eq!(parse_answer(b"null"), serde_json::Value::Null);
        assert_eq!(parse_answer(b"oops"), serde_json::json!("oops"));
        assert_eq!(parse_answer(b""), serde_json::json!(""));
    }

    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("dispatch failure")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn an_error_reads_as_its_causes_displayed() {
        let e = Outer(std::io::Error::other("connection refused"));
        assert_eq!(error_chain(&e), "dispatch failure: connection refused");
    }

    #[test]
    fn missing_resources_are_named_not_found() {
        assert!(is_not_found("AWS.SimpleQueueService.NonExistentQueue"));
        assert!(is_not_found("ResourceNotFoundException"));
        assert!(!is_not_found("ThrottlingException"));
    }
}
