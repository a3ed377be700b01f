//! The lease write: a plan (claim a number, extend the agent's lease), one
//! atomic write of it with the call's record, and what its outcome means
//! (answered, try another number, back off, plan from the agent's lease).

use chrono::{DateTime, Utc};

use lifeline_domain::call::{OutboundAnswer, OutboundDial};
use lifeline_domain::degraded::DegradedReason;
use lifeline_domain::dial::{call_record, new_lease, plan_lease, BestMatch, LeasePlan};
use lifeline_domain::lease::Lease;
use lifeline_domain::numbers::EmergencyMatch;
use lifeline_domain::types::E164;

use super::candidates::Candidates;
use super::deadline::{within, Deadline};
use super::degraded::reason_of;
use super::degraded::Instead;
use super::DialService;
use crate::ports::{DialContext, DialStore, ItemKind, LeaseWrite, RecordError};

/// Write attempts before answering degraded.
const MAX_ATTEMPTS: usize = 16;

/// What one dial leases for: the dial, its country's match, its time and
/// its deadline.
#[derive(Clone, Copy)]
struct Leasing<'a> {
    dial: &'a OutboundDial,
    m: EmergencyMatch,
    now: DateTime<Utc>,
    deadline: &'a Deadline,
}

/// What one write attempt came to.
enum Attempt {
    Answered(OutboundAnswer),
    /// Another dial took the number: try another.
    NumberTaken,
    /// Nobody won yet: try again shortly.
    Conflict,
    /// The agent's lease changed since it was read: the store's refusal
    /// says to what (none: read again).
    LeaseChanged(Option<Box<Lease>>),
    /// The store failed or did not answer in time (the write may still have
    /// committed): the reason to record.
    Failed(DegradedReason),
}

/// Why the plan gave no write this time.
enum NoWrite {
    /// More candidates were read: plan again.
    LookedFurther,
    /// Nothing left to try.
    Exhausted,
}

