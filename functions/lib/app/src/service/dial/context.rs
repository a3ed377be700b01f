//! The dial's one read: the call under its id, the agent's profile and
//! lease, the tenant's settings and the registered location, with the
//! pool's first page read alongside when the country is known already.

use chrono::{DateTime, Utc};

use lifeline_domain::call::{OutboundAnswer, OutboundDial};
use lifeline_domain::dial::degraded_call;
use lifeline_domain::numbers::EmergencyMatch;

use super::deadline::{within, Deadline};
use super::degraded::reason_of;
use super::DialService;
use crate::ports::{DialContext, DialStore, PoolPage, StoreError};

/// The context, and the pool's first page when it was read with it.
pub(super) type ContextRead = (DialContext, Option<Result<PoolPage, StoreError>>);

impl<S: DialStore + 'static> DialService<S> {
    /// The call, profile, lease and tenant, and (when the country is known
    /// already) the available numbers: one round trip, the two reads at once.
    pub(super) async fn read_context(
        &self,
        dial: &OutboundDial,
        known: Option<EmergencyMatch>,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> Result<ContextRead, StoreError> {
        let context = within(
            deadline.before_reserve(),
            self.store.dial_context(&dial.call_id, &dial.agent_id),
        );
        match known {
            // The container's queue serves an agent without a lease; one
            // with a lease plans from it.
            Some(m) if self.warm.queued(m.country) == 0 && !self.warm.refilling(m.country) => {
                // The first dial of a cold container reads the listing for
                // every dial arriving with it: they wait for its page (as
                // for a refill) instead of each reading the same page.
                let leads = self.warm.start_prefetch(m.country);
                let lookup = self.lookup(m.country, now, None, deadline);
                let (ctx, numbers) = tokio::join!(context, lookup);
                if leads {
                    let limit = self.candidate_limit(m.country);
                    self.warm
                        .looked_up(m.country, numbers.as_ref().ok(), limit, now);
                }
                Ok((ctx?, Some(numbers)))
            }
            _ => Ok((context.await?, None)),
        }
    }

    /// The context could not be read: answered degraded, and still a trace
    /// left (presence and e-mail follow the record) when the table takes a
    /// write within the budget.
    pub(super) async fn context_unread(
        &self,
        dial: &OutboundDial,
        known: Option<EmergencyMatch>,
        error: &StoreError,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> OutboundAnswer {
        tracing::error!(call_id = %dial.call_id, error = %error, "emergency dial: context read failed; answering degraded");
        let best = self.best_match(dial, known);
        let call = degraded_call(dial, best, reason_of(error), now);
        self.write_degraded(dial, call, best, now, deadline).await
    }

    /// Items that did not decode were read as missing: count them, by kind.
    pub(super) fn report_unreadable(&self, ctx: &DialContext) {
        // The store logs each one with its decode error; this counts them.
        for kind in &ctx.unreadable {
            self.metrics.count_by("CorruptItem", "Kind", kind.as_str());
        }
    }
}
