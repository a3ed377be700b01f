//! The tenant's escalation policy: who is alerted beyond the agent's own
//! recipients, and when. Tier 1 is the security desk (with the agent's
//! recipients), alerted at once; tiers 2.. each after their delay; drills
//! alert only the drill recipients (tier 1 when none are set).

use chrono::Duration;

use super::{EscalationTiming, TierDelay, TimingError};
use crate::recipient::Recipients;

/// One tier after the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    pub tier: u32,
    /// Since the incident opened, with no acknowledgement.
    pub after: Duration,
    pub recipients: Recipients,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EscalationPolicy {
    /// Tier 1, beside the agent's own recipients.
    pub security_desk: Recipients,
    /// Tiers 2.., in order.
    pub tiers: Vec<Tier>,
    /// Who a drill (933, `urn:service:test.sos`) alerts; none: tier 1.
    pub drill: Recipients,
    pub timing: EscalationTiming,
}

impl EscalationPolicy {
    /// The timing of the tiers as they are.
    pub fn escalation_timing(&self) -> EscalationTiming {
        EscalationTiming {
            tiers: self
                .tiers
                .iter()
                .map(|t| TierDelay {
                    tier: t.tier,
                    after: t.after,
                })
                .collect(),
            ..self.timing.clone()
        }
    }

    /// Sets tier `tier`: 1 is the security desk (no delay); 2.. replace or
    /// append that tier, which must keep the tiers numbered and in order.
    pub fn set_tier(
        &mut self,
        tier: u32,
        after: Duration,
        recipients: Recipients,
    ) -> Result<(), TimingError> {
        if tier == 1 {
            self.security_desk = recipients;
            return Ok(());
        }
        let mut next = self.clone();
        match next.tiers.iter_mut().find(|t| t.tier == tier) {
            Some(t) => {
                t.after = after;
                t.recipients = recipients;
            }
            None => next.tiers.push(Tier {
                tier,
                after,
                recipients,
            }),
        }
        next.tiers.sort_by_key(|t| t.tier);
        next.escalation_timing().validate()?;
        *self = next;
        Ok(())
    }

    /// The recipients of tier `tier` (1: the security desk).
    pub fn recipients_of(&self, tier: u32) -> Option<&Recipients> {
        match tier {
            1 => Some(&self.security_desk),
            n => self
                .tiers
                .iter()
                .find(|t| t.tier == n)
                .map(|t| &t.recipients),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(s: &str) -> Recipients {
        Recipients::parse(s).unwrap()
    }

    #[test]
    fn tiers_are_set_in_order_and_checked() {
        let mut p = EscalationPolicy::default();
        p.set_tier(1, Duration::zero(), list("desk@example.com"))
            .unwrap();
        p.set_tier(2, Duration::minutes(5), list("sms:+14255550111"))
            .unwrap();
        p.set_tier(3, Duration::minutes(15), list("boss@example.com"))
            .unwrap();
        assert_eq!(p.tiers.len(), 2);
        assert_eq!(p.recipients_of(1), Some(&list("desk@example.com")));
        // A tier 3 earlier than tier 2 is refused, and changes nothing.
        let before = p.clone();
        assert!(p
            .set_tier(3, Duration::minutes(2), list("x@example.com"))
            .is_err());
        assert_eq!(p, before);
        // A gap (tier 5 without 4) is refused.
        assert!(p
            .set_tier(5, Duration::minutes(30), list("x@example.com"))
            .is_err());
        assert_eq!(p.escalation_timing().tiers[1].after, Duration::minutes(15));
    }
}
