//! A step of the loop after tier 1 — an escalation tier, the follow-up at
//! the call's end: claimed by one delivery at a time, sent to each of its
//! recipients (their own link, their locale, their channel) not settled by
//! an earlier delivery, each outcome on the incident's timeline, and marked
//! done once every recipient is settled, so it goes out once.

use crate::ports::{EmailSender, NotifyContext, NotifyStore, StepBegun, StoreError, Tally};
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::escalation::StepKey;
use lifeline_domain::notification::{MessageKind, NotificationData};
use lifeline_domain::recipient::Recipient;

use super::outcome::{tally, RetryLater};
use super::rendering::message_in;
use super::service::{NotifyService, StepKeeping};

/// How long one delivery holds a step (a round of sends takes seconds).
const STEP_CLAIM: chrono::Duration = chrono::Duration::seconds(60);
/// How long a step's item is kept: as long as the links it sent work, and
/// a day more for the incident's review.
const STEP_KEPT: chrono::Duration = chrono::Duration::days(2);

/// One step to send: what, to whom, from which data, named how.
pub(super) struct StepSend<'a> {
    pub(super) key: StepKey,
    pub(super) kind: MessageKind,
    pub(super) recipients: &'a [Recipient],
    /// The call's data for `kind` (each recipient's link is added).
    pub(super) data: &'a NotificationData,
    /// How the timeline and the logs name it (`tier 2`, `follow-up`).
    pub(super) label: &'a str,
}

impl<S: NotifyStore, E: EmailSender> NotifyService<S, E> {
    /// Claims `key` of `call`'s incident: the recipients settled so far, or
    /// `None` when the step is done. Held by another delivery: retry later.
    pub(super) async fn claim_step(
        &self,
        esc: &StepKeeping,
        call: &EmergencyCall,
        key: StepKey,
    ) -> Result<Option<crate::ports::NotifyProgress>, RetryLater> {
        let now = self.clock.now();
        match esc
            .steps
            .begin_step(&call.call_id, key, now, now + STEP_CLAIM, now + STEP_KEPT)
            .await
            .map_err(retry)?
        {
            StepBegun::Claimed(progress) => Ok(Some(progress)),
            StepBegun::Done => Ok(None),
            StepBegun::Busy => Err(RetryLater(format!(
                "another delivery is sending step {key:?}"
            ))),
        }
    }

    /// Sends a claimed step (`progress`: settled so far) and ends it: done,
    /// with how it adds up; or kept with its progress, and a retry asked for,
    /// while any recipient is pending.
    pub(super) async fn send_step(
        &self,
        esc: &StepKeeping,
        ctx: &NotifyContext,
        call: &EmergencyCall,
        step: StepSend<'_>,
        progress: crate::ports::NotifyProgress,
    ) -> Result<Tally, RetryLater> {
        let links = self.alerted(call, step.recipients).await?;
        let messages = step
            .recipients
            .iter()
            .zip(links)
            .map(|(to, link)| {
                let data = match link {
                    Some(l) => step.data.clone().with_ack_link(l),
                    None => step.data.clone(),
                };
                message_in(ctx, to, step.kind, &data)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let round = self
            .senders()
            .round(
                &call.call_id,
                &call.agent_id,
                step.recipients,
                progress,
                &messages,
            )
            .await;
        if let Some(timeline) = &self.timeline {
            timeline
                .record_round(call, &round, self.clock.now(), Some(step.label))
                .await;
        }
        let done = round.pending.is_empty();
        esc.steps
            .end_step(&call.call_id, step.key, &round.progress, done)
            .await
            .map_err(retry)?;
        if !done {
            return Err(RetryLater(format!(
                "{}: {} recipients not sent yet",
                step.label,
                round.pending.len()
            )));
        }
        Ok(tally(&call.call_id, step.recipients, &round.progress))
    }
}

fn retry(e: StoreError) -> RetryLater {
    RetryLater(e.to_string())
}
