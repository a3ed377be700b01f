//! A call to a callback number: straight to the agent who holds it.

use std::sync::Arc;

use crate::clock::Clock;
use crate::ports::CallbackStore;
use crate::settings::Settings;
use lifeline_domain::call::{InboundAnswer, InboundCall};

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
}
