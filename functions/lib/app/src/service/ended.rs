//! A call ended: the callback window now runs from this end, when it is the
//! agent's last active emergency call.

use chrono::{DateTime, Utc};
use std::sync::Arc;

use crate::clock::Clock;
use crate::ports::{EndError, EndStore, LeaseWrite, StoreError};
use crate::settings::Settings;
use lifeline_domain::call::CallEnded;

const MAX_ATTEMPTS: usize = 5;

#[derive(Debug, Clone, thiserror::Error)]
pub enum EndCallError {
    #[error("no emergency call `{0}`")]
    UnknownCall(String),
    #[error("call `{call}` belongs to another agent")]
    WrongAgent { call: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the lease kept changing; try again")]
    Contention,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndOutcome {
    Ended,
    AlreadyEnded,
}

pub struct EndService<S> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    settings: Arc<Settings>,
}

impl<S: EndStore> EndService<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, settings: Arc<Settings>) -> Self {
        EndService {
            store,
            clock,
            settings,
        }
    }

    pub async fn end(&self, ended: CallEnded) -> Result<EndOutcome, EndCallError> {
        let now = self.clock.now();
        for _ in 0..MAX_ATTEMPTS {
            let (call, lease) = self
                .store
                .end_context(&ended.call_id, &ended.agent_id)
                .await?;
            let call = call.ok_or_else(|| EndCallError::UnknownCall(ended.call_id.to_string()))?;
            if call.agent_id != ended.agent_id {
                return Err(EndCallError::WrongAgent {
                    call: ended.call_id.to_string(),
                });
            }
            if call.ended_at.is_some() {
                return Ok(EndOutcome::AlreadyEnded);
            }
            // The lease moves only when this call is one it carries.
            let write = lease
                .filter(|l| call.lease_id.as_ref() == Some(&l.lease_id))
                .and_then(|l| {
                    self.settings
                        .lease
                        .on_end(&l, &ended.call_id, now)
                        .map(|next| LeaseWrite::Update {
                            available_at: self.settings.lease.available_at(&next),
                            expected_version: l.version,
                            lease: next,
                        })
                });
            match self
                .store
                .record_end(&ended.call_id, now, self.ttl(now), write.as_ref())
                .await
            {
                Ok(()) => {
                    if let Some(LeaseWrite::Update { lease, .. }) = &write {
                        tracing::info!(call_id = %ended.call_id, agent_id = %ended.agent_id,
                            active_calls = lease.active_calls.len(), callback_until = %lease.expires_at,
                            "emergency call ended");
                    } else {
                        tracing::info!(call_id = %ended.call_id, agent_id = %ended.agent_id, "emergency call ended (no lease change)");
                    }
                    return Ok(EndOutcome::Ended);
                }
                Err(EndError::AlreadyEnded) => return Ok(EndOutcome::AlreadyEnded),
                Err(EndError::LeaseChanged) => continue,
                Err(EndError::Store(e)) => return Err(e.into()),
            }
        }
        Err(EndCallError::Contention)
    }

    fn ttl(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.settings.lease.window + self.settings.record_retention
    }
}
