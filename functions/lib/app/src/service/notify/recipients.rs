//! Whom a call's e-mail goes to: the agent's own recipients, else the
//! configured fallback list (saying why), else nobody. Nobody is left
//! unnotified because a lookup failed.

use crate::ports::{NotifyContext, NotifyItem};
use lifeline_domain::recipient::{Recipient, Recipients};

use super::outcome::Fallback;

/// How long a call's e-mail waits for a profile (or template) the store did
/// not give: retried while the call is younger than this, then sent to the
/// fallback recipients (with the built-in template) rather than retried
/// further, since the stream's retries are few and shared by every agent.
pub const PROFILE_RETRY_WINDOW: chrono::Duration = chrono::Duration::seconds(60);

/// Whom the e-mail goes to (tier 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Addressees {
    /// The agent's own list, with the tenant's security desk.
    Own(Vec<Recipient>),
    /// The fallback list (with the security desk), and why the agent's
    /// could not be used.
    Fallback(Vec<Recipient>, Fallback),
    /// No list at all (the agent's cannot be used, no fallback configured).
    Nobody(Fallback),
}

impl Addressees {
    /// Tier 1 of `ctx`'s call: a drill (`drill`) goes to the tenant's drill
    /// recipients alone when there are any; otherwise the agent's
    /// recipients (else the fallback list) and the security desk.
    pub(super) fn choose(ctx: &NotifyContext, fallback: &Recipients, drill: bool) -> Self {
        let policy = &ctx.escalation;
        if drill && !policy.drill.is_empty() {
            return Addressees::Own(policy.drill.entries().to_vec());
        }
        let desk = policy.security_desk.entries();
        let own = ctx
            .agent
            .as_ref()
            .map(|a| a.recipients.entries())
            .unwrap_or_default();
        if !own.is_empty() {
            return Addressees::Own(with_desk(own, desk));
        }
        let why = why_fallback(ctx);
        if fallback.is_empty() && desk.is_empty() {
            Addressees::Nobody(why)
        } else {
            Addressees::Fallback(with_desk(fallback.entries(), desk), why)
        }
    }
}

/// `list`, then the desk's addresses not in it (on the same channel).
fn with_desk(list: &[Recipient], desk: &[Recipient]) -> Vec<Recipient> {
    let mut all = list.to_vec();
    for d in desk {
        if !all.iter().any(|r| r.address == d.address) {
            all.push(d.clone());
        }
    }
    all
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

#[cfg(test)]
mod tests {
    use super::*;
    use lifeline_domain::escalation::EscalationPolicy;

    fn list(s: &str) -> Recipients {
        Recipients::parse(s).unwrap()
    }

    fn emails(s: &str) -> Vec<Recipient> {
        list(s).entries().to_vec()
    }

    fn ctx(agent_recipients: &str, desk: &str, drill: &str) -> NotifyContext {
        let mut agent = lifeline_domain::testing::agent("a-42");
        agent.recipients = list(agent_recipients);
        NotifyContext {
            agent: Some(agent),
            escalation: EscalationPolicy {
                security_desk: list(desk),
                drill: list(drill),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn tier_one_is_the_agents_recipients_and_the_security_desk() {
        let c = ctx(
            "sup@example.com; desk@example.com",
            "desk@example.com; soc@example.com",
            "",
        );
        assert_eq!(
            Addressees::choose(&c, &Recipients::default(), false),
            Addressees::Own(emails("sup@example.com; desk@example.com; soc@example.com"))
        );
        // Without the agent's list: the fallback, and still the desk.
        let c = ctx("", "soc@example.com", "");
        assert_eq!(
            Addressees::choose(&c, &list("fb@example.com"), false),
            Addressees::Fallback(
                emails("fb@example.com; soc@example.com"),
                Fallback::NoRecipients
            )
        );
    }

    #[test]
    fn a_drill_alerts_the_drill_list_alone_else_tier_one() {
        let c = ctx("sup@example.com", "soc@example.com", "drills@example.com");
        assert_eq!(
            Addressees::choose(&c, &Recipients::default(), true),
            Addressees::Own(emails("drills@example.com"))
        );
        let c = ctx("sup@example.com", "soc@example.com", "");
        assert_eq!(
            Addressees::choose(&c, &Recipients::default(), true),
            Addressees::Own(emails("sup@example.com; soc@example.com"))
        );
    }
}
