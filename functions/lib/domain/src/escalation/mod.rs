//! When an incident nobody acknowledged is escalated (pure). Tier 1 is
//! alerted when the incident opens; tier `n` (2, 3, …) when its delay since
//! the opening has passed with no acknowledgement; the last tier again every
//! `repeat_every` until someone acknowledges or the call has been over for
//! longer than `stop_after_end`. A drill never escalates. Each step is named
//! by its tier and round, so a firing delivered twice alerts once.

use chrono::{DateTime, Duration, Utc};

mod firing;
mod policy;

pub use firing::{escalation_schedule, step_label, EscalationFiring};
pub use policy::{EscalationPolicy, Tier};

/// A tier after the first: its number and its delay since the opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierDelay {
    pub tier: u32,
    pub after: Duration,
}

/// The tenant's escalation timing (the recipients are kept beside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationTiming {
    /// Tiers 2.. in order, each later than the one before.
    pub tiers: Vec<TierDelay>,
    /// How often the last tier is alerted again.
    pub repeat_every: Duration,
    /// No more alerts once the call has been over this long.
    pub stop_after_end: Duration,
}

impl Default for EscalationTiming {
    fn default() -> Self {
        EscalationTiming {
            tiers: Vec::new(),
            repeat_every: Duration::minutes(15),
            stop_after_end: Duration::minutes(60),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimingError {
    #[error("tier {0}: tiers are numbered from 2, each once, in order")]
    TierNumber(u32),
    #[error("tier {0}: its delay must be longer than the tier before's, and at most a day")]
    Delay(u32),
    #[error("the repeat interval must be between 1 minute and a day")]
    Repeat,
}

impl EscalationTiming {
    /// Checks the tiers are 2, 3, … with growing delays within a day.
    pub fn validate(&self) -> Result<(), TimingError> {
        let mut before = Duration::zero();
        for (i, t) in self.tiers.iter().enumerate() {
            if t.tier != i as u32 + 2 {
                return Err(TimingError::TierNumber(t.tier));
            }
            if t.after <= before || t.after > Duration::days(1) {
                return Err(TimingError::Delay(t.tier));
            }
            before = t.after;
        }
        if self.repeat_every < Duration::minutes(1) || self.repeat_every > Duration::days(1) {
            return Err(TimingError::Repeat);
        }
        Ok(())
    }
}

/// One escalation step: which tier, which round of it (0 the first time;
/// the last tier's repeats count up), and when it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub tier: u32,
    pub round: u32,
    pub due: DateTime<Utc>,
}

impl Step {
    pub fn key(&self) -> StepKey {
        StepKey {
            tier: self.tier,
            round: self.round,
        }
    }
}

/// A step by name: its tier and round (what makes it once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StepKey {
    pub tier: u32,
    pub round: u32,
}

impl StepKey {
    /// The follow-up at the call's end: sent once, as a step is.
    pub const FOLLOW_UP: StepKey = StepKey { tier: 0, round: 0 };

    /// `ESCSTEP#02#0000` (`FOLLOWUP` for the follow-up): its item's sort
    /// key under the incident.
    pub fn sort_key(&self) -> String {
        if *self == StepKey::FOLLOW_UP {
            return "FOLLOWUP".into();
        }
        format!("ESCSTEP#{:02}#{:04}", self.tier, self.round)
    }
}

/// What the incident is, as escalation sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentState {
    pub opened_at: DateTime<Utc>,
    pub acknowledged: bool,
    pub drill: bool,
    pub ended_at: Option<DateTime<Utc>>,
}

/// Why nothing more is escalated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Acknowledged,
    Drill,
    /// No tier after the first.
    NoTiers,
    /// The call has been over longer than the policy's bound.
    Over,
}

/// The first escalation step after the opening.
pub fn first_step(timing: &EscalationTiming, state: &IncidentState) -> Result<Step, Stop> {
    stopped(timing, state, state.opened_at)?;
    let first = timing.tiers.first().ok_or(Stop::NoTiers)?;
    Ok(Step {
        tier: first.tier,
        round: 0,
        due: state.opened_at + first.after,
    })
}

