//! What the notifier reads and records for a call's e-mail: its context,
//! its per-recipient progress, its outcome.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::error::StoreError;
use super::mail::ErrorCode;
use lifeline_domain::call::{AgentProfile, EmergencyCall};
use lifeline_domain::types::{AgentId, CallId, E164};

/// What the notifier reads for a call, in one round trip.
#[derive(Debug, Clone, Default)]
pub struct NotifyContext {
    pub call: Option<EmergencyCall>,
    /// What happened to its e-mail already (`sent`, `partial`, `failed`,
    /// `no_recipients`), read even from a call record that does not decode.
    pub notification: Option<String>,
    /// The recipients settled by an earlier attempt that did not finish
    /// (a retry sends only to the others).
    pub progress: NotifyProgress,
    /// The caller ID the e-mail named, once its outcome is recorded.
    pub named: Option<E164>,
    /// The caller ID a correction e-mail already named.
    pub corrected: Option<E164>,
    pub agent: Option<AgentProfile>,
    /// The stored template in force (none: the built-in default).
    pub template: Option<lifeline_domain::notification::NotificationTemplate>,
    /// Each locale's stored template family (a locale not here: its
    /// built-in one), for SMS, chat and the messages in other languages.
    pub families: Vec<lifeline_domain::notification::TemplateFamily>,
    /// The tenant's default message locale (none: English).
    pub tenant_locale: Option<lifeline_domain::locale::Locale>,
    /// The tenant's escalation policy: its security desk is alerted with
    /// the agent's recipients, its drill list alone on a drill.
    pub escalation: lifeline_domain::escalation::EscalationPolicy,
    /// Items that exist but do not decode: read as missing, reported here.
    /// Unreadable is not unavailable: retrying will not make them readable.
    pub unreadable: Vec<NotifyItem>,
    /// Items the store did not answer for this time (throttled), though it
    /// answered for the call: read as missing, reported here; a retry may
    /// get them. (A store that cannot give the call is an error instead.)
    pub unavailable: Vec<NotifyItem>,
}

/// The items the notifier reads: the call record, the agent's profile, the template in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyItem {
    Call,
    Profile,
    Template,
}

impl NotifyItem {
    /// The `Kind` of the `CorruptItem` metric (as [`ItemKind::as_str`](crate::ports::ItemKind::as_str)).
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyItem::Call => "call",
            NotifyItem::Profile => "profile",
            NotifyItem::Template => "template",
        }
    }
}

/// What became of one recipient's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Refused for good: not sent again.
    Refused(ErrorCode),
}

/// Per-call progress of the e-mail: the recipients settled so far, by
/// [`recipient_tag`](lifeline_domain::notification::recipient_tag) (no
/// addresses). Stored only while some recipient is still pending.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifyProgress(pub std::collections::BTreeMap<String, Delivery>);

impl NotifyProgress {
    pub fn get(&self, tag: &str) -> Option<&Delivery> {
        self.0.get(tag)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn any_sent(&self) -> bool {
        self.0.values().any(|d| *d == Delivery::Sent)
    }
}

/// How a call's e-mail ended, one message per recipient: counts and error
/// codes, never addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub recipients: usize,
    pub sent: usize,
    /// Recipients refused for good, by error code.
    pub refused: std::collections::BTreeMap<ErrorCode, usize>,
}

impl Tally {
    pub fn refused_count(&self) -> usize {
        self.refused.values().sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotificationOutcome {
    /// Every recipient settled: sent, or refused for good (not retried).
    Settled(Tally),
    NoRecipients,
    /// Nothing could be sent, for a reason of Lifeline's own (a fixed text:
    /// never a provider's message).
    Failed {
        reason: &'static str,
    },
}

impl NotificationOutcome {
    /// The `notification` attribute: `sent` (to every recipient), `partial`
    /// (some refused), `failed` (none sent), `no_recipients`.
    pub fn state(&self) -> &'static str {
        match self {
            NotificationOutcome::Settled(t) if t.sent == t.recipients => "sent",
            NotificationOutcome::Settled(t) if t.sent > 0 => "partial",
            NotificationOutcome::Settled(_) => "failed",
            NotificationOutcome::NoRecipients => "no_recipients",
            NotificationOutcome::Failed { .. } => "failed",
        }
    }

    /// The `notificationDetail` attribute: `sent 3 of 3`,
    /// `sent 2 of 3; refused 1 (MessageRejected)`; no address, no message.
    pub fn detail(&self) -> String {
        match self {
            NotificationOutcome::Settled(t) => {
                let mut d = format!("sent {} of {}", t.sent, t.recipients);
                if !t.refused.is_empty() {
                    let codes: Vec<String> = t
                        .refused
                        .iter()
                        .map(|(code, n)| format!("{n} {code}"))
                        .collect();
                    d.push_str(&format!(
                        "; refused {} ({})",
                        t.refused_count(),
                        codes.join(", ")
                    ));
                }
                d
            }
            NotificationOutcome::NoRecipients => String::new(),
            NotificationOutcome::Failed { reason } => (*reason).to_string(),
        }
    }
}

#[async_trait]
pub trait NotifyStore: Send + Sync {
    async fn notify_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<NotifyContext, StoreError>;
    /// Records the e-mail's outcome on the call record (and drops its
    /// progress), with the caller ID it named (none: nothing was sent).
    async fn record_notification(
        &self,
        call: &CallId,
        outcome: &NotificationOutcome,
        named: Option<&E164>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Records that a correction e-mail named `number` (so a redelivered
    /// event does not send it again).
    async fn record_correction(&self, call: &CallId, number: &E164) -> Result<(), StoreError>;
    /// Records which recipients are settled while others are still pending,
    /// so that a retry sends only to those (unless the outcome is recorded),
    /// and lets go of this attempt's claim on the sending.
    async fn record_progress(
        &self,
        call: &CallId,
        progress: &NotifyProgress,
    ) -> Result<(), StoreError>;
    /// Claims the sending of the call's e-mail until `until`: only while no
    /// outcome is recorded and no other delivery holds a claim that `now`
    /// has not passed. Whether this one holds it: of two deliveries of one
    /// event at once, one sends.
    async fn claim_sending(
        &self,
        call: &CallId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}
