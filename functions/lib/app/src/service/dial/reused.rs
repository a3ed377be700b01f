//! A dial whose `callId` is recorded already: the stored answer when it is
//! the same live dial (a retried webhook); otherwise a call of its own,
//! recorded at the id's next position — a new call when every call under
//! the id is over, a `call_id_conflict` (the agent's own number, DND and
//! the e-mail still follow) when another live call holds it.

use chrono::{DateTime, Utc};
use std::future::Future;
use std::pin::Pin;

use lifeline_domain::call::{EmergencyCall, OutboundAnswer, OutboundDial};
use lifeline_domain::chain::{place, standing, Placement, Standing};
use lifeline_domain::degraded::DegradedReason;
use lifeline_domain::dial::{degraded_call, BestMatch};
use lifeline_domain::route::select_route;
use lifeline_domain::types::CallId;

use super::deadline::{within, Deadline};
use super::degraded::{leaseless_record, Instead};
use super::DialService;
use crate::ports::DialStore;
use crate::service::chain::read_chain;

type Boxed<'a> = Pin<Box<dyn Future<Output = OutboundAnswer> + Send + 'a>>;

impl<S: DialStore + 'static> DialService<S> {
    /// `existing` (`None`: there but unreadable) holds the dial's id.
    pub(super) async fn answer_taken(
        &self,
        dial: &OutboundDial,
        best: BestMatch,
        existing: Option<&EmergencyCall>,
        instead: Instead<'_>,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> OutboundAnswer {
        let limit = self.settings.lease.active_call_limit;
        if let Some(call) = existing {
            if standing(Some(call), dial, best, now, limit) == Standing::ThisDial {
                return OutboundAnswer::emergency(call);
            }
        }
        let chain = read_chain(&*self.store, &dial.call_id);
        let records = match within(deadline.before_reserve(), chain).await {
            Ok(records) => records,
            Err(e) => {
                tracing::error!(call_id = %dial.call_id, error = %e, "the records under a reused callId could not be read");
                return self.call_id_conflict(dial, best, now);
            }
        };
        match place(&records, dial, best, now, limit) {
            Placement::Repeat(call) => OutboundAnswer::emergency(&call),
            Placement::Full => {
                tracing::error!(call_id = %dial.call_id, "this callId has all the records it may have");
                self.call_id_conflict(dial, best, now)
            }
            Placement::Fresh(id) => {
                tracing::info!(call_id = %id, agent_id = %dial.agent_id,
                    "callId reused after its call was over: a new call");
                self.metrics.emit("ReusedCallIds", 1.0, "Count", &[]);
                self.again(at(dial, id), best, instead, None, now, deadline)
                    .await
            }
            Placement::Conflict(id) => {
                tracing::warn!(call_id = %id, agent_id = %dial.agent_id,
                    "callId held by another live call: recorded apart, with the agent's own number");
                self.metrics.emit("CallIdConflicts", 1.0, "Count", &[]);
                let reason = Some(DegradedReason::CallIdConflict);
                self.again(at(dial, id), best, instead, reason, now, deadline)
                    .await
            }
        }
    }

    /// The dial at its new id: the whole dial again (a fresh call), or its
    /// record without a lease (`conflict`, or a record that had none).
    fn again<'a>(
        &'a self,
        dial: OutboundDial,
        best: BestMatch,
        instead: Instead<'a>,
        conflict: Option<DegradedReason>,
        now: DateTime<Utc>,
        deadline: &'a Deadline,
    ) -> Boxed<'a> {
        // Boxed: a write at the new id may find it taken too (a race), and
        // comes back here, one position further each time.
        Box::pin(async move {
            let call = match (instead, conflict) {
                (Instead::Dial(ctx), None) => {
                    let mut ctx = ctx.clone();
                    ctx.call = None;
                    return self
                        .go_on_from(&dial, best.m, ctx, None, now, deadline)
                        .await;
                }
                (Instead::Dial(ctx), Some(reason)) => match best.m {
                    Some(m) => leaseless_record(&dial, ctx, m, reason, now),
                    None => {
                        let mut call = degraded_call(&dial, best, reason, now);
                        if let Some(a) = &ctx.agent {
                            call.route = select_route(a.number_type, ctx.tenant).route;
                        }
                        call
                    }
                },
                (Instead::Record(call), reason) => {
                    let mut call = call.clone();
                    call.call_id = dial.call_id.clone();
                    if reason.is_some() {
                        call.reason = reason;
                    }
                    call
                }
            };
            self.write_degraded(&dial, call, best, now, deadline).await
        })
    }
}

/// `dial` under the record id `id`.
fn at(dial: &OutboundDial, id: CallId) -> OutboundDial {
    OutboundDial {
        call_id: id,
        ..dial.clone()
    }
}
