//! SQS: the dial's outbox (one `SendMessage` of the call's record when the
//! table could not take it in time), and failure queues that keep what
//! cannot be delivered, with its payload.

use async_trait::async_trait;
use aws_sdk_sqs::error::DisplayErrorContext;
use chrono::{DateTime, Utc};

use lifeline_app::ports::{CallOutbox, FailureKeeper, StoreError};
use lifeline_domain::call::EmergencyCall;

use crate::dynamo::outbox::outbox_message;

/// `LIFELINE_OUTBOX_QUEUE_URL`: the queue the dial hands unrecorded calls to.
pub const OUTBOX_QUEUE_VAR: &str = lifeline_app::settings::table::LIFELINE_OUTBOX_QUEUE_URL.name;

#[derive(Clone, Debug)]
pub struct SqsOutbox {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsOutbox {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        SqsOutbox {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// The outbox `LIFELINE_OUTBOX_QUEUE_URL` names, if set (read at cold start).
    pub fn from_lookup(
        aws: &aws_config::SdkConfig,
        get: impl Fn(&str) -> Option<String>,
    ) -> Option<Self> {
        get(OUTBOX_QUEUE_VAR)
            .filter(|url| !url.trim().is_empty())
            .map(|url| SqsOutbox::new(aws_sdk_sqs::Client::new(aws), url.trim()))
    }
}

#[async_trait]
impl CallOutbox for SqsOutbox {
    async fn send(&self, call: &EmergencyCall, ttl: DateTime<Utc>) -> Result<(), StoreError> {
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(outbox_message(call, ttl))
            .send()
            .await
            .map_err(|e| StoreError::Unavailable(DisplayErrorContext(e).to_string()))?;
        Ok(())
    }
}

/// A failure queue (`lifeline-<stage>-…-failures`): one `SendMessage` per
/// failure record.
#[derive(Clone, Debug)]
pub struct SqsFailureQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsFailureQueue {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        SqsFailureQueue {
            client,
            queue_url: queue_url.into(),
        }
    }
}

#[async_trait]
impl FailureKeeper for SqsFailureQueue {
    async fn keep(&self, message: String) -> Result<(), StoreError> {
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(message)
            .send()
            .await
            .map_err(|e| StoreError::Unavailable(DisplayErrorContext(e).to_string()))?;
        Ok(())
    }
}
