//! Escalation: when tier 1 has gone out, the incident's first escalation
//! step is scheduled (a one-time schedule per step, named by it); when a
//! step fires with nobody having acknowledged, its tier is alerted — once,
//! however often the step fires: the step is claimed, its progress kept
//! while a recipient is pending, and marked done — and the next step is
//! scheduled. A firing after the acknowledgement, for a drill, or once the
//! call has been over longer than the policy's bound does nothing.

use crate::ports::{EmailSender, NotifyContext, NotifyStore};
use crate::service::incident::IncidentService;
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::escalation::{
    escalation_schedule, first_step, next_step, on_firing, EscalationFiring, IncidentState, Step,
    Stop,
};
use lifeline_domain::incident::{Entry, EntryDetail, EntryKind};
use lifeline_domain::notification::{notification_data, MessageKind};

use super::outcome::RetryLater;
use super::service::{NotifyService, StepKeeping};
use super::step::StepSend;
use crate::ports::LeaseScheduler;

/// What a step's firing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Escalated {
    /// The tier was alerted: `sent` messages, `refused` for good.
    Alerted { sent: usize, refused: usize },
    /// Nothing, and why (acknowledged, a drill, over).
    Stopped(Stop),
    /// Alerted by an earlier firing: nothing sent again.
    AlreadyDone,
    /// The call's record is gone (expired).
    NoCall,
    /// This notifier does not escalate.
    NotConfigured,
}

impl<S: NotifyStore, E: EmailSender> NotifyService<S, E> {
    /// Schedules the incident's first escalation step, once tier 1 is
    /// settled (again on a redelivery: the schedule is named by the step).
    pub(super) async fn schedule_first(&self, ctx: &NotifyContext) -> Result<(), RetryLater> {
        let (Some(schedules), Some(call)) = (&self.schedules, &ctx.call) else {
            return Ok(());
        };
        match first_step(&ctx.escalation.escalation_timing(), &state_of(call, false)) {
            Ok(step) => self.schedule(schedules.as_ref(), call, step).await,
            Err(_) => Ok(()), // a drill, or no tier after the first
        }
    }

    /// A step's firing: alerts its tier unless someone acknowledged (or the
    /// incident is a drill, or long over), then schedules the next step.
    pub async fn on_escalation_due(
        &self,
        firing: &EscalationFiring,
    ) -> Result<Escalated, RetryLater> {
        let (Some(esc), Some(schedules)) = (&self.steps, &self.schedules) else {
            return Ok(Escalated::NotConfigured);
        };
        let retry = |e: crate::ports::StoreError| RetryLater(e.to_string());
        let ctx = self
            .store
            .notify_context(&firing.call_id, &firing.agent_id)
            .await
            .map_err(retry)?;
        let Some(call) = ctx.call.as_ref() else {
            return Ok(Escalated::NoCall);
        };
        let state = state_of(call, self.acknowledged(esc, call).await?);
        let timing = ctx.escalation.escalation_timing();
        if let Err(stop) = on_firing(&timing, &state, self.clock.now()) {
            tracing::info!(call_id = %call.call_id, step = %firing.label(), reason = ?stop,
                "escalation step fired: nothing to do");
            return Ok(Escalated::Stopped(stop));
        }
        let step = firing.step();
        let outcome = self.alert_step(esc, &ctx, call, firing).await?;
        if let Ok(next) = next_step(&timing, &state, step) {
            self.schedule(schedules.as_ref(), call, next).await?;
        }
        Ok(outcome)
    }

    /// Alerts `firing`'s tier, once.
    async fn alert_step(
        &self,
        esc: &StepKeeping,
        ctx: &NotifyContext,
        call: &EmergencyCall,
        firing: &EscalationFiring,
    ) -> Result<Escalated, RetryLater> {
        let key = firing.step().key();
        let Some(progress) = self.claim_step(esc, call, key).await? else {
            return Ok(Escalated::AlreadyDone);
        };
        let recipients = ctx
            .escalation
            .recipients_of(firing.tier)
            .map(|r| r.entries().to_vec())
            .unwrap_or_default();
        let data = notification_data(call, ctx.agent.as_ref(), self.window)
            .escalated(firing.tier, firing.due - call.dialed_at);
        let label = firing.label();
        let step = StepSend {
            key,
            kind: MessageKind::Escalation,
            recipients: &recipients,
            data: &data,
            label: &label,
        };
        let settled = self.send_step(esc, ctx, call, step, progress).await?;
        let (sent, refused) = (settled.sent, settled.refused_count());
        tracing::warn!(call_id = %call.call_id, step = %label, recipients = recipients.len(), sent, refused,
            "nobody acknowledged: escalated");
        self.metrics.emit("Escalations", 1.0, "Count", &[]);
        self.escalated_entry(call, &label, sent, recipients.len())
            .await;
        Ok(Escalated::Alerted { sent, refused })
    }

    /// The `escalated` entry on the incident (its head follows, and with
    /// it `lifeline.incident.escalated`). Logged, never failing the step:
    /// its alerts went out.
    async fn escalated_entry(&self, call: &EmergencyCall, label: &str, sent: usize, of: usize) {
        let Some(timeline) = &self.timeline else {
            return;
        };
        let incidents =
            IncidentService::new(timeline.store.clone(), self.clock.clone(), timeline.keep);
        let entry = Entry::new(
            self.clock.now(),
            EntryKind::Escalated,
            label.replace(' ', "-"),
        )
        .with(EntryDetail {
            note: Some(format!("{label}: sent {sent} of {of}")),
            ..EntryDetail::default()
        });
        if let Err(e) = incidents.add(&call.call_id, &call.agent_id, entry).await {
            tracing::warn!(call_id = %call.call_id, error = %e, "the escalation's timeline entry was not written");
        }
    }

    /// Whether anyone acknowledged: through an alert's link, or on the
    /// incident itself (the console acknowledges there).
    async fn acknowledged(
        &self,
        esc: &StepKeeping,
        call: &EmergencyCall,
    ) -> Result<bool, RetryLater> {
        let acks = esc
            .acks
            .ack_context(&call.call_id)
            .await
            .map_err(|e| RetryLater(e.to_string()))?;
        if !acks.acks.is_empty() {
            return Ok(true);
        }
        let Some(timeline) = &self.timeline else {
            return Ok(false);
        };
        let record = timeline
            .store
            .incident(&call.call_id)
            .await
            .map_err(|e| RetryLater(e.to_string()))?;
        Ok(record.head.is_some_and(|h| h.acknowledged.is_some()))
    }

    async fn schedule(
        &self,
        schedules: &dyn LeaseScheduler,
        call: &EmergencyCall,
        step: Step,
    ) -> Result<(), RetryLater> {
        let schedule = escalation_schedule(&call.call_id, &call.agent_id, step);
        schedules
            .upsert(&schedule)
            .await
            .map_err(|e| RetryLater(format!("escalation schedule: {e}")))?;
        tracing::info!(call_id = %call.call_id, schedule = %schedule.name, at = %schedule.at,
            "escalation step scheduled");
        Ok(())
    }
}

/// The incident as escalation sees it: opened at the dial.
fn state_of(call: &EmergencyCall, acknowledged: bool) -> IncidentState {
    IncidentState {
        opened_at: call.dialed_at,
        acknowledged,
        drill: call.test,
        ended_at: call.ended_at,
    }
}
