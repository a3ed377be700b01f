//! What became of a call's e-mail: the service's answer, and how the
//! recipients' deliveries add up to it.

use std::collections::BTreeMap;

use crate::ports::{Delivery, NotifyProgress, Tally};
use lifeline_domain::notification::address_tag;
use lifeline_domain::recipient::Recipient;
use lifeline_domain::types::CallId;

/// What a parked notification records: no store text, no addresses.
pub const CALL_UNREADABLE: &str = "the call record is unreadable: no e-mail could be written";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notified {
    /// To every one of the agent's recipients.
    Sent,
    /// To every one of the fallback recipients, because the agent's could not be used.
    SentToFallback(Fallback),
    /// Some recipients refused for good, the others sent.
    Partial {
        sent: usize,
        refused: usize,
    },
    NoRecipients,
    /// Every recipient refused for good.
    Failed,
    /// The call record does not decode: recorded as failed, not retried.
    Parked,
    /// Already recorded (a redelivered record): nothing sent.
    AlreadyDone,
    /// The call record is gone (expired): nothing to say.
    NoCall,
}

/// Why the agent's own recipients could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    NoProfile,
    ProfileUnreadable,
    /// The store did not give the profile within the retry window.
    ProfileUnavailable,
    /// The profile lists nobody.
    NoRecipients,
}

impl Fallback {
    pub fn as_str(self) -> &'static str {
        match self {
            Fallback::NoProfile => "no_profile",
            Fallback::ProfileUnreadable => "profile_unreadable",
            Fallback::ProfileUnavailable => "profile_unavailable",
            Fallback::NoRecipients => "no_recipients",
        }
    }
}

/// Retry the record later. Its text is logged: no addresses in it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("notification not sent yet: {0}")]
pub struct RetryLater(pub String);

/// How the recipients' deliveries add up, once every one is settled (by
/// this attempt or an earlier one).
pub(super) fn tally(
    call_id: &CallId,
    recipients: &[Recipient],
    progress: &NotifyProgress,
) -> Tally {
    let mut tally = Tally {
        recipients: recipients.len(),
        sent: 0,
        refused: BTreeMap::new(),
    };
    for to in recipients {
        match progress.get(&address_tag(call_id, &to.address)) {
            Some(Delivery::Sent) => tally.sent += 1,
            Some(Delivery::Refused(code)) => *tally.refused.entry(code.clone()).or_default() += 1,
            None => {}
        }
    }
    tally
}

/// The answer for a settled e-mail.
pub(super) fn notified(tally: &Tally, fallback: Option<Fallback>) -> Notified {
    if tally.sent == tally.recipients {
        fallback.map_or(Notified::Sent, Notified::SentToFallback)
    } else if tally.sent == 0 {
        Notified::Failed
    } else {
        Notified::Partial {
            sent: tally.sent,
            refused: tally.refused_count(),
        }
    }
}
