//! The emergency-call e-mail: one message per recipient (nobody sees another
//! recipient's address), at least once, never lost. A transient failure asks
//! for a retry of the record, which sends only to the recipients not settled
//! yet (the progress is recorded on the call by recipient tag, not address);
//! a permanent refusal of one address is recorded and counted, and never
//! stops the others. Only error codes are logged or stored, never the
//! provider's message (it can quote addresses). Nobody is left unnotified
//! because a lookup failed: when the agent's own recipients cannot be used
//! (no profile, an unreadable one, an empty list, or one the store would not
//! give for a while) the e-mail goes to the configured fallback recipients.
//! Corrupt data is never retried: retrying will not make it readable.
//!
//! `service` runs it; `recipients` chooses whom, `rendering` writes the
//! message, `sending` sends it one recipient at a time, `outcome` adds up
//! what became of it; `correction` tells the same people when the platform
//! presented another number than the e-mail named.

mod correction;
mod escalate;
mod follow_up;
mod outcome;
mod recipients;
mod rendering;
mod sending;
mod service;
mod step;
#[cfg(test)]
mod tests;
mod timeline;

pub use correction::Corrected;
pub use escalate::Escalated;
pub use follow_up::FollowedUp;
pub use outcome::{Fallback, Notified, RetryLater, CALL_UNREADABLE};
pub use recipients::PROFILE_RETRY_WINDOW;
pub use rendering::compose_message;
pub use sending::CHANNEL_NOT_CONFIGURED;
pub use service::{AckLinking, Escalating, NotifyService, StepKeeping};
