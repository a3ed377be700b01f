//! `presence-override`: Lifeline's call events → the agent's presence. An
//! emergency call's start (`lifeline.call.started`) sets Do Not Disturb; the
//! end of the agent's last one (`lifeline.call.ended`) restores the status
//! to restore. Invoked asynchronously by its rule on the bus: a failure is
//! retried by Lambda and then kept, with the event, in its failure queue.
//! The state machine does not care about order or duplicates.
//!
//! An event is acted on only when the table confirms it: the call is
//! recorded for that agent (and, for an end, recorded as ended). Anyone with
//! `events:PutEvents` in the account could otherwise put any agent in Do Not
//! Disturb, or lift it during a real call.

use lifeline_app::clock::Clock;
use lifeline_app::ports::PresenceStore;
use lifeline_app::service::presence::{PresenceError, PresenceService};
use lifeline_edge::config::Config;
use lifeline_edge::events::{call_change, decode};
use lifeline_edge::lambda::{failure, EventHandler};
use serde_json::{json, Value};
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
impl<S: PresenceStore + 'static> EventHandler for PresenceOverride<S> {
    async fn invoke(&self, payload: Value) -> Result<Value, lambda_runtime::Diagnostic> {
        let event = decode(&payload).map_err(|e| failure("BadEvent", e))?;
        let Some(change) = call_change(&event) else {
            // A rule wider than this function's pattern: nothing to do.
            return Ok(json!({ "ignored": event.detail_type() }));
        };
        match self.service.apply(&change).await {
            Ok(_) => Ok(json!({ "applied": event.detail_type() })),
            Err(PresenceError::Unconfirmed(why)) => {
                tracing::warn!(subject = %event.subject(), unconfirmed = why.as_str(),
                    "call event not borne out by the table; ignored");
                Ok(json!({ "ignored": event.detail_type(), "unconfirmed": why.as_str() }))
            }
            Err(e) => {
                tracing::warn!(subject = %event.subject(), error = %e, "presence not applied; Lambda retries");
                Err(failure("PresenceNotApplied", e))
            }
        }
    }
}

#[cfg(test)]
mod tests;