/// What a firing for `step` does at `now`: alert it (`Ok`) — or nothing,
/// and why. A firing after the acknowledgement does nothing.
pub fn on_firing(
    timing: &EscalationTiming,
    state: &IncidentState,
    now: DateTime<Utc>,
) -> Result<(), Stop> {
    stopped(timing, state, now)
}

/// The step after `step`: the next tier, else the last one again.
pub fn next_step(
    timing: &EscalationTiming,
    state: &IncidentState,
    step: Step,
) -> Result<Step, Stop> {
    let next = match timing.tiers.iter().find(|t| t.tier == step.tier + 1) {
        Some(t) => Step {
            tier: t.tier,
            round: 0,
            due: (state.opened_at + t.after).max(step.due),
        },
        None => Step {
            tier: step.tier,
            round: step.round + 1,
            due: step.due + timing.repeat_every,
        },
    };
    stopped(timing, state, next.due)?;
    Ok(next)
}

fn stopped(
    timing: &EscalationTiming,
    state: &IncidentState,
    at: DateTime<Utc>,
) -> Result<(), Stop> {
    if state.drill {
        return Err(Stop::Drill);
    }
    if state.acknowledged {
        return Err(Stop::Acknowledged);
    }
    if state
        .ended_at
        .is_some_and(|end| end + timing.stop_after_end <= at)
    {
        return Err(Stop::Over);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_496_400, 0).unwrap() + Duration::minutes(min)
    }

    fn timing() -> EscalationTiming {
        EscalationTiming {
            tiers: vec![
                TierDelay {
                    tier: 2,
                    after: Duration::minutes(5),
                },
                TierDelay {
                    tier: 3,
                    after: Duration::minutes(15),
                },
            ],
            repeat_every: Duration::minutes(10),
            stop_after_end: Duration::minutes(30),
        }
    }

    fn open() -> IncidentState {
        IncidentState {
            opened_at: t(0),
            acknowledged: false,
            drill: false,
            ended_at: None,
        }
    }

    #[test]
    fn tiers_come_in_order_then_the_last_repeats() {
        let tm = timing();
        let s = open();
        let first = first_step(&tm, &s).unwrap();
        assert_eq!((first.tier, first.round, first.due), (2, 0, t(5)));
        let second = next_step(&tm, &s, first).unwrap();
        assert_eq!((second.tier, second.round, second.due), (3, 0, t(15)));
        let again = next_step(&tm, &s, second).unwrap();
        assert_eq!((again.tier, again.round, again.due), (3, 1, t(25)));
    }

    #[test]
    fn an_acknowledgement_a_drill_or_a_long_over_call_stops_it() {
        let tm = timing();
        let acked = IncidentState {
            acknowledged: true,
            ..open()
        };
        assert_eq!(first_step(&tm, &acked), Err(Stop::Acknowledged));
        assert_eq!(on_firing(&tm, &acked, t(5)), Err(Stop::Acknowledged));
        let drill = IncidentState {
            drill: true,
            ..open()
        };
        assert_eq!(first_step(&tm, &drill), Err(Stop::Drill));
        let over = IncidentState {
            ended_at: Some(t(2)),
            ..open()
        };
        assert!(on_firing(&tm, &over, t(31)).is_ok());
        assert_eq!(on_firing(&tm, &over, t(32)), Err(Stop::Over));
        let step = Step {
            tier: 3,
            round: 1,
            due: t(25),
        };
        assert_eq!(next_step(&tm, &over, step), Err(Stop::Over));
        assert_eq!(
            first_step(&EscalationTiming::default(), &open()),
            Err(Stop::NoTiers)
        );
    }

    #[test]
    fn timings_are_checked() {
        assert!(timing().validate().is_ok());
        let mut bad = timing();
        bad.tiers[1].after = Duration::minutes(5);
        assert_eq!(bad.validate(), Err(TimingError::Delay(3)));
        let mut bad = timing();
        bad.tiers[0].tier = 3;
        assert_eq!(bad.validate(), Err(TimingError::TierNumber(3)));
        let mut bad = timing();
        bad.repeat_every = Duration::seconds(10);
        assert_eq!(bad.validate(), Err(TimingError::Repeat));
    }
}
