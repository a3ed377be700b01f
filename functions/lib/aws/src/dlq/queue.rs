//! The failure queues: found by name, peeked without hiding their messages
//! from other readers, one message deleted by id, a body sent back.

use std::collections::{BTreeMap, HashSet};

use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName,
};

use super::clients::DeadLetterClients;
use super::error::{error_chain, sdk_failure, DlqError};

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

impl DeadLetterClients {
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
