//! The message itself: the call's facts in the template in force, or in the
//! built-in one when the stored one fails (the message must go out).

use crate::ports::NotifyContext;
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::notification::{
    notification_data, render, NotificationTemplate, RenderedEmail,
};

use super::outcome::RetryLater;

/// The e-mail for `call`, stating the callback `window`; `to_fallback`: it
/// goes to the fallback recipients and says so.
pub(super) fn compose(
    call: &EmergencyCall,
    ctx: &NotifyContext,
    window: chrono::Duration,
    to_fallback: bool,
) -> Result<RenderedEmail, RetryLater> {
    let mut data = notification_data(call, ctx.agent.as_ref(), window);
    data.sent_to_fallback = to_fallback;
    let stored = ctx
        .template
        .clone()
        .unwrap_or_else(NotificationTemplate::builtin);
    // A stored template was validated when pushed; should it still fail,
    // the built-in one carries the message: it must go out.
    let email = render(&stored, &data).or_else(|e| {
        tracing::error!(error = %e, version = stored.version, "stored template failed; using the built-in one");
        render(&NotificationTemplate::builtin(), &data)
    });
    email.map_err(|e| RetryLater(format!("built-in template: {e}")))
}
