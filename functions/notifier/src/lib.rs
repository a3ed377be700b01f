//! `notifier`: the table's stream → the emergency-call e-mail to the agent's
//! recipients. Records whose e-mail could not be sent yet are reported for
//! retry (partial batch response); a sent e-mail is recorded on the call, so a
//! redelivered record does not send again.

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lifeline_core::clock::Clock;
use lifeline_core::domain::types::Email;
use lifeline_core::lambda::StreamHandler;
use lifeline_core::ports::{EmailSender, NotifyStore};
use lifeline_core::service::notify::NotifyService;
use lifeline_core::stream::{call_change, matches_any, CallChange, NOTIFY_FILTERS};
use std::sync::Arc;

pub struct Notifier<S, E> {
    service: NotifyService<S, E>,
}

impl<S: NotifyStore, E: EmailSender> Notifier<S, E> {
    pub fn new(store: Arc<S>, sender: Arc<E>, clock: Arc<dyn Clock>, from: Email) -> Self {
        Notifier {
            service: NotifyService::new(store, sender, clock, from),
        }
    }
}

#[async_trait::async_trait]
impl<S: NotifyStore + 'static, E: EmailSender + 'static> StreamHandler for Notifier<S, E> {
    async fn handle(&self, event: Event) -> DynamoDbEventResponse {
        let mut response = DynamoDbEventResponse::default();
        for record in &event.records {
            if !matches_any(&NOTIFY_FILTERS, record) {
                continue;
            }
            let failed = match call_change(record) {
                Ok(Some(CallChange::Started { agent, call, .. })) => {
                    match self.service.on_call_started(&call, &agent).await {
                        Ok(_) => false,
                        Err(e) => {
                            tracing::warn!(event_id = %record.event_id, error = %e, "will retry");
                            true
                        }
                    }
                }
                Ok(_) => false,
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
