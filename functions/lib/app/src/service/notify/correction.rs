//! `lifeline.call.caller_id_corrected` → the correction e-mail: the record
//! now names the number the platform presented, and an e-mail that named
//! another is followed by a short correction to the same recipients, once.

use crate::ports::{EmailSender, NotifyContext, NotifyStore};
use lifeline_domain::locale::Locale;
use lifeline_domain::notification::{
    choose_locale, correction_email, notification_data, MessageKind, NotificationData,
    RenderedMessage,
};
use lifeline_domain::recipient::{Channel, Recipient};
use lifeline_domain::types::{AgentId, CallId, E164};

use super::outcome::RetryLater;
use super::recipients::Addressees;
use super::rendering::message_in;
use super::service::NotifyService;

/// How long a correction waits for the first e-mail's outcome: one being
/// sent when the record changed may still name the old number.
const WAIT_FOR_FIRST_MINUTES: i64 = 15;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corrected {
    /// The correction went to this many recipients.
    Sent(usize),
    /// No e-mail named another number (none was sent, or it named this one).
    Nothing,
    /// A correction naming this number went already (a redelivered event).
    AlreadyDone,
    /// No record (expired).
    NoCall,
}

impl<S: NotifyStore, E: EmailSender> NotifyService<S, E> {
    pub async fn on_caller_id_corrected(
        &self,
        call_id: &CallId,
        agent_id: &AgentId,
    ) -> Result<Corrected, RetryLater> {
        let ctx = self
            .store
            .notify_context(call_id, agent_id)
            .await
            .map_err(|e| RetryLater(e.to_string()))?;
        let Some(call) = ctx.call.as_ref() else {
            return Ok(Corrected::NoCall);
        };
        let Some(named) = ctx.named.as_ref() else {
            let young = self.clock.now() - call.dialed_at
                < chrono::Duration::minutes(WAIT_FOR_FIRST_MINUTES);
            if ctx.notification.is_none() && young {
                return Err(RetryLater(
                    "the first e-mail's outcome is not recorded yet".into(),
                ));
            }
            return Ok(Corrected::Nothing);
        };
        if *named == call.caller_id {
            return Ok(Corrected::Nothing);
        }
        if ctx.corrected.as_ref() == Some(&call.caller_id) {
            return Ok(Corrected::AlreadyDone);
        }
        let recipients = match Addressees::choose(&ctx, &self.fallback, call.test) {
            Addressees::Own(list) | Addressees::Fallback(list, _) => list,
            Addressees::Nobody(_) => return Ok(Corrected::Nothing),
        };
        let data = notification_data(call, ctx.agent.as_ref(), self.window);
        let senders = self.senders();
        for (position, to) in (1..).zip(&recipients) {
            let message = correction_for(&ctx, to, &data, named)?;
            // A failure asks for the event again: the correction goes to all
            // once more rather than to some never.
            senders.send(to, &message).await.map_err(|e| {
                tracing::warn!(call_id = %call_id, recipient = position, error = ?e,
                        "correction e-mail not sent; will retry");
                RetryLater(format!("correction to recipient {position}: {e:?}"))
            })?;
        }
        self.store
            .record_correction(call_id, &call.caller_id)
            .await
            .map_err(|e| RetryLater(e.to_string()))?;
        tracing::warn!(call_id = %call_id, agent_id = %agent_id, recipients = recipients.len(),
            "correction e-mail sent: the PSAP was shown another number than the e-mail named");
        self.metrics
            .emit("NotificationCorrections", 1.0, "Count", &[]);
        Ok(Corrected::Sent(recipients.len()))
    }
}

/// The correction to `to`: the English e-mail as it has always been, else
/// the correction of `to`'s locale family on `to`'s channel.
fn correction_for(
    ctx: &NotifyContext,
    to: &Recipient,
    data: &NotificationData,
    named: &E164,
) -> Result<RenderedMessage, RetryLater> {
    if to.channel() == Channel::Email && choose_locale(to.locale, ctx.tenant_locale) == Locale::En {
        return Ok(RenderedMessage::Email(correction_email(data, named)));
    }
    message_in(
        ctx,
        to,
        MessageKind::Correction,
        &data.clone().corrected_from(named),
    )
}
