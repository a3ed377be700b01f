//! Answers without a callback number: the call still recorded when the
//! table takes it (else kept in the outbox, else counted as unrecorded), a
//! repeated or conflicting `callId`, and the fail-open answer given without
//! the store. Every one is `emergency` with the agent's own number.

use chrono::{DateTime, Utc};

use lifeline_domain::call::{EmergencyCall, OutboundAnswer, OutboundDial};
use lifeline_domain::classify::{classify, Classification};
use lifeline_domain::degraded::DegradedReason;
use lifeline_domain::dial::{call_record, degraded_call, BestMatch};
use lifeline_domain::numbers::EmergencyMatch;
use lifeline_domain::route::select_route;

use super::deadline::{within, Deadline};
use super::DialService;
use crate::ports::{DialContext, DialStore, RecordError, StoreError};

/// The metric's `Reason` for a degraded answer that gives none.
const NO_REASON: &str = "unknown";

/// The call's record without a callback number, degraded for `reason`.
pub(super) fn leaseless_record(
    dial: &OutboundDial,
    ctx: &DialContext,
    m: EmergencyMatch,
    reason: DegradedReason,
    now: DateTime<Utc>,
) -> EmergencyCall {
    call_record(
        dial,
        ctx.agent.as_ref(),
        ctx.tenant,
        m,
        None,
        Some(reason),
        now,
    )
}

