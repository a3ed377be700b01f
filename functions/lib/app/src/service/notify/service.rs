//! The notifier's service: reads the call's context, chooses the
//! recipients, renders the message, sends one per recipient and records the
//! progress (while some are pending) or the outcome (once all are settled).

use std::sync::Arc;

use crate::clock::Clock;
use crate::metrics::{EmfStdout, Metrics};
use crate::ports::{
    AckLinks, AckStore, ChatSender, EmailSender, EscalationSteps, IncidentStore, LeaseScheduler,
    NotificationOutcome, NotifyContext, NotifyItem, NotifyStore, SmsSender, Tally,
};
use lifeline_domain::ack::AlertedRecipient;
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::lease::LeasePolicy;
use lifeline_domain::notification::RenderedMessage;
use lifeline_domain::recipient::{Recipient, Recipients};
use lifeline_domain::types::{AgentId, CallId, Email};

use super::outcome::{notified, tally, Fallback, Notified, RetryLater, CALL_UNREADABLE};
use super::recipients::{worth_waiting, Addressees};
use super::rendering::alert_for;
use super::sending::{Round, Sender};
use super::timeline::Timeline;

/// How long one delivery holds the sending (a round of SES calls takes
/// seconds; Lambda retries an event a minute or more later).
const SENDING_CLAIM: chrono::Duration = chrono::Duration::seconds(60);

pub struct NotifyService<S, E> {
    pub(super) store: Arc<S>,
    pub(super) sender: Arc<E>,
    /// SMS and chat senders (none: those recipients are refused, counted).
    pub(super) sms: Option<Arc<dyn SmsSender>>,
    pub(super) chat: Option<Arc<dyn ChatSender>>,
    /// Where each recipient's outcome goes on the incident's timeline.
    pub(super) timeline: Option<Timeline>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) metrics: Arc<dyn Metrics>,
    pub(super) from: Email,
    pub(super) fallback: Recipients,
    pub(super) window: chrono::Duration,
    /// A call shorter than this is a possible misdial (its follow-up).
    pub(super) misdial_under: chrono::Duration,
    /// Each message's acknowledgement link, and where who was alerted is
    /// kept (none: messages go without links).
    pub(super) ack: Option<AckLinking>,
    /// Where steps (the escalation's tiers, the follow-up) are claimed and
    /// kept, and the acknowledgements (none: no follow-up, no escalation).
    pub(super) steps: Option<StepKeeping>,
    /// The escalation's schedules (none: tier 1 only).
    pub(super) schedules: Option<Arc<dyn LeaseScheduler>>,
}

/// Where each step of an incident (an escalation tier, the follow-up) is
/// claimed and kept, so it is sent once; and the acknowledgements.
#[derive(Clone)]
pub struct StepKeeping {
    pub steps: Arc<dyn EscalationSteps>,
    pub acks: Arc<dyn AckStore>,
}

/// What escalation needs beside the alerting: where steps are kept, the
/// schedules, and the acknowledgements.
#[derive(Clone)]
pub struct Escalating {
    pub steps: Arc<dyn EscalationSteps>,
    pub schedules: Arc<dyn LeaseScheduler>,
    pub acks: Arc<dyn AckStore>,
}

/// What puts a personal acknowledgement link in each message.
#[derive(Clone)]
pub struct AckLinking {
    pub links: Arc<dyn AckLinks>,
    pub alerted: Arc<dyn AckStore>,
}

impl<S: NotifyStore, E: EmailSender> NotifyService<S, E> {
    pub fn new(store: Arc<S>, sender: Arc<E>, clock: Arc<dyn Clock>, from: Email) -> Self {
        NotifyService {
            store,
            sender,
            sms: None,
            chat: None,
            timeline: None,
            clock,
            metrics: Arc::new(EmfStdout),
            from,
            fallback: Recipients::default(),
            window: LeasePolicy::default().window,
            misdial_under: chrono::Duration::seconds(10),
            ack: None,
            steps: None,
            schedules: None,
        }
    }

    /// Puts a personal acknowledgement link in each message, and keeps who
    /// was alerted (before sending) so each of them can acknowledge.
    pub fn with_ack_links(mut self, ack: AckLinking) -> Self {
        self.ack = Some(ack);
        self
    }

    /// A call shorter than `under` is flagged a possible misdial in its
    /// follow-up (`Settings::misdial_under`); 10 s unless told.
    pub fn with_misdial(mut self, under: chrono::Duration) -> Self {
        self.misdial_under = under;
        self
    }

