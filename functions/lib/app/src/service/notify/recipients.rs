//! Whom a call's e-mail goes to: the agent's own recipients, else the
//! configured fallback list (saying why), else nobody. Nobody is left
//! unnotified because a lookup failed.

use crate::ports::{NotifyContext, NotifyItem};
use lifeline_domain::recipient::Recipients;
use lifeline_domain::types::Email;

use super::outcome::Fallback;

/// How long a call's e-mail waits for a profile (or template) the store did
/// not give: retried while the call is younger than this, then sent to the
/// fallback recipients (with the built-in template) rather than retried
/// further, since the stream's retries are few and shared by every agent.
pub const PROFILE_RETRY_WINDOW: chrono::Duration = chrono::Duration::seconds(60);

/// Whom the e-mail goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Addressees<'a> {
    /// The agent's own list.
    Own(&'a [Email]),
    /// The fallback list, and why the agent's could not be used.
    Fallback(&'a [Email], Fallback),
    /// No list at all (the agent's cannot be used, no fallback configured).
    Nobody(Fallback),
}

impl<'a> Addressees<'a> {
    pub(super) fn choose(ctx: &'a NotifyContext, fallback: &'a Recipients) -> Self {
        let own = ctx
            .agent
            .as_ref()
            .map(|a| a.recipients.as_slice())
            .unwrap_or_default();
        if !own.is_empty() {
            return Addressees::Own(own);
        }
        let why = why_fallback(ctx);
        if fallback.is_empty() {
            Addressees::Nobody(why)
        } else {
            Addressees::Fallback(fallback.as_slice(), why)
        }
    }
}

/// Whether to wait for items the store did not give this time (a retry may
/// get them): only while the call is younger than [`PROFILE_RETRY_WINDOW`].
pub(super) fn worth_waiting(ctx: &NotifyContext, call_age: chrono::Duration) -> bool {
    !ctx.unavailable.is_empty() && call_age < PROFILE_RETRY_WINDOW
}

/// Why the agent's own list cannot be used (it is empty or unknown).
fn why_fallback(ctx: &NotifyContext) -> Fallback {
    if ctx.agent.is_some() {
        Fallback::NoRecipients
    } else if ctx.unreadable.contains(&NotifyItem::Profile) {
        Fallback::ProfileUnreadable
    } else if ctx.unavailable.contains(&NotifyItem::Profile) {
        Fallback::ProfileUnavailable
    } else {
        Fallback::NoProfile
    }
}