/// What the dial was about to write when it found its id taken.
pub(super) enum Instead<'a> {
    /// The lease and record: the dial starts again at the new id, from this
    /// context (its call put aside).
    Dial(&'a DialContext),
    /// A record without a lease: the same record at the new id.
    Record(&'a EmergencyCall),
}

/// The degraded reason a store failure gives.
pub(super) fn reason_of(e: &StoreError) -> DegradedReason {
    match e {
        StoreError::TimedOut(_) => DegradedReason::Timeout,
        _ => DegradedReason::StoreUnavailable,
    }
}

impl<S: DialStore + 'static> DialService<S> {
    /// Whether `dial` looks like an emergency call (recognised without the store).
    pub fn looks_emergency(&self, dial: &OutboundDial) -> bool {
        !matches!(
            classify(dial, &self.settings.outside_line_prefix),
            Classification::Ordinary
        )
    }

    /// A dial that cannot be served normally (its request not authenticated,
    /// its handling failed): when it looks like an emergency, `emergency` with
    /// the given own number, degraded with `reason`, nothing read or written;
    /// `None` when it does not.
    pub fn fail_open(&self, dial: &OutboundDial, reason: DegradedReason) -> Option<OutboundAnswer> {
        if !self.looks_emergency(dial) {
            return None;
        }
        tracing::warn!(call_id = %dial.call_id, agent_id = %dial.agent_id, reason = reason.as_str(),
            "emergency-looking dial answered without the store: the agent's own number");
        let answer =
            self.degraded_answer(dial, self.best_match(dial, None), self.clock.now(), reason);
        self.count_degraded(&answer);
        Some(answer)
    }

    /// The platform's adapter answered `fail_open` for this dial (its own
    /// budget ran out, or the handling panicked): the call as it goes out —
    /// the agent's own number, degraded `platform_fail_open` — is handed to
    /// the outbox, whose consumer records it, or makes a record written
    /// meanwhile with another number say the own one. Whether it was kept;
    /// `false` for an ordinary dial or with no outbox.
    pub async fn report_fail_open(&self, dial: &OutboundDial) -> Result<bool, StoreError> {
        let Some(outbox) = &self.outbox else {
            return Ok(false);
        };
        if !self.looks_emergency(dial) {
            return Ok(false);
        }
        let now = self.clock.now();
        let reason = DegradedReason::PlatformFailOpen;
        let call = degraded_call(dial, self.best_match(dial, None), reason, now);
        outbox.send(&call, self.ttl(now)).await?;
        tracing::warn!(call_id = %dial.call_id, agent_id = %dial.agent_id,
            "the platform placed an emergency call on its own; kept in the outbox to be recorded as presented");
        Ok(true)
    }

    pub(super) fn count_degraded(&self, answer: &OutboundAnswer) {
        if let OutboundAnswer::Emergency {
            degraded: true,
            reason,
            ..
        } = answer
        {
            // Anyone on the internet can send an unsigned dial: counted on
            // its own, so the degraded-dial alarm sees real dials only.
            if *reason == Some(DegradedReason::Unauthenticated) {
                self.metrics
                    .emit("UnauthenticatedFailOpens", 1.0, "Count", &[]);
                return;
            }
            let reason = reason.map_or(NO_REASON, DegradedReason::as_str);
            // By reason, and in total (the alarm's fixed dimension set).
            self.metrics
                .count_by("DegradedEmergencyAnswers", "Reason", reason);
        }
    }

    /// No number to claim: the call is recorded without a lease, with the
    /// failed lookup's reason when there was one (it says nothing of the pool).
    pub(super) async fn no_number(
        &self,
        dial: &OutboundDial,
        ctx: &DialContext,
        m: EmergencyMatch,
        lookup_failed: Option<DegradedReason>,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> OutboundAnswer {
        if let Some(reason) = lookup_failed {
            tracing::error!(call_id = %dial.call_id, country = %m.country,
                "no callback number: the lookup failed; presenting the agent's own number");
            return self
                .record_without_lease(dial, ctx, m, now, reason, deadline)
                .await;
        }
        // A country with no pool at all is a gap in the setup, not a run on
        // the pool: say which (when the store cannot tell, it was exhausted).
        let has_pool = within(deadline.before_reserve(), self.store.has_pool(m.country)).await;
        if let Ok(false) = has_pool {
            tracing::error!(call_id = %dial.call_id, country = %m.country,
                "no callback-number pool for this country; presenting the agent's own number");
            self.metrics.count_by("NoPool", "Country", m.country.code());
            return self
                .record_without_lease(dial, ctx, m, now, DegradedReason::NoPool, deadline)
                .await;
        }
        tracing::error!(call_id = %dial.call_id, country = %m.country,
            "callback-number pool exhausted; presenting the agent's own number");
        // By country, and in total (the alarm's fixed dimension set).
        self.metrics
            .count_by("PoolExhausted", "Country", m.country.code());
        self.record_without_lease(dial, ctx, m, now, DegradedReason::PoolExhausted, deadline)
            .await
    }

    pub(super) async fn record_without_lease(
        &self,
        dial: &OutboundDial,
        ctx: &DialContext,
        m: EmergencyMatch,
        now: DateTime<Utc>,
        reason: DegradedReason,
        deadline: &Deadline,
    ) -> OutboundAnswer {
        let call = leaseless_record(dial, ctx, m, reason, now);
        self.write_degraded(dial, call, BestMatch::known(m), now, deadline)
            .await
    }

    /// No usable country at all: an emergency call still, without a lease.
    pub(super) async fn record_without_country(
        &self,
        dial: &OutboundDial,
        ctx: &DialContext,
        now: DateTime<Utc>,
        reason: DegradedReason,
        deadline: &Deadline,
    ) -> OutboundAnswer {
        let best = self.best_match(dial, None);
        let mut call = degraded_call(dial, best, reason, now);
        if let Some(a) = &ctx.agent {
            call.route = select_route(a.number_type, ctx.tenant).route;
        }
        self.write_degraded(dial, call, best, now, deadline).await
    }

    /// The call is still recorded (side effects need it), without a lease.
    pub(super) async fn write_degraded(
        &self,
        dial: &OutboundDial,
        call: EmergencyCall,
        best: BestMatch,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> OutboundAnswer {
        // Conditional on the call not being recorded: it either finds a lease
        // write whose answer was lost (and answers from it) or keeps that
        // write from committing later, so the answer and the record agree.
        let request = self.store.record_emergency(&call, self.ttl(now), None);
        // With an outbox, part of the rest is kept for it.
        let limit = match self.outbox {
            Some(_) => deadline.for_record().saturating_sub(deadline.attempt / 2),
            None => deadline.for_record(),
        };
        match within(limit, request).await {
            // Unreadable, it says nothing; this answer claimed no number.
            Ok(()) => OutboundAnswer::emergency(&call),
            Err(RecordError::CallExists(existing)) => {
                let instead = Instead::Record(&call);
                self.answer_taken(dial, best, existing.as_deref(), instead, now, deadline)
                    .await
            }
            Err(e) => {
                tracing::error!(call_id = %call.call_id, error = %e, "degraded call record not written");
                self.keep_in_outbox(&call, now, deadline).await;
                OutboundAnswer::emergency(&call)
            }
        }
    }

    /// The table did not take the call's record: the outbox keeps it (as
    /// answered) until its consumer can record it. Without one, or with it
    /// down too, the call is counted as unrecorded (an alarm).
    async fn keep_in_outbox(&self, call: &EmergencyCall, now: DateTime<Utc>, deadline: &Deadline) {
        let sent = match &self.outbox {
            Some(outbox) => within(deadline.for_record(), outbox.send(call, self.ttl(now))).await,
            None => Err(StoreError::Unavailable("no outbox configured".into())),
        };
        match sent {
            Ok(()) => {
                tracing::warn!(call_id = %call.call_id, "emergency call kept in the outbox, to be recorded later");
                self.metrics
                    .emit("OutboxedEmergencyCalls", 1.0, "Count", &[]);
            }
            Err(e) => {
                tracing::error!(call_id = %call.call_id, error = %e, "emergency call neither recorded nor kept in the outbox");
                self.metrics
                    .emit("UnrecordedEmergencyCalls", 1.0, "Count", &[]);
            }
        }
    }

    /// A `callId` that belongs to another dial, where no record of this one
    /// can be made: the agent's own number, never another call's callback
    /// number.
    pub(super) fn call_id_conflict(
        &self,
        dial: &OutboundDial,
        best: BestMatch,
        now: DateTime<Utc>,
    ) -> OutboundAnswer {
        tracing::warn!(call_id = %dial.call_id, agent_id = %dial.agent_id,
            "callId already recorded for another dial; presenting the agent's own number");
        self.metrics.emit("CallIdConflicts", 1.0, "Count", &[]);
        self.degraded_answer(dial, best, now, DegradedReason::CallIdConflict)
    }

    /// The answer when the store cannot be used: the call goes out with the
    /// agent's own number as caller ID.
    pub(super) fn degraded_answer(
        &self,
        dial: &OutboundDial,
        best: BestMatch,
        now: DateTime<Utc>,
        reason: DegradedReason,
    ) -> OutboundAnswer {
        OutboundAnswer::emergency(&degraded_call(dial, best, reason, now))
    }
}
