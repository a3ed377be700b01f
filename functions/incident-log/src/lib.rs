//! `incident-log`: Lifeline's events → each emergency call's incident and
//! its timeline (`lifeline_app::service::incident`). Invoked asynchronously
//! by its rule on the bus (`lifeline_edge::events::INCIDENT_RULE`): a
//! failure is retried by Lambda and then kept, with the event, in its
//! failure queue. Duplicates and any order leave the same incident.
//!
//! An event is written only for a call the table has recorded for that
//! agent (anyone with `events:PutEvents` could otherwise open incidents).

use lifeline_app::clock::Clock;
use lifeline_app::ports::IncidentStore;
use lifeline_app::service::incident::{retention, IncidentError, IncidentService};
use lifeline_edge::config::Config;
use lifeline_edge::events::decode;
use lifeline_edge::lambda::{failure, EventHandler};
use serde_json::{json, Value};
use std::sync::Arc;

pub struct IncidentLog<S> {
    service: IncidentService<S>,
}

impl<S: IncidentStore> IncidentLog<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, config: Arc<Config>) -> Self {
        IncidentLog {
            service: IncidentService::new(store, clock, retention(&config.settings))
                .with_reach(config.settings.lease.active_call_limit),
        }
    }
}

#[async_trait::async_trait]
impl<S: IncidentStore + 'static> EventHandler for IncidentLog<S> {
    async fn invoke(&self, payload: Value) -> Result<Value, lambda_runtime::Diagnostic> {
        let event = decode(&payload).map_err(|e| failure("BadEvent", e))?;
        match self.service.apply(&event).await {
            Ok(applied) => {
                if !applied.unconfirmed.is_empty() {
                    tracing::warn!(subject = %event.subject(), calls = ?applied.unconfirmed,
                        "event not borne out by the table; ignored for those calls");
                }
                Ok(json!({
                    "applied": event.detail_type(),
                    "incidents": applied.incidents.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "added": applied.added,
                }))
            }
            Err(e) => {
                let kind = match e {
                    IncidentError::Contention(_) => "IncidentContention",
                    _ => "IncidentNotRecorded",
                };
                tracing::warn!(subject = %event.subject(), error = %e, "incident not recorded; Lambda retries");
                Err(failure(kind, e))
            }
        }
    }
}

#[cfg(test)]
mod tests;
