//! One message per recipient not settled yet, each to exactly one address.
//! Only error codes are logged, never the provider's message (it can quote
//! addresses); recipients are named by their position in the list.

use crate::ports::{Delivery, EmailSender, ErrorCode, NotifyProgress, SendError};
use lifeline_domain::notification::{recipient_tag, RenderedEmail};
use lifeline_domain::types::{AgentId, CallId, Email};

/// What one attempt's round of sends did.
#[derive(Debug)]
pub(super) struct Round {
    /// Every recipient settled so far, this round's included.
    pub(super) progress: NotifyProgress,
    pub(super) sent: usize,
    pub(super) refused: usize,
    /// The codes of the recipients still pending (a retry sends to them).
    pub(super) pending: Vec<ErrorCode>,
}

/// Who is sending, from which address.
pub(super) struct Sender<'a, E: ?Sized> {
    pub(super) sender: &'a E,
    pub(super) from: &'a Email,
}

impl<E: EmailSender + ?Sized> Sender<'_, E> {
    /// Sends `email` to each of `recipients` that `progress` does not show
    /// settled; a permanent refusal of one never stops the others.
    pub(super) async fn round(
        &self,
        call_id: &CallId,
        agent_id: &AgentId,
        recipients: &[Email],
        progress: NotifyProgress,
        emails: &[RenderedEmail],
    ) -> Round {
        let mut round = Round {
            progress,
            sent: 0,
            refused: 0,
            pending: Vec::new(),
        };
        // Positions in the list (1-based) name the recipients in the logs.
        // Each recipient's own message (its own acknowledgement link).
        for ((position, to), email) in (1..).zip(recipients).zip(emails) {
            let tag = recipient_tag(call_id, to);
            if round.progress.get(&tag).is_some() {
                continue;
            }
            match self.sender.send(self.from, to, email).await {
                Ok(message_id) => {
                    tracing::info!(call_id = %call_id, recipient = position, message_id = %message_id,
                        "emergency notification message accepted");
                    round.progress.0.insert(tag, Delivery::Sent);
                    round.sent += 1;
                }
                Err(SendError::Transient(code)) => {
                    tracing::warn!(call_id = %call_id, recipient = position, error = %code,
                        "notification message not sent; will retry");
                    round.pending.push(code);
                }
                Err(SendError::Permanent(code)) => {
                    tracing::error!(call_id = %call_id, agent_id = %agent_id, recipient = position,
                        error = %code, "notification message refused permanently; the other recipients are still sent");
                    round.progress.0.insert(tag, Delivery::Refused(code));
                    round.refused += 1;
                }
            }
        }
        round
    }
}
