//! `callback-lease`: the lease's scheduled expiry. Two triggers, one function:
//! the table's stream (a number's lease created or its hold moved → create or
//! move its one schedule) and EventBridge Scheduler (the schedule fired →
//! release the lease if it is still the same one, past its hold).

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use lifeline_app::clock::Clock;
use lifeline_app::ports::{LeaseScheduler, ReleaseStore};
use lifeline_app::service::lease::{Expired, LeaseLifecycle};
use lifeline_aws::dynamo::stream::lease_from_image;
use lifeline_domain::expiry::LeaseExpiry;
use lifeline_edge::lambda::StreamHandler;
use lifeline_edge::stream::{matches_any, retry, LEASE_FILTERS};
use serde_json::Value;
use std::sync::Arc;

pub struct CallbackLease<S, P> {
    lifecycle: LeaseLifecycle<S, P>,
}

#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// The scheduler retries the firing (retry policy, then its DLQ).
    #[error("release not recorded: {0}")]
    Store(#[from] lifeline_app::ports::StoreError),
    #[error("unrecognised event: {0}")]
    Unrecognised(String),
}

impl<S: ReleaseStore, P: LeaseScheduler> CallbackLease<S, P> {
    pub fn new(store: Arc<S>, scheduler: Arc<P>, clock: Arc<dyn Clock>) -> Self {
        CallbackLease {
            lifecycle: LeaseLifecycle::new(store, scheduler, clock),
        }
    }

    /// The Lambda entry: a stream batch or a schedule's input.
    pub async fn invoke(&self, payload: Value) -> Result<Value, LeaseError> {
        if payload.get("Records").is_some() {
            let event: Event = serde_json::from_value(payload)
                .map_err(|e| LeaseError::Unrecognised(format!("stream event: {e}")))?;
            let resp = self.on_stream(event).await;
            return serde_json::to_value(resp).map_err(|e| LeaseError::Unrecognised(e.to_string()));
        }
        let expiry: LeaseExpiry = serde_json::from_value(payload).map_err(|e| {
            LeaseError::Unrecognised(format!("neither a stream batch nor a lease expiry: {e}"))
        })?;
        let outcome = self.lifecycle.expire(&expiry).await?;
        Ok(serde_json::json!({ "released": outcome == Expired::Released }))
    }

    /// Stream records: schedule what changed; report records to retry.
    pub async fn on_stream(&self, event: Event) -> DynamoDbEventResponse {
        let mut response = DynamoDbEventResponse::default();
        for record in &event.records {
            if !matches_any(&LEASE_FILTERS, record) {
                continue;
            }
            let decoded = lease_from_image(record.change.old_image.clone()).and_then(|old| {
                lease_from_image(record.change.new_image.clone()).map(|new| (old, new))
            });
            let result = match decoded {
                Ok((old, new)) => self
                    .lifecycle
                    .on_change(old.as_ref(), new.as_ref())
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = result {
                // Correctness does not wait for this: readers treat a lease past its hold as over.
                tracing::warn!(event_id = %record.event_id, error = %e, "lease expiry not scheduled; will retry");
                response.batch_item_failures.push(retry(record));
            }
        }
        response
    }
}

#[async_trait::async_trait]
impl<S: ReleaseStore + 'static, P: LeaseScheduler + 'static> StreamHandler for CallbackLease<S, P> {
    async fn handle(&self, event: Event) -> DynamoDbEventResponse {
        self.on_stream(event).await
    }
}

/// How the Lambda runtime reports a failed invocation (the scheduler then retries).
impl From<LeaseError> for lambda_runtime::Diagnostic {
    fn from(e: LeaseError) -> Self {
        let error_type = match e {
            LeaseError::Store(_) => "StoreUnavailable",
            LeaseError::Unrecognised(_) => "UnrecognisedEvent",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
