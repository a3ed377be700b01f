//! `presence-override`: the table's stream → the agent's presence. An
//! emergency call's start sets Do Not Disturb; the end of the agent's last one
//! restores the status to restore. Failed records are reported for retry
//! (partial batch response); the state machine does not care about order.

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lifeline_core::clock::Clock;
use lifeline_core::config::Config;
use lifeline_core::lambda::StreamHandler;
use lifeline_core::ports::PresenceStore;
use lifeline_core::service::presence::PresenceService;
use lifeline_core::stream::{call_change, matches_any, PRESENCE_FILTERS};
use std::sync::Arc;

pub struct PresenceOverride<S> {
    service: PresenceService<S>,
}

impl<S: PresenceStore> PresenceOverride<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, config: Arc<Config>) -> Self {
        PresenceOverride {
            service: PresenceService::new(store, clock, config.presence),
        }
    }
}

#[async_trait::async_trait]
impl<S: PresenceStore + 'static> StreamHandler for PresenceOverride<S> {
    async fn handle(&self, event: Event) -> DynamoDbEventResponse {
        let mut response = DynamoDbEventResponse::default();
        for record in &event.records {
            // The event source mapping filters already; this keeps a
            // mis-configured mapping harmless.
            if !matches_any(&PRESENCE_FILTERS, record) {
                continue;
            }
            let failed = match call_change(record) {
                Ok(None) => false,
                Ok(Some(change)) => match self.service.apply(&change).await {
                    Ok(_) => false,
                    Err(e) => {
                        tracing::error!(event_id = %record.event_id, error = %e, "presence change not applied; will retry");
                        true
                    }
                },
                // Retries will not fix it: after the bounded retries the
                // record lands in the dead-letter queue, not silently dropped.
                Err(e) => {
                    tracing::error!(error = %e, "malformed call record on the stream");
                    true
                }
            };
            if failed {
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = record.change.sequence_number.clone();
                response.batch_item_failures.push(failure);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests;
