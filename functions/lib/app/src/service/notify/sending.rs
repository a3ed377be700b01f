//! One message per recipient not settled yet, each to exactly one address,
//! on its own channel; the messages of one round go out together, so a slow
//! chat webhook never holds an e-mail back. Only error codes are logged,
//! never the provider's message (it can quote addresses); recipients are
//! named by their position in the list and their channel.

use std::time::Duration;

use crate::ports::{
    ChatSender, Delivery, EmailSender, ErrorCode, NotifyProgress, SendError, SmsSender,
};
use lifeline_domain::notification::{address_tag, RenderedMessage};
use lifeline_domain::recipient::{Address, Channel, Recipient};
use lifeline_domain::types::{AgentId, CallId, Email};

/// What a recipient on a channel this notifier has no sender for gets:
/// refused for good (retrying will not make a sender appear), and counted.
pub const CHANNEL_NOT_CONFIGURED: &str = "ChannelNotConfigured";

/// What one attempt's round of sends did.
#[derive(Debug)]
pub(super) struct Round {
    /// Every recipient settled so far, this round's included.
    pub(super) progress: NotifyProgress,
    pub(super) sent: usize,
    pub(super) refused: usize,
    /// The codes of the recipients still pending (a retry sends to them).
    pub(super) pending: Vec<ErrorCode>,
    /// This round's outcomes, by position in the list (for the timeline):
    /// the recipient, and the code of a refusal or pending send.
    pub(super) outcomes: Vec<SendOutcome>,
    /// How long after the round started each message sent was accepted,
    /// by channel.
    pub(super) accepted_after: Vec<(Channel, Duration)>,
}

/// What became of one recipient's message in a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SendOutcome {
    pub(super) recipient: Recipient,
    /// None: sent.
    pub(super) failed: Option<(ErrorCode, bool)>,
}

/// The senders a notifier has: e-mail always, SMS and chat when configured.
#[derive(Clone, Copy)]
pub(super) struct Sender<'a> {
    pub(super) email: &'a dyn EmailSender,
    pub(super) sms: Option<&'a dyn SmsSender>,
    pub(super) chat: Option<&'a dyn ChatSender>,
    pub(super) from: &'a Email,
}

impl Sender<'_> {
    /// Sends each recipient its own message (`messages`, in the same order)
    /// unless `progress` shows it settled; a permanent refusal of one never
    /// stops the others.
    pub(super) async fn round(
        &self,
        call_id: &CallId,
        agent_id: &AgentId,
        recipients: &[Recipient],
        progress: NotifyProgress,
        messages: &[RenderedMessage],
    ) -> Round {
        let started = std::time::Instant::now();
        let due: Vec<(usize, &Recipient, &RenderedMessage, String)> = (1..)
            .zip(recipients)
            .zip(messages)
            .map(|((position, to), message)| {
                (position, to, message, address_tag(call_id, &to.address))
            })
            .filter(|(_, _, _, tag)| progress.get(tag).is_none())
            .collect();
        let sends = due.iter().map(|(_, to, message, _)| async move {
            let result = self.send(to, message).await;
            (result, started.elapsed())
        });
        let results = futures_util::future::join_all(sends).await;
        let mut round = Round {
            progress,
            sent: 0,
            refused: 0,
            pending: Vec::new(),
            outcomes: Vec::new(),
            accepted_after: Vec::new(),
        };
        for ((position, to, _, tag), (result, after)) in due.into_iter().zip(results) {
            let channel = to.channel();
            let failed = match result {
                Ok(message_id) => {
                    tracing::info!(call_id = %call_id, recipient = position, channel = %channel,
                        message_id = message_id.as_deref().unwrap_or(""), "emergency notification message accepted");
                    round.progress.0.insert(tag, Delivery::Sent);
                    round.sent += 1;
                    round.accepted_after.push((channel, after));
                    None
                }
                Err(SendError::Transient(code)) => {
                    tracing::warn!(call_id = %call_id, recipient = position, channel = %channel, error = %code,
                        "notification message not sent; will retry");
                    round.pending.push(code.clone());
                    Some((code, true))
                }
                Err(SendError::Permanent(code)) => {
                    tracing::error!(call_id = %call_id, agent_id = %agent_id, recipient = position, channel = %channel,
                        error = %code, "notification message refused permanently; the other recipients are still sent");
                    round
                        .progress
                        .0
                        .insert(tag, Delivery::Refused(code.clone()));
                    round.refused += 1;
                    Some((code, false))
                }
            };
            round.outcomes.push(SendOutcome {
                recipient: to.clone(),
                failed,
            });
        }
        round
    }

    /// One message to one recipient, on its channel.
    pub(super) async fn send(
        &self,
        to: &Recipient,
        message: &RenderedMessage,
    ) -> Result<Option<String>, SendError> {
        let not_configured = || SendError::Permanent(ErrorCode::new(CHANNEL_NOT_CONFIGURED));
        match (&to.address, message) {
            (Address::Email(address), RenderedMessage::Email(email)) => {
                self.email.send(self.from, address, email).await.map(Some)
            }
            (Address::Sms(number), RenderedMessage::Sms(sms)) => match self.sms {
                Some(sms_sender) => sms_sender.send_sms(number, &sms.text).await,
                None => Err(not_configured()),
            },
            (Address::Chat(url), RenderedMessage::Chat(text)) => match self.chat {
                Some(chat_sender) => chat_sender.send_chat(url, text).await,
                None => Err(not_configured()),
            },
            // The message is rendered for the recipient's channel: a
            // mismatch is Lifeline's bug, refused rather than mis-sent.
            _ => Err(SendError::Permanent(ErrorCode::new("ChannelMismatch"))),
        }
    }
}
