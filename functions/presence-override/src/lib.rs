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
use lifeline_app::ports::{EndStore, PresenceStore};
use lifeline_app::service::presence::PresenceService;
use lifeline_domain::call::{CallChange, EmergencyCall};
use lifeline_edge::config::Config;
use lifeline_edge::events::{call_change, decode};
use lifeline_edge::lambda::{failure, EventHandler};
use serde_json::{json, Value};
use std::sync::Arc;

pub struct PresenceOverride<S> {
    service: PresenceService<S>,
    calls: Arc<S>,
}

impl<S: PresenceStore> PresenceOverride<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, config: Arc<Config>) -> Self {
        PresenceOverride {
            service: PresenceService::new(store.clone(), clock, config.settings.presence),
            calls: store,
        }
    }
}

/// Why an event is not acted on: the table does not bear it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unconfirmed {
    /// No such call recorded (forged, or its record long expired).
    UnknownCall,
    /// The call is another agent's.
    WrongAgent,
    /// An end for a call the record says is still on.
    NotEnded,
}

impl Unconfirmed {
    fn as_str(self) -> &'static str {
        match self {
            Unconfirmed::UnknownCall => "unknown_call",
            Unconfirmed::WrongAgent => "wrong_agent",
            Unconfirmed::NotEnded => "not_ended",
        }
    }
}

/// Whether the call's record bears the change out. The stream publishes a
/// start after the record is written and an end after the end is, so a
/// genuine event always finds them.
fn confirm(change: &CallChange, record: Option<&EmergencyCall>) -> Result<(), Unconfirmed> {
    let record = record.ok_or(Unconfirmed::UnknownCall)?;
    if &record.agent_id != change.agent() {
        return Err(Unconfirmed::WrongAgent);
    }
    match change {
        CallChange::Ended { .. } if record.ended_at.is_none() => Err(Unconfirmed::NotEnded),
        _ => Ok(()),
    }
}

#[async_trait::async_trait]
impl<S: PresenceStore + EndStore + 'static> EventHandler for PresenceOverride<S> {
    async fn invoke(&self, payload: Value) -> Result<Value, lambda_runtime::Diagnostic> {
        let event = decode(&payload).map_err(|e| failure("BadEvent", e))?;
        let Some(change) = call_change(&event) else {
            // A rule wider than this function's pattern: nothing to do.
            return Ok(json!({ "ignored": event.detail_type() }));
        };
        let call = match &change {
            CallChange::Started { call, .. } | CallChange::Ended { call, .. } => call,
        };
        let (record, _) = self
            .calls
            .end_context(call, change.agent())
            .await
            .map_err(|e| failure("PresenceNotApplied", e))?;
        if let Err(why) = confirm(&change, record.as_ref()) {
            tracing::warn!(subject = %event.subject(), unconfirmed = why.as_str(),
                "call event not borne out by the table; ignored");
            return Ok(json!({ "ignored": event.detail_type(), "unconfirmed": why.as_str() }));
        }
        self.service.apply(&change).await.map_err(|e| {
            tracing::warn!(subject = %event.subject(), error = %e, "presence not applied; Lambda retries");
            failure("PresenceNotApplied", e)
        })?;
        Ok(json!({ "applied": event.detail_type() }))
    }
}

#[cfg(test)]
mod tests;
