//! `call-outbox`: the dial's outbox (an SQS queue) → the call's record. A
//! message the table cannot take yet is reported for retry (partial batch
//! response; after the queue's receive limit it moves to the dead-letter
//! queue, which alarms); an unreadable one is never retried.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lifeline_app::clock::Clock;
use lifeline_app::metrics::{EmfStdout, Metrics};
use lifeline_app::ports::{EndStore, OutboxStore};
use lifeline_app::service::outbox::OutboxService;
use lifeline_app::settings::Settings;
use lifeline_aws::dynamo::outbox::read_outbox_message;
use std::sync::Arc;

pub struct CallOutbox<S> {
    service: OutboxService<S>,
    metrics: Arc<dyn Metrics>,
}

impl<S: OutboxStore + EndStore> CallOutbox<S> {
    /// `settings`: the active-call limit and the callback window, for the
    /// ends it applies.
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, settings: Arc<Settings>) -> Self {
        CallOutbox {
            service: OutboxService::new(store, clock, settings),
            metrics: Arc::new(EmfStdout),
        }
    }

    /// Emits to `metrics` instead of the EMF log lines (tests).
    pub fn with_metrics(mut self, metrics: Arc<dyn Metrics>) -> Self {
        self.service = self.service.with_metrics(metrics.clone());
        self.metrics = metrics;
        self
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for message in event.records {
            let id = message.message_id.clone().unwrap_or_default();
            let (call, ttl) = match read_outbox_message(message.body.as_deref().unwrap_or("")) {
                Ok(read) => read,
                Err(e) => {
                    // Deterministic: a retry would fail the same way.
                    tracing::error!(message_id = %id, error = %e, "unreadable outbox message; dropped");
                    self.metrics
                        .count_by("CorruptItem", "Kind", "outbox_message");
                    continue;
                }
            };
            if let Err(e) = self.service.record(&call, ttl).await {
                tracing::warn!(message_id = %id, call_id = %call.call_id, error = %e, "call not recorded yet; will retry");
                response.add_failure(id);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests;