impl<S: DialStore + 'static> DialService<S> {
    /// Plans a lease and writes it with the call, until a write wins or there
    /// is nothing left to try.
    pub(super) async fn lease_and_record(
        &self,
        dial: &OutboundDial,
        m: EmergencyMatch,
        mut ctx: DialContext,
        candidates: &mut Candidates,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> OutboundAnswer {
        let at = Leasing {
            dial,
            m,
            now,
            deadline,
        };
        for _ in 0..MAX_ATTEMPTS {
            if !deadline.allows_lease_write() {
                tracing::error!(call_id = %dial.call_id, remaining_ms = deadline.remaining().as_millis() as u64,
                    "too little of the dial's budget left for a lease write; recording the call without one");
                return self
                    .record_without_lease(dial, &ctx, m, now, DegradedReason::Timeout, deadline)
                    .await;
            }
            let write = match self.next_write(at, &ctx, candidates).await {
                Ok(write) => write,
                Err(NoWrite::LookedFurther) => continue,
                Err(NoWrite::Exhausted) => {
                    let failed = candidates.lookup_failed;
                    return self.no_number(dial, &ctx, m, failed, now, deadline).await;
                }
            };
            let number = write_lease(&write).number.clone();
            let attempt = self.write(at, &ctx, &write).await;
            if let Some(answer) = self
                .after_attempt(at, attempt, number, &mut ctx, candidates)
                .await
            {
                return answer;
            }
        }
        tracing::error!(call_id = %dial.call_id, "no callback number after {MAX_ATTEMPTS} attempts");
        self.record_without_lease(dial, &ctx, m, now, DegradedReason::Contention, deadline)
            .await
    }

    /// The lease plan's write; when every candidate was tried, the
    /// listing's next page or a fresh first page before the pool counts as
    /// exhausted.
    async fn next_write(
        &self,
        at: Leasing<'_>,
        ctx: &DialContext,
        candidates: &mut Candidates,
    ) -> Result<LeaseWrite, NoWrite> {
        let pick = self.ids.below(usize::MAX);
        let plan = plan_lease(
            ctx.lease.as_ref(),
            at.m.country,
            at.now,
            &candidates.numbers,
            &candidates.tried,
            pick,
        );
        match plan {
            // The index lists more than this page: page past the tried ones
            // before anything says the pool is exhausted.
            LeasePlan::Exhausted if candidates.next.is_some() => {
                self.next_page(at.m.country, candidates, at.now, at.deadline)
                    .await;
                Err(NoWrite::LookedFurther)
            }
            LeasePlan::Exhausted if candidates.requeries_left > 0 => {
                candidates.requeries_left -= 1;
                let fresh = self.lookup(at.m.country, at.now, None, at.deadline).await;
                candidates.refresh(fresh.unwrap_or_default());
                Err(NoWrite::LookedFurther)
            }
            LeasePlan::Exhausted => Err(NoWrite::Exhausted),
            LeasePlan::Extend(held) => Ok(self.extend(at.dial, &held, at.now)),
            LeasePlan::Claim(number) => Ok(self.claim(at, ctx, number)),
        }
    }

    /// What a write attempt leaves to do: the answer, or (`None`) another
    /// attempt with what it taught.
    async fn after_attempt(
        &self,
        at: Leasing<'_>,
        attempt: Attempt,
        number: E164,
        ctx: &mut DialContext,
        candidates: &mut Candidates,
    ) -> Option<OutboundAnswer> {
        let (dial, m, now, deadline) = (at.dial, at.m, at.now, at.deadline);
        match attempt {
            Attempt::Answered(answer) => Some(answer),
            Attempt::NumberTaken => {
                candidates.tried.insert(number);
                self.look_further(m.country, candidates, now, deadline)
                    .await;
                None
            }
            Attempt::Conflict => {
                self.back_off().await;
                None
            }
            // The transaction failed (or its outcome is unknown): record the
            // call alone. Had the transaction committed after all, that write
            // finds its record, and the stored answer is the one given.
            Attempt::Failed(reason) => Some(
                self.record_without_lease(dial, ctx, m, now, reason, deadline)
                    .await,
            ),
            // The refusal names the lease the agent holds: plan from it
            // (extend it, or take their previous number back), unread.
            Attempt::LeaseChanged(Some(current)) => {
                if current.country == m.country && current.is_live(now) {
                    // The extension uses no candidate: another dial may.
                    self.warm.give_back(m.country, number);
                }
                ctx.lease = Some(*current);
                None
            }
            Attempt::LeaseChanged(None) => {
                candidates.tried.insert(number);
                self.reread(at, ctx).await
            }
        }
    }

    /// The agent's lease changed and the refusal did not say to what: the
    /// context read again (its call, if recorded meanwhile, is the answer).
    async fn reread(&self, at: Leasing<'_>, ctx: &mut DialContext) -> Option<OutboundAnswer> {
        let dial = at.dial;
        let reread = self.store.dial_context(&dial.call_id, &dial.agent_id);
        match within(at.deadline.before_reserve(), reread).await {
            Ok(fresh) => match &fresh.call {
                Some(call) => {
                    let best = BestMatch::known(at.m);
                    let instead = Instead::Dial(&fresh);
                    Some(
                        self.answer_taken(dial, best, Some(call), instead, at.now, at.deadline)
                            .await,
                    )
                }
                // Which number the agent holds cannot be told: none is
                // claimed, at once (as on the cold path), not retried.
                None if fresh.unreadable.contains(&ItemKind::LeasePointer) => {
                    let reason = DegradedReason::LeaseUnreadable;
                    Some(
                        self.record_without_lease(dial, &fresh, at.m, at.now, reason, at.deadline)
                            .await,
                    )
                }
                None => {
                    *ctx = fresh;
                    None
                }
            },
            Err(e) => {
                tracing::error!(call_id = %dial.call_id, error = %e, "context re-read failed");
                let reason = reason_of(&e);
                Some(
                    self.record_without_lease(dial, ctx, at.m, at.now, reason, at.deadline)
                        .await,
                )
            }
        }
    }

    /// Another call on the live lease the agent holds.
    fn extend(&self, dial: &OutboundDial, held: &Lease, now: DateTime<Utc>) -> LeaseWrite {
        let policy = &self.settings.lease;
        let lease = policy.on_dial(held, dial.call_id.clone(), now);
        LeaseWrite::Update {
            available_at: policy.available_at(&lease),
            lease,
            expected_version: held.version,
        }
    }

    /// A new lease on `number`.
    fn claim(&self, at: Leasing<'_>, ctx: &DialContext, number: E164) -> LeaseWrite {
        let policy = &self.settings.lease;
        let lease = new_lease(
            policy,
            at.dial,
            ctx.agent.as_ref(),
            ctx.lease.as_ref(),
            (self.ids.lease_id(), number, at.m.country),
            &self.settings.callback_fallback,
            at.now,
        );
        LeaseWrite::Claim {
            available_at: policy.available_at(&lease),
            lease,
            now: at.now,
            pointer_version: ctx.lease.as_ref().map(|l| l.version),
        }
    }

    /// One atomic write of the call record and the lease change, and what
    /// its outcome means for the dial.
    async fn write(&self, at: Leasing<'_>, ctx: &DialContext, write: &LeaseWrite) -> Attempt {
        let (dial, m, now) = (at.dial, at.m, at.now);
        let lease = write_lease(write);
        let call = call_record(
            dial,
            ctx.agent.as_ref(),
            ctx.tenant,
            m,
            Some(lease),
            None,
            now,
        );
        let request = self
            .store
            .record_emergency(&call, self.ttl(now), Some(write));
        match within(at.deadline.before_reserve(), request).await {
            Ok(()) => {
                tracing::info!(call_id = %dial.call_id, agent_id = %dial.agent_id, number = %lease.number.redacted(),
                    test = m.test, "emergency call recorded with callback number");
                Attempt::Answered(OutboundAnswer::emergency(&call))
            }
            // Recorded meanwhile (`None`: unreadable); the number this
            // write meant to claim was not claimed.
            Err(RecordError::CallExists(existing)) => {
                let (best, instead) = (BestMatch::known(m), Instead::Dial(ctx));
                let answer = self
                    .answer_taken(dial, best, existing.as_deref(), instead, now, at.deadline)
                    .await;
                Attempt::Answered(answer)
            }
            Err(RecordError::NumberTaken) => Attempt::NumberTaken,
            Err(RecordError::Conflict) => Attempt::Conflict,
            Err(RecordError::LeaseChanged(current)) => Attempt::LeaseChanged(current),
            Err(RecordError::Store(e)) => {
                tracing::error!(call_id = %dial.call_id, error = %e, "emergency write failed or unanswered; recording the call without a lease");
                Attempt::Failed(reason_of(&e))
            }
        }
    }

    /// A transaction conflict: nobody won yet. Wait a little, jittered so
    /// that racers spread out.
    async fn back_off(&self) {
        let ms = 2 + self.ids.below(18) as u64;
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
}

fn write_lease(write: &LeaseWrite) -> &Lease {
    match write {
        LeaseWrite::Claim { lease, .. } | LeaseWrite::Update { lease, .. } => lease,
    }
}
