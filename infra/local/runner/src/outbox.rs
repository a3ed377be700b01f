//! The dial's outbox on the local emulator (moto's SQS), drained as Lambda's
//! SQS event source mapping would: receive a batch, invoke call-outbox,
//! delete what it did not report for retry (the rest comes back after the
//! visibility timeout).

use aws_lambda_events::event::sqs::SqsEvent;
use call_outbox::CallOutbox;
use lifeline_aws::dynamo::DynamoStore;
use std::sync::Arc;

/// The queue the local dial-intake hands unrecorded calls to.
#[derive(Clone, Debug)]
pub struct OutboxQueue {
    pub client: aws_sdk_sqs::Client,
    pub url: String,
}

/// Seconds a received message stays hidden before it is delivered again.
const VISIBILITY_SECONDS: i32 = 2;

impl OutboxQueue {
    /// Receives, invokes and deletes until the task is aborted.
    pub fn pump(
        self,
        handler: Arc<CallOutbox<DynamoStore>>,
        every: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                if !self.drain_once(&handler).await {
                    tokio::time::sleep(every).await;
                }
            }
        })
    }

    /// One batch; whether there was one.
    async fn drain_once(&self, handler: &CallOutbox<DynamoStore>) -> bool {
        let received = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(10)
            .visibility_timeout(VISIBILITY_SECONDS)
            .send()
            .await;
        let messages = match received {
            Ok(r) => r.messages.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "outbox receive failed");
                return false;
            }
        };
        if messages.is_empty() {
            return false;
        }
        let records: Vec<serde_json::Value> = messages
            .iter()
            .map(|m| {
                serde_json::json!({
                    "messageId": m.message_id(),
                    "receiptHandle": m.receipt_handle(),
                    "body": m.body(),
                    "eventSource": "aws:sqs",
                })
            })
            .collect();
        let event: SqsEvent =
            match serde_json::from_value(serde_json::json!({ "Records": records })) {
                Ok(e) => e,
                Err(e) => {
                    tracing::error!(error = %e, "outbox batch not representable as an SQS event");
                    return false;
                }
            };
        let response = handler.handle(event).await;
        for m in &messages {
            let retry = response
                .batch_item_failures
                .iter()
                .any(|f| Some(f.item_identifier.as_str()) == m.message_id());
            if retry {
                continue;
            }
            if let Some(receipt) = m.receipt_handle() {
                let _ = self
                    .client
                    .delete_message()
                    .queue_url(&self.url)
                    .receipt_handle(receipt)
                    .send()
                    .await;
            }
        }
        true
    }
}
