//! The follow-up at a call's end: everyone its alerts reached (tier 1 and
//! any tier it escalated to) gets a short message — how long the call
//! lasted, the callback window, whether the callback came — in their own
//! language on their own channel, once. A call shorter than the misdial
//! threshold is flagged "possible misdial".

use crate::ports::{EmailSender, NotifyContext, NotifyStore, StoreError};
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::escalation::StepKey;
use lifeline_domain::incident::EntryKind;
use lifeline_domain::notification::{notification_data, MessageKind};
use lifeline_domain::recipient::Recipient;
use lifeline_domain::types::{AgentId, CallId};

use super::outcome::RetryLater;
use super::recipients::Addressees;
use super::service::{NotifyService, StepKeeping};
use super::step::StepSend;

/// What a call's end did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowedUp {
    Sent {
        sent: usize,
        refused: usize,
    },
    /// Nobody was alerted for this call.
    Nobody,
    /// Sent already (a redelivered end).
    AlreadyDone,
    /// No record, or it does not say the call ended.
    NoCall,
    /// This notifier keeps no steps.
    NotConfigured,
}

impl<S: NotifyStore, E: EmailSender> NotifyService<S, E> {
    /// `call_id` ended: its follow-up to everyone its alerts reached.
    pub async fn on_call_ended(
        &self,
        call_id: &CallId,
        agent_id: &AgentId,
    ) -> Result<FollowedUp, RetryLater> {
        let Some(esc) = &self.steps else {
            return Ok(FollowedUp::NotConfigured);
        };
        let retry = |e: StoreError| RetryLater(e.to_string());
        let ctx = self
            .store
            .notify_context(call_id, agent_id)
            .await
            .map_err(retry)?;
        let Some(call) = ctx.call.as_ref() else {
            return Ok(FollowedUp::NoCall);
        };
        let Some(ended_at) = call.ended_at else {
            return Ok(FollowedUp::NoCall);
        };
        let recipients = self.reached(esc, &ctx, call).await?;
        if recipients.is_empty() {
            return Ok(FollowedUp::Nobody);
        }
        let Some(progress) = self.claim_step(esc, call, StepKey::FOLLOW_UP).await? else {
            return Ok(FollowedUp::AlreadyDone);
        };
        let data = notification_data(call, ctx.agent.as_ref(), self.window).ended(
            ended_at - call.dialed_at,
            self.callback_came(call).await,
            self.misdial_under,
        );
        let step = StepSend {
            key: StepKey::FOLLOW_UP,
            kind: MessageKind::FollowUp,
            recipients: &recipients,
            data: &data,
            label: "follow-up",
        };
        let settled = self.send_step(esc, &ctx, call, step, progress).await?;
        tracing::info!(call_id = %call_id, recipients = recipients.len(), sent = settled.sent,
            possible_misdial = data.possible_misdial, "emergency call follow-up sent");
        Ok(FollowedUp::Sent {
            sent: settled.sent,
            refused: settled.refused_count(),
        })
    }

    /// Everyone the call's alerts reached (kept as they were alerted); when
    /// none were kept (no links), tier 1 as the alert chose it.
    async fn reached(
        &self,
        esc: &StepKeeping,
        ctx: &NotifyContext,
        call: &EmergencyCall,
    ) -> Result<Vec<Recipient>, RetryLater> {
        let kept = esc
            .acks
            .ack_context(&call.call_id)
            .await
            .map_err(|e| RetryLater(e.to_string()))?;
        let mut reached: Vec<Recipient> =
            kept.alerted.iter().filter_map(|a| a.recipient()).collect();
        if reached.is_empty() {
            reached = match Addressees::choose(ctx, &self.fallback, call.test) {
                Addressees::Own(list) | Addressees::Fallback(list, _) => list,
                Addressees::Nobody(_) => Vec::new(),
            };
        }
        Ok(reached)
    }

    /// Whether the emergency service called back before the end (its entry
    /// on the incident's timeline). Unknown is no.
    async fn callback_came(&self, call: &EmergencyCall) -> bool {
        let Some(timeline) = &self.timeline else {
            return false;
        };
        match timeline.store.incident(&call.call_id).await {
            Ok(record) => record
                .timeline
                .iter()
                .any(|e| e.kind == EntryKind::Callback),
            Err(e) => {
                tracing::warn!(call_id = %call.call_id, error = %e, "incident not read: the follow-up says no callback");
                false
            }
        }
    }
}
