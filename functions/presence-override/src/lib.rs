//! `presence-override`: the table's stream → the agent's presence. An
//! emergency call's start sets Do Not Disturb; the end of the agent's last one
//! restores the status to restore. Failed records are reported for retry
//! (partial batch response); the state machine does not care about order.

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use lifeline_app::clock::Clock;
use lifeline_app::ports::PresenceStore;
use lifeline_app::service::presence::PresenceService;
use lifeline_edge::config::Config;
use lifeline_edge::lambda::StreamHandler;
use lifeline_edge::stream::{for_each_call_change, PRESENCE_FILTERS};
use std::sync::Arc;

pub struct PresenceOverride<S> {
    service: PresenceService<S>,
}

impl<S: PresenceStore> PresenceOverride<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, config: Arc<Config>) -> Self {
        PresenceOverride {
            service: PresenceService::new(store, clock, config.settings.presence),
        }
    }
}

#[async_trait::async_trait]
impl<S: PresenceStore + 'static> StreamHandler for PresenceOverride<S> {
    async fn handle(&self, event: Event) -> DynamoDbEventResponse {
        for_each_call_change(&event, &PRESENCE_FILTERS, |change| async move {
            self.service
                .apply(&change)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .await
    }
}

#[cfg(test)]
mod tests;
