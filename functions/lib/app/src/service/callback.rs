//! A call to a callback number: straight to the agent who holds it. The
//! routing is one read; that the callback came is then marked (one write,
//! bounded, never holding the answer longer than [`MARK_BUDGET`], and its
//! failure never changing it) so the incident shows it.

use std::sync::Arc;

use crate::clock::Clock;
use crate::ports::CallbackStore;
use crate::settings::Settings;
use lifeline_domain::call::{InboundAnswer, InboundCall};
use lifeline_domain::lease::Lease;

/// The most the callback's mark may add to its answer.
pub const MARK_BUDGET: std::time::Duration = std::time::Duration::from_millis(150);

pub struct CallbackService<S> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    settings: Arc<Settings>,
}

impl<S: CallbackStore> CallbackService<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, settings: Arc<Settings>) -> Self {
        CallbackService {
            store,
            clock,
            settings,
        }
    }

    /// One read. Anything but a live lease, including a store failure, is
    /// normal routing: the call is never dropped.
    pub async fn route(&self, call: InboundCall) -> InboundAnswer {
        let now = self.clock.now();
        match self.store.lease_for_number(&call.to).await {
            Ok(Some(lease)) if lease.is_live(now) => {
                tracing::info!(call_id = %call.call_id, agent_id = %lease.agent, to = %call.to.redacted(),
                    psap_marked = call.sip_priority.is_some(), "emergency callback routed to the agent");
                self.mark(&call, &lease, now).await;
                let fallback = if lease.fallback.is_empty() {
                    self.settings.callback_fallback.clone()
                } else {
                    lease.fallback
                };
                InboundAnswer::connect(&lease.agent, fallback)
            }
            Ok(_) => {
                if call.sip_priority.is_some() {
                    tracing::warn!(call_id = %call.call_id, to = %call.to.redacted(),
                        "PSAP-marked callback to a number with no live lease; normal routing");
                }
                InboundAnswer::Continue {}
            }
            Err(e) => {
                tracing::error!(call_id = %call.call_id, error = %e, "callback lookup failed; normal routing");
                InboundAnswer::Continue {}
            }
        }
    }

    /// Marks the callback on the number (for the incident's timeline and
    /// the follow-up), within [`MARK_BUDGET`]; a failure is logged only.
    async fn mark(&self, call: &InboundCall, lease: &Lease, now: chrono::DateTime<chrono::Utc>) {
        let write = self.store.note_callback(&call.to, &lease.lease_id, now);
        match tokio::time::timeout(MARK_BUDGET, write).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(call_id = %call.call_id, error = %e, "callback not marked (the incident will not show it)")
            }
            Err(_) => {
                tracing::warn!(call_id = %call.call_id, "callback mark took too long; not waited for")
            }
        }
    }
}
