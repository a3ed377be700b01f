//! An escalation step's one-time schedule (pure): named by the incident and
//! the step, so a retried scheduling never makes a second one, and carrying
//! the step to the notifier when it falls due.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Step;
use crate::expiry::{minute_at_or_after, ExpirySchedule, ScheduleInput};
use crate::types::{AgentId, CallId};

/// What an escalation step's schedule hands the notifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EscalationFiring {
    pub call_id: CallId,
    pub agent_id: AgentId,
    pub tier: u32,
    pub round: u32,
    /// When the step was due (the firing may come a little before).
    pub due: DateTime<Utc>,
}

impl EscalationFiring {
    pub fn step(&self) -> Step {
        Step {
            tier: self.tier,
            round: self.round,
            due: self.due,
        }
    }

    /// `tier 2`, `tier 3, round 2`: how the timeline and the logs name it.
    pub fn label(&self) -> String {
        step_label(self.tier, self.round)
    }
}

/// `tier 2`, `tier 3, round 2`.
pub fn step_label(tier: u32, round: u32) -> String {
    if round == 0 {
        format!("tier {tier}")
    } else {
        format!("tier {tier}, round {}", round + 1)
    }
}

/// The schedule of `step` of `call`'s incident: `esc-<digest>-t<tier>-r<round>`
/// (schedule names allow letters, digits, `-`, `_`, `.`; a call id may hold
/// others), due at the step's time rounded up to the minute.
pub fn escalation_schedule(call: &CallId, agent: &AgentId, step: Step) -> ExpirySchedule {
    let digest = Sha256::digest(call.as_str().as_bytes());
    ExpirySchedule {
        name: format!(
            "esc-{}-t{}-r{}",
            &hex::encode(digest)[..24],
            step.tier,
            step.round
        ),
        at: minute_at_or_after(step.due),
        input: ScheduleInput::Escalation {
            firing: EscalationFiring {
                call_id: call.clone(),
                agent_id: agent.clone(),
                tier: step.tier,
                round: step.round,
                due: step.due,
            },
        },
        moved: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steps_schedule_is_named_by_incident_and_step_and_carries_it() {
        let call: CallId = "c-1~2".parse().unwrap();
        let agent: AgentId = "a-42".parse().unwrap();
        let due = DateTime::from_timestamp(1_795_496_430, 0).unwrap();
        let s = escalation_schedule(
            &call,
            &agent,
            Step {
                tier: 2,
                round: 0,
                due,
            },
        );
        assert!(
            s.name.starts_with("esc-") && s.name.ends_with("-t2-r0"),
            "{}",
            s.name
        );
        assert!(s.name.len() <= 64);
        assert!(s
            .name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        assert_eq!(s.at, DateTime::from_timestamp(1_795_496_460, 0).unwrap());
        let again = escalation_schedule(
            &call,
            &agent,
            Step {
                tier: 2,
                round: 0,
                due,
            },
        );
        assert_eq!(s.name, again.name, "the same step, the same schedule");
        let json = serde_json::to_value(&s.input).unwrap();
        assert_eq!(json["escalation"]["callId"], "c-1~2");
        assert_eq!(json["escalation"]["tier"], 2);
        let back: ScheduleInput = serde_json::from_value(json).unwrap();
        assert_eq!(back, s.input);
        assert_eq!(step_label(3, 1), "tier 3, round 2");
    }
}
