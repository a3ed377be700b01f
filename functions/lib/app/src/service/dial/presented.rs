//! `POST /calls/presented`: the platform placed an emergency call with
//! another caller ID than Lifeline's answer (or had none). The record is
//! made to say what the PSAP saw: written if there was none (Do Not Disturb
//! and the e-mail follow it, as for any call), corrected if it named another
//! number — whose lease, never seen by a PSAP, is freed in the same write.

use chrono::{DateTime, Utc};

use lifeline_domain::call::{EmergencyCall, OutboundDial};
use lifeline_domain::chain::{place, Placement};
use lifeline_domain::classify::ProfileMatch;
use lifeline_domain::degraded::DegradedReason;
use lifeline_domain::dial::degraded_call;
use lifeline_domain::numbers::EmergencyMatch;
use lifeline_domain::presented::{presented_as, CallPresented};
use lifeline_domain::types::CallId;

use super::degraded::leaseless_record;
use super::DialService;
use crate::ports::{
    DialContext, DialStore, EndStore, ItemKind, OutboxStore, RecordError, SettleError, StoreError,
};
use crate::service::chain::read_chain;
use crate::service::ended::{EndCallError, EndService};
use crate::service::unseen::unseen_lease_write;

/// How many times a report is applied over a record or lease that changed
/// under it before the platform is asked to retry.
const ATTEMPTS: usize = 3;

/// The record a report is about.
enum Reported {
    Recorded(Box<EmergencyCall>),
    /// None yet: to be recorded at this id.
    Unrecorded(CallId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented {
    /// Lifeline had no record: now it has, with the presented number.
    Recorded,
    /// The record named another number: it names the presented one now.
    Corrected,
    /// The record already said so (a repeated report).
    AlreadySo,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum PresentedError {
    #[error("`dialed` is not an emergency number")]
    NotEmergency,
    /// The id has all the records it may have (see `lifeline_domain::chain`).
    #[error("call id `{0}` has all the records it may have")]
    CallIdFull(String),
    #[error("the call's record kept changing; try again")]
    Contention,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<S: DialStore + OutboxStore + EndStore + 'static> DialService<S> {
    pub async fn presented(&self, report: &CallPresented) -> Result<Presented, PresentedError> {
        let dial = report.as_dial();
        let known = self
            .recognise(&dial)
            .map_err(|_| PresentedError::NotEmergency)?;
        for _ in 0..ATTEMPTS {
            let now = self.clock.now();
            let ctx = self
                .store
                .dial_context(&dial.call_id, &dial.agent_id)
                .await?;
            let outcome = match self.reported_call(&dial, known, &ctx, now).await? {
                Reported::Unrecorded(at) => {
                    let dial = OutboundDial {
                        call_id: at,
                        ..dial.clone()
                    };
                    self.record_presented(&dial, known, &ctx, now).await?
                }
                Reported::Recorded(call) if call.caller_id == report.caller_id => {
                    Some(Presented::AlreadySo)
                }
                Reported::Recorded(call) => self.correct(&call, report, &ctx, now).await?,
            };
            if let Some(outcome) = outcome {
                self.apply_kept_end(report).await?;
                return Ok(outcome);
            }
        }
        Err(PresentedError::Contention)
    }

    /// An end that came before the call was recorded (a platform that
    /// failed open ends its call before it reports it): applied now. A
    /// failure asks the platform to report again, which finds the record.
    async fn apply_kept_end(&self, report: &CallPresented) -> Result<(), PresentedError> {
        let ends = EndService::new(
            self.store.clone(),
            self.clock.clone(),
            self.settings.clone(),
        );
        match ends.apply_kept(&report.call_id, &report.agent_id).await {
            Ok(_) => Ok(()),
            Err(EndCallError::Store(e)) => Err(e.into()),
            Err(EndCallError::Contention) => Err(PresentedError::Contention),
        }
    }

    /// Which record the report is about: this dial's, live, under its id;
    /// else the id's first free position, where it is recorded (an earlier
    /// call's id reused, or another agent's live call holding it).
    async fn reported_call(
        &self,
        dial: &OutboundDial,
        known: Option<EmergencyMatch>,
        ctx: &DialContext,
        now: DateTime<Utc>,
    ) -> Result<Reported, PresentedError> {
        if ctx.call.is_none() && !ctx.unreadable.contains(&ItemKind::Call) {
            return Ok(Reported::Unrecorded(dial.call_id.clone()));
        }
        let records = read_chain(&*self.store, &dial.call_id).await?;
        let best = self.best_match(dial, known);
        match place(
            &records,
            dial,
            best,
            now,
            self.settings.lease.active_call_limit,
        ) {
            Placement::Repeat(call) => Ok(Reported::Recorded(call)),
            Placement::Fresh(at) | Placement::Conflict(at) => Ok(Reported::Unrecorded(at)),
            Placement::Full => Err(PresentedError::CallIdFull(dial.call_id.to_string())),
        }
    }

    /// A call Lifeline never recorded: recorded now, degraded, with the
    /// number presented; `None` when a record appeared meanwhile.
    async fn record_presented(
        &self,
        dial: &OutboundDial,
        known: Option<EmergencyMatch>,
        ctx: &DialContext,
        now: DateTime<Utc>,
    ) -> Result<Option<Presented>, PresentedError> {
        let registered = self.with_registered_location(dial, ctx, now);
        let dial = registered.as_ref().unwrap_or(dial);
        let reason = DegradedReason::PlatformFailOpen;
        let call = match self.country_of(dial, known, ctx) {
            ProfileMatch::Emergency(m) => leaseless_record(dial, ctx, m, reason, now),
            _ => degraded_call(dial, self.best_match(dial, known), reason, now),
        };
        match self
            .store
            .record_emergency(&call, self.ttl(now), None)
            .await
        {
            Ok(()) => {
                tracing::warn!(call_id = %call.call_id, agent_id = %call.agent_id,
                    "an emergency call Lifeline did not answer for is recorded from the platform's report");
                self.metrics
                    .count_by("PresentedReports", "Outcome", "recorded");
                Ok(Some(Presented::Recorded))
            }
            Err(RecordError::CallExists(_)) => Ok(None),
            Err(e) => Err(PresentedError::Store(StoreError::Unavailable(
                e.to_string(),
            ))),
        }
    }

    /// A record that names another number than the PSAP saw: corrected, and
    /// the lease that number was on freed of this call in the same write;
    /// `None` when the record or the lease changed meanwhile.
    async fn correct(
        &self,
        call: &EmergencyCall,
        report: &CallPresented,
        ctx: &DialContext,
        now: DateTime<Utc>,
    ) -> Result<Option<Presented>, PresentedError> {
        let corrected = presented_as(call, &report.caller_id);
        let lease = unseen_lease_write(&self.settings.lease, ctx.lease.as_ref(), call, now);
        match self
            .store
            .settle_presented(call, &corrected, lease.as_ref())
            .await
        {
            Ok(true) => {
                tracing::warn!(call_id = %call.call_id, agent_id = %call.agent_id,
                    reason = report.reason.as_str(), freed = lease.is_some(),
                    "the platform presented another number than Lifeline's answer; the record now names it");
                self.metrics
                    .count_by("PresentedReports", "Outcome", "corrected");
                Ok(Some(Presented::Corrected))
            }
            Ok(false) | Err(SettleError::LeaseChanged) => Ok(None),
            Err(SettleError::Store(e)) => Err(e.into()),
        }
    }
}
