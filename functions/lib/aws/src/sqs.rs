//! The dial's outbox on SQS: one `SendMessage` of the call's record when the
//! table could not take it in time.

use async_trait::async_trait;
use aws_sdk_sqs::error::DisplayErrorContext;
use chrono::{DateTime, Utc};

use lifeline_app::ports::{CallOutbox, StoreError};
use lifeline_domain::call::EmergencyCall;

use crate::dynamo::outbox::outbox_message;

/// `LIFELINE_OUTBOX_QUEUE_URL`: the queue the dial hands unrecorded calls to.
pub const OUTBOX_QUEUE_VAR: &str = "LIFELINE_OUTBOX_QUEUE_URL";

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
