//! `lifeline escalation`: who is alerted beyond the agent's recipients, and
//! when nobody acknowledges. Tier 1 is the security desk (alerted at once,
//! with the agent's recipients); tiers 2.. each after their delay since the
//! incident opened; drills alert only the drill recipients.

use chrono::Duration;
use clap::Subcommand;
use lifeline_app::ports::EscalationStore;
use lifeline_domain::escalation::EscalationPolicy;
use lifeline_domain::recipient::Recipients;
use serde_json::{json, Value};

use super::context::Context;
use super::failure::{store_err, usage, Failure};
use super::output::print_json;

#[derive(Subcommand)]
pub enum EscalationCmd {
    /// Print the policy as JSON (addresses masked).
    Show,
    /// Set one tier, the drill recipients, or the repeat interval.
    Set {
        /// The tier: 1 is the security desk (no delay), 2.. escalate in order.
        #[arg(long, conflicts_with = "drill")]
        tier: Option<u32>,
        /// Minutes since the incident opened with no acknowledgement (tiers 2..).
        #[arg(long)]
        after_minutes: Option<i64>,
        /// The drill recipients (933, urn:service:test.sos): only they are
        /// alerted by a drill, which never escalates.
        #[arg(long)]
        drill: bool,
        /// `;`-separated `channel:address|locale` entries ("" for none).
        #[arg(long)]
        recipients: Option<String>,
        /// How often the last tier is alerted again until someone acknowledges.
        #[arg(long)]
        repeat_minutes: Option<i64>,
    },
}

pub async fn run(cmd: EscalationCmd, ctx: &Context) -> Result<(), Failure> {
    match cmd {
        EscalationCmd::Show => {
            let policy = ctx.store.escalation_policy().await.map_err(store_err)?;
            print_json(&policy_json(&policy));
        }
        EscalationCmd::Set {
            tier,
            after_minutes,
            drill,
            recipients,
            repeat_minutes,
        } => {
            let hosts = crate::chat_allowed_hosts().map_err(Failure::Usage)?;
            let recipients = recipients
                .map(|r| Recipients::parse_with(&r, &hosts).map_err(usage("recipients")))
                .transpose()?;
            let mut policy = ctx.store.escalation_policy().await.map_err(store_err)?;
            apply(
                &mut policy,
                tier,
                after_minutes,
                drill,
                recipients,
                repeat_minutes,
            )?;
            ctx.store
                .put_escalation_policy(&policy)
                .await
                .map_err(store_err)?;
            print_json(&policy_json(&policy));
        }
    }
    Ok(())
}

/// The change a `set` asks for, checked before anything is written.
fn apply(
    policy: &mut EscalationPolicy,
    tier: Option<u32>,
    after_minutes: Option<i64>,
    drill: bool,
    recipients: Option<Recipients>,
    repeat_minutes: Option<i64>,
) -> Result<(), Failure> {
    if let Some(r) = repeat_minutes {
        let mut next = policy.clone();
        next.timing.repeat_every = Duration::minutes(r);
        next.escalation_timing()
            .validate()
            .map_err(usage("--repeat-minutes"))?;
        *policy = next;
    }
    match (tier, drill, recipients) {
        (None, true, Some(r)) => policy.drill = r,
        (Some(1), false, Some(r)) => {
            if after_minutes.is_some_and(|m| m != 0) {
                return Err(Failure::Usage(
                    "tier 1 is alerted at once: no --after-minutes".into(),
                ));
            }
            policy
                .set_tier(1, Duration::zero(), r)
                .map_err(usage("tier"))?;
        }
        (Some(n), false, Some(r)) => {
            let after = after_minutes
                .ok_or_else(|| Failure::Usage(format!("tier {n} needs --after-minutes")))?;
            policy
                .set_tier(n, Duration::minutes(after), r)
                .map_err(usage("tier"))?;
        }
        (None, false, None) if repeat_minutes.is_some() => {}
        _ => {
            return Err(Failure::Usage(
                "say --tier N --recipients \"…\" (with --after-minutes for N > 1), \
                 --drill --recipients \"…\", or --repeat-minutes M"
                    .into(),
            ))
        }
    }
    Ok(())
}

fn policy_json(p: &EscalationPolicy) -> Value {
    json!({
        "securityDesk": p.security_desk.redacted(),
        "tiers": p.tiers.iter().map(|t| json!({
            "tier": t.tier,
            "afterMinutes": t.after.num_minutes(),
            "recipients": t.recipients.redacted(),
        })).collect::<Vec<_>>(),
        "drill": p.drill.redacted(),
        "repeatMinutes": p.timing.repeat_every.num_minutes(),
        "stopAfterEndMinutes": p.timing.stop_after_end.num_minutes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(s: &str) -> Option<Recipients> {
        Some(Recipients::parse(s).unwrap())
    }

    #[test]
    fn sets_are_checked_before_anything_changes() {
        let mut p = EscalationPolicy::default();
        apply(&mut p, Some(1), None, false, list("desk@example.com"), None).unwrap();
        apply(
            &mut p,
            Some(2),
            Some(5),
            false,
            list("sms:+14255550111"),
            None,
        )
        .unwrap();
        apply(&mut p, None, None, true, list("drills@example.com"), None).unwrap();
        apply(&mut p, None, None, false, None, Some(20)).unwrap();
        let v = policy_json(&p);
        assert_eq!(v["tiers"][0]["afterMinutes"], 5);
        assert_eq!(v["repeatMinutes"], 20);
        assert!(!v.to_string().contains("+14255550111"), "masked: {v}");
        let before = p.clone();
        for bad in [
            apply(&mut p, Some(3), None, false, list("x@example.com"), None),
            apply(&mut p, Some(3), Some(2), false, list("x@example.com"), None),
            apply(&mut p, Some(1), Some(5), false, list("x@example.com"), None),
            apply(&mut p, None, None, false, None, Some(0)),
            apply(&mut p, None, None, false, None, None),
        ] {
            assert!(bad.is_err());
        }
        assert_eq!(p, before, "a refused set changes nothing");
    }
}