    /// Escalates incidents nobody acknowledged through the tenant's tiers.
    pub fn with_escalation(mut self, escalation: Escalating) -> Self {
        self.steps = Some(StepKeeping {
            steps: escalation.steps,
            acks: escalation.acks,
        });
        self.schedules = Some(escalation.schedules);
        self
    }

    /// Keeps steps: the follow-up at a call's end goes out once, with or
    /// without escalation.
    pub fn with_steps(mut self, keeping: StepKeeping) -> Self {
        self.steps = Some(keeping);
        self
    }

    /// Sends SMS and chat recipients their alerts (without: refused).
    pub fn with_channels(
        mut self,
        sms: Option<Arc<dyn SmsSender>>,
        chat: Option<Arc<dyn ChatSender>>,
    ) -> Self {
        self.sms = sms;
        self.chat = chat;
        self
    }

    /// Puts each recipient's outcome on the incident's timeline (`keep`:
    /// how long incident items are kept after a write).
    pub fn with_timeline(mut self, store: Arc<dyn IncidentStore>, keep: chrono::Duration) -> Self {
        self.timeline = Some(Timeline { store, keep });
        self
    }

    /// The senders, for one round.
    pub(super) fn senders(&self) -> Sender<'_> {
        Sender {
            email: &*self.sender,
            sms: self.sms.as_deref(),
            chat: self.chat.as_deref(),
            from: &self.from,
        }
    }

    /// Emits to `metrics` instead of the EMF log lines (tests).
    pub fn with_metrics(mut self, metrics: Arc<dyn Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Who gets the e-mail when the agent's recipients cannot be used
    /// (`Settings::fallback_recipients`); empty: nobody.
    pub fn with_fallback(mut self, recipients: Recipients) -> Self {
        self.fallback = recipients;
        self
    }

    /// The callback window the e-mail states (`Settings::lease.window`,
    /// `LIFELINE_CALLBACK_WINDOW_MINUTES`); 60 minutes unless told.
    pub fn with_window(mut self, window: chrono::Duration) -> Self {
        self.window = window;
        self
    }

    pub async fn on_call_started(
        &self,
        call_id: &CallId,
        agent_id: &AgentId,
    ) -> Result<Notified, RetryLater> {
        let ctx = self
            .store
            .notify_context(call_id, agent_id)
            .await
            .map_err(|e| RetryLater(e.to_string()))?;
        let notified = self.tier_one(&ctx, call_id, agent_id).await?;
        // Once tier 1 is settled (again on a redelivery, which finds it so).
        self.schedule_first(&ctx).await?;
        Ok(notified)
    }

    /// Tier 1: the agent's recipients (else the fallback list) and the
    /// security desk, or a drill's recipients.
    async fn tier_one(
        &self,
        ctx: &NotifyContext,
        call_id: &CallId,
        agent_id: &AgentId,
    ) -> Result<Notified, RetryLater> {
        // Read from the record even when the rest of it does not decode.
        if ctx.notification.is_some() {
            return Ok(Notified::AlreadyDone);
        }
        self.report_unreadable(ctx);
        let Some(call) = ctx.call.as_ref() else {
            return self.without_call(ctx, call_id, agent_id).await;
        };
        self.wait_for_unavailable(ctx, call, agent_id)?;
        let (recipients, fallback) = match Addressees::choose(ctx, &self.fallback, call.test) {
            Addressees::Own(list) => (list, None),
            Addressees::Fallback(list, why) => (list, Some(why)),
            Addressees::Nobody(why) => return self.nobody(call_id, agent_id, why).await,
        };
        let recipients = recipients.as_slice();
        let links = self.alerted(call, recipients).await?;
        let messages = recipients
            .iter()
            .zip(links)
            .map(|(to, link)| alert_for(to, call, ctx, self.window, fallback.is_some(), link))
            .collect::<Result<Vec<_>, _>>()?;
        self.claim(call_id).await?;
        self.send_each(ctx, call, agent_id, recipients, fallback, &messages)
            .await
    }

    /// Keeps who is alerted and gives each recipient's link (none without
    /// links): kept before anything is sent, so every link acknowledges.
    pub(super) async fn alerted(
        &self,
        call: &EmergencyCall,
        recipients: &[Recipient],
    ) -> Result<Vec<Option<String>>, RetryLater> {
        let Some(ack) = &self.ack else {
            return Ok(vec![None; recipients.len()]);
        };
        let now = self.clock.now();
        let alerted: Vec<AlertedRecipient> = recipients.iter().map(AlertedRecipient::of).collect();
        // As long as a link works, and a day more for the incident's review.
        let keep_until = now + chrono::Duration::days(2);
        ack.alerted
            .record_alerted(&call.call_id, &alerted, keep_until)
            .await
            .map_err(|e| RetryLater(e.to_string()))?;
        Ok(alerted
            .iter()
            .map(|r| Some(ack.links.link(&call.call_id, &r.key, now)))
            .collect())
    }

    /// One delivery sends at a time: two deliveries of one event at once
    /// would both have read "not sent yet". The other is retried later, and
    /// then finds the outcome recorded.
    async fn claim(&self, call_id: &CallId) -> Result<(), RetryLater> {
        let now = self.clock.now();
        match self
            .store
            .claim_sending(call_id, now, now + SENDING_CLAIM)
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => {
                tracing::warn!(call_id = %call_id, "another delivery is sending this call's e-mail; will retry");
                Err(RetryLater("another delivery is sending the e-mail".into()))
            }
            Err(e) => Err(RetryLater(e.to_string())),
        }
    }

    /// No call to write from: a record that does not decode is parked, one
    /// that is gone (expired) is nothing to say.
    async fn without_call(
        &self,
        ctx: &NotifyContext,
        call_id: &CallId,
        agent_id: &AgentId,
    ) -> Result<Notified, RetryLater> {
        if ctx.unreadable.contains(&NotifyItem::Call) {
            return self.park(call_id, agent_id).await;
        }
        tracing::warn!(call_id = %call_id, "no call record for the notification (expired?)");
        Ok(Notified::NoCall)
    }

    /// Items the store did not give this time are waited for (a retry)
    /// while the call is young; after that the e-mail goes without them.
    fn wait_for_unavailable(
        &self,
        ctx: &NotifyContext,
        call: &EmergencyCall,
        agent_id: &AgentId,
    ) -> Result<(), RetryLater> {
        if !worth_waiting(ctx, self.clock.now() - call.dialed_at) {
            return Ok(());
        }
        let items: Vec<&str> = ctx.unavailable.iter().map(|i| i.as_str()).collect();
        tracing::warn!(call_id = %call.call_id, agent_id = %agent_id, items = ?items,
            "the store did not give every item the notification reads; will retry");
        Err(RetryLater(format!("not read yet: {}", items.join(", "))))
    }

    /// Neither the agent's recipients nor a fallback list: recorded as such.
    async fn nobody(
        &self,
        call_id: &CallId,
        agent_id: &AgentId,
        why: Fallback,
    ) -> Result<Notified, RetryLater> {
        tracing::warn!(call_id = %call_id, agent_id = %agent_id, reason = why.as_str(),
            "emergency call with no notification recipients (none of the agent's, no fallback configured)");
        self.record(call_id, &NotificationOutcome::NoRecipients)
            .await?;
        Ok(Notified::NoRecipients)
    }

    /// One message per recipient not settled yet (by an earlier attempt);
    /// the progress is recorded while any is left for a retry, the outcome
    /// once every one is settled.
    async fn send_each(
        &self,
        ctx: &NotifyContext,
        call: &EmergencyCall,
        agent_id: &AgentId,
        recipients: &[Recipient],
        fallback: Option<Fallback>,
        messages: &[RenderedMessage],
    ) -> Result<Notified, RetryLater> {
        let first_messages = !ctx.progress.any_sent();
        let started = self.clock.now();
        let round = self
            .senders()
            .round(
                &call.call_id,
                agent_id,
                recipients,
                ctx.progress.clone(),
                messages,
            )
            .await;
        self.count(&round, first_messages.then(|| started - call.dialed_at));
        if let Some(timeline) = &self.timeline {
            timeline
                .record_round(call, &round, self.clock.now(), None)
                .await;
        }
        if !round.pending.is_empty() {
            return Err(self.keep_progress(&call.call_id, &round, recipients).await);
        }
        // Every recipient settled (now or by earlier attempts).
        let tally = tally(&call.call_id, recipients, &round.progress);
        self.log_settled(call, agent_id, &tally, fallback);
        let outcome = NotificationOutcome::Settled(tally.clone());
        // Recorded so a redelivery does not send again. If this fails after
        // something was sent, the record is not retried (a retry would send
        // those again); with nothing sent, it is.
        if let Err(e) = self
            .store
            .record_notification(
                &call.call_id,
                &outcome,
                (tally.sent > 0).then_some(&call.caller_id),
                self.clock.now(),
            )
            .await
        {
            if tally.sent == 0 {
                return Err(RetryLater(e.to_string()));
            }
            tracing::error!(call_id = %call.call_id, error = %e, "sent, but not recorded");
        }
        Ok(notified(&tally, fallback))
    }

    /// Per message: one a recipient. `since_dial`: this attempt sent the
    /// call's first messages, this long after the dial.
    fn count(&self, round: &Round, since_dial: Option<chrono::Duration>) {
        if round.sent > 0 {
            self.metrics
                .emit("NotificationsSent", round.sent as f64, "Count", &[]);
            if let Some(delay) = since_dial {
                let ms = delay.num_milliseconds().max(0) as f64;
                self.metrics
                    .emit("NotificationDelay", ms, "Milliseconds", &[]);
            }
        }
        if round.refused > 0 {
            self.metrics
                .emit("NotificationsFailed", round.refused as f64, "Count", &[]);
        }
    }

    /// Some recipients are pending: the settled ones are kept so that the
    /// retry sends only to the others; if they cannot be written, the retry
    /// sends to these again (at least once).
    async fn keep_progress(
        &self,
        call_id: &CallId,
        round: &Round,
        recipients: &[Recipient],
    ) -> RetryLater {
        // Written even when nothing settled: it lets go of this attempt's
        // claim, so that the retry (seconds later locally) may send.
        if let Err(e) = self.store.record_progress(call_id, &round.progress).await {
            tracing::error!(call_id = %call_id, error = %e,
                "notification progress not recorded: a retry may send some messages twice, after the claim lapses");
        }
        let code = round
            .pending
            .first()
            .map(|c| c.as_str())
            .unwrap_or_default();
        RetryLater(format!(
            "{} of {} recipients not sent yet ({code})",
            round.pending.len(),
            recipients.len()
        ))
    }

    /// Logs how the e-mail ended (counts and codes, no address), and counts
    /// a fallback.
    fn log_settled(
        &self,
        call: &EmergencyCall,
        agent_id: &AgentId,
        tally: &Tally,
        fallback: Option<Fallback>,
    ) {
        let call_id = &call.call_id;
        match fallback {
            None if tally.sent == tally.recipients => {
                tracing::info!(call_id = %call_id, agent_id = %agent_id, recipients = tally.recipients,
                    test = call.test, "emergency notification sent")
            }
            None => {
                let detail = NotificationOutcome::Settled(tally.clone()).detail();
                tracing::error!(call_id = %call_id, agent_id = %agent_id, recipients = tally.recipients,
                    sent = tally.sent, refused = tally.refused_count(), detail = %detail, test = call.test,
                    "emergency notification not sent to every recipient")
            }
            Some(why) => {
                tracing::warn!(call_id = %call_id, agent_id = %agent_id, recipients = tally.recipients,
                    sent = tally.sent, refused = tally.refused_count(), test = call.test, reason = why.as_str(),
                    "emergency notification sent to the fallback recipients: the agent's could not be used");
                self.metrics
                    .count_by("NotificationFallbacks", "Reason", why.as_str());
            }
        }
    }

    /// A call record that does not decode: nothing to write an e-mail from,
    /// and no retry will change that. Recorded as failed (so a redelivery
    /// does nothing) and counted; the record is not retried.
    async fn park(&self, call_id: &CallId, agent_id: &AgentId) -> Result<Notified, RetryLater> {
        tracing::error!(call_id = %call_id, agent_id = %agent_id,
            "the call record does not decode: no emergency e-mail can be written; parked as failed, not retried");
        self.metrics.emit("NotificationsFailed", 1.0, "Count", &[]);
        self.record(
            call_id,
            &NotificationOutcome::Failed {
                reason: CALL_UNREADABLE,
            },
        )
        .await?;
        Ok(Notified::Parked)
    }

    /// Items that did not decode were read as missing: count them, by kind
    /// (the adapter logs each with its key).
    fn report_unreadable(&self, ctx: &NotifyContext) {
        for item in &ctx.unreadable {
            self.metrics.count_by("CorruptItem", "Kind", item.as_str());
        }
    }

    async fn record(&self, call: &CallId, outcome: &NotificationOutcome) -> Result<(), RetryLater> {
        self.store
            .record_notification(call, outcome, None, self.clock.now())
            .await
            .map_err(|e| RetryLater(e.to_string()))
    }
}
