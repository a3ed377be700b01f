//! The follow-up at a call's end: everyone its alerts reached (tier 1 and
//! any tier it escalated to) gets a short message — how long the call
//! lasted, the callback window, whether the callback came — in their own
//! language on their own channel, once. A call shorter than the misdial
//! threshold is flagged "possible misdial".

use crate::ports::{EmailSender, NotifyContext, NotifyStore, StepBegun, StoreError};
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::escalation::StepKey;
use lifeline_domain::incident::EntryKind;
use lifeline_domain::notification::{notification_data, MessageKind};
use lifeline_domain::recipient::Recipient;
use lifeline_domain::types::{AgentId, CallId};

use super::outcome::{tally, RetryLater};
use super::recipients::Addressees;
use super::rendering::message_in;
use super::service::{Escalating, NotifyService};

/// How long one delivery holds the follow-up.
const FOLLOW_UP_CLAIM: chrono::Duration = chrono::Duration::seconds(60);

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
    /// This notifier keeps no steps (no escalation configured).
    NotConfigured,
}

impl<S: NotifyStore, E: EmailSender> NotifyService<S, E> {
    /// `call_id` ended: its follow-up to everyone its alerts reached.
    pub async fn on_call_ended(
        &self,
        call_id: &CallId,
        agent_id: &AgentId,
    ) -> Result<FollowedUp, RetryLater> {
        let Some(esc) = &self.escalation else {
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
        let now = self.clock.now();
        let progress = match esc
            .steps
            .begin_step(
                call_id,
                StepKey::FOLLOW_UP,
                now,
                now + FOLLOW_UP_CLAIM,
                now + chrono::Duration::days(2),
            )
            .await
            .map_err(retry)?
        {
            StepBegun::Claimed(progress) => progress,
            StepBegun::Done => return Ok(FollowedUp::AlreadyDone),
            StepBegun::Busy => {
                return Err(RetryLater(
                    "another delivery is sending the follow-up".into(),
                ))
            }
        };
        let data = notification_data(call, ctx.agent.as_ref(), self.window).ended(
            ended_at - call.dialed_at,
            self.callback_came(call).await,
            self.misdial_under,
        );
        let links = self.alerted(call, &recipients).await?;
        let messages = recipients
            .iter()
            .zip(links)
            .map(|(to, link)| {
                let data = match link {
                    Some(l) => data.clone().with_ack_link(l),
                    None => data.clone(),
                };
                message_in(&ctx, to, MessageKind::FollowUp, &data)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let round = self
            .senders()
            .round(call_id, agent_id, &recipients, progress, &messages)
            .await;
        if let Some(timeline) = &self.timeline {
            timeline
                .record_round(call, &round, self.clock.now(), Some("follow-up"))
                .await;
        }
        let done = round.pending.is_empty();
        esc.steps
            .end_step(call_id, StepKey::FOLLOW_UP, &round.progress, done)
            .await
            .map_err(retry)?;
        if !done {
            return Err(RetryLater(format!(
                "follow-up: {} recipients not sent yet",
                round.pending.len()
            )));
        }
        let settled = tally(call_id, &recipients, &round.progress);
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
        esc: &Escalating,
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
