//! One platform `callId`, more than one call (pure). A desktop that restarts
//! reuses its ids, and two platforms' ids can collide; a `callId` is the same
//! dial only while that dial's call is live. Every call is recorded: the
//! first under the platform's id, later ones under the id with their
//! position (`c-1~2`, `c-1~3`: see [`CallId::at_position`]), so a record is
//! never overwritten and every call keeps its own story.

use chrono::{DateTime, Duration, Utc};

use crate::call::{EmergencyCall, OutboundDial};
use crate::dial::{same_dial, BestMatch};
use crate::types::CallId;

/// The most records one `callId` may have: a desktop whose every call
/// reuses one id is still recorded for this many emergency calls within a
/// record's retention; past it, dials are answered without a record.
pub const MAX_RECORDS_PER_CALL_ID: u32 = 32;

/// What a recorded call under the dial's `callId` is to the dial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The same agent's same dial, still live: a retried webhook.
    ThisDial,
    /// Another agent's or another number's call, still live (an unreadable
    /// record counts as one: whose it is cannot be told).
    Live,
    /// Ended, or begun longer ago than the active-call limit.
    Over,
}

/// What `recorded` (`None`: there, but unreadable) is to `dial` at `now`.
pub fn standing(
    recorded: Option<&EmergencyCall>,
    dial: &OutboundDial,
    best: BestMatch,
    now: DateTime<Utc>,
    active_call_limit: Duration,
) -> Standing {
    let Some(call) = recorded else {
        return Standing::Live;
    };
    // Judged at `now`: a call's record written late (the outbox) is judged
    // at its own dial, when a call that ended after it was still live.
    let ended = call.ended_at.is_some_and(|end| end <= now);
    if ended || call.dialed_at + active_call_limit <= now {
        return Standing::Over;
    }
    if same_dial(call, dial, best) {
        Standing::ThisDial
    } else {
        Standing::Live
    }
}

/// Where a dial goes among the records its `callId` already has.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// The dial was answered already: this record's answer again.
    Repeat(Box<EmergencyCall>),
    /// Another live call holds the id: recorded at this id, degraded
    /// `call_id_conflict`, with the agent's own number.
    Conflict(CallId),
    /// Every call under the id is over: a new call, recorded at this id.
    Fresh(CallId),
    /// The id has all the records it may have.
    Full,
}

/// Places `dial` after `records`: the records found under its `callId`, in
/// position order from the first, up to the first free position (`None`:
/// a record there that does not decode).
pub fn place(
    records: &[Option<EmergencyCall>],
    dial: &OutboundDial,
    best: BestMatch,
    now: DateTime<Utc>,
    active_call_limit: Duration,
) -> Placement {
    let mut live = false;
    for record in records {
        match standing(record.as_ref(), dial, best, now, active_call_limit) {
            Standing::ThisDial => {
                if let Some(call) = record {
                    return Placement::Repeat(Box::new(call.clone()));
                }
            }
            Standing::Live => live = true,
            Standing::Over => {}
        }
    }
    let next = records.len() as u32 + 1;
    if next > MAX_RECORDS_PER_CALL_ID {
        return Placement::Full;
    }
    let id = dial.call_id.at_position(next);
    if live {
        Placement::Conflict(id)
    } else {
        Placement::Fresh(id)
    }
}

/// Places a call recorded late (answered, then kept for the outbox) among
/// the records under its id, judged at its own dial.
pub fn place_recorded(
    records: &[Option<EmergencyCall>],
    call: &EmergencyCall,
    active_call_limit: Duration,
) -> Placement {
    let dial = OutboundDial {
        call_id: call.call_id.clone(),
        agent_id: call.agent_id.clone(),
        dialed: call.dialed.clone(),
        from: call.caller_id.clone(),
        location: None,
        registered_location: false,
        timestamp: None,
    };
    // No match: `dialed` is compared as recorded (digits only).
    let best = BestMatch {
        m: None,
        country_known: false,
    };
    place(records, &dial, best, call.dialed_at, active_call_limit)
}

/// Whether an end (sent at `ended_at` by the desktop's clock, when it said)
/// may be this record's: not one sent before the record's dial by that same
/// clock, which is a late copy of an earlier call's end under the same id.
pub fn end_applies(call: &EmergencyCall, ended_at: Option<DateTime<Utc>>) -> bool {
    match (ended_at, call.desktop_time) {
        (Some(end), Some(dialed)) => end >= dialed,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::samples;
    use crate::degraded::DegradedReason;
    use crate::dial::degraded_call;
    use crate::numbers::{match_emergency, Country, OutsideLinePrefix};

    fn dial() -> OutboundDial {
        samples::dial("911", Some("US"))
    }

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_496_400, 0).unwrap() + Duration::minutes(min)
    }

    fn best(d: &OutboundDial) -> BestMatch {
        BestMatch::known(
            match_emergency(&d.dialed, Country::US, &OutsideLinePrefix::default()).unwrap(),
        )
    }

    fn recorded(d: &OutboundDial, at: DateTime<Utc>) -> EmergencyCall {
        degraded_call(d, best(d), DegradedReason::PoolExhausted, at)
    }

    const LIMIT: Duration = Duration::hours(4);

    #[test]
    fn a_retry_of_a_live_dial_is_answered_again() {
        let d = dial();
        let first = recorded(&d, t(0));
        let placed = place(&[Some(first.clone())], &d, best(&d), t(1), LIMIT);
        assert_eq!(placed, Placement::Repeat(Box::new(first)));
    }

    #[test]
    fn a_dial_after_the_call_ended_is_a_new_call_at_the_next_position() {
        let d = dial();
        let mut first = recorded(&d, t(0));
        first.ended_at = Some(t(3));
        let placed = place(&[Some(first)], &d, best(&d), t(10), LIMIT);
        assert_eq!(placed, Placement::Fresh(d.call_id.at_position(2)));
    }

    #[test]
    fn a_dial_after_the_active_call_limit_is_a_new_call() {
        let d = dial();
        let first = recorded(&d, t(0));
        let placed = place(&[Some(first)], &d, best(&d), t(4 * 60), LIMIT);
        assert_eq!(placed, Placement::Fresh(d.call_id.at_position(2)));
    }

    #[test]
    fn another_agents_dial_under_a_live_id_is_a_conflict_recorded_apart() {
        let d = dial();
        let first = recorded(&d, t(0));
        let mut other = d.clone();
        other.agent_id = "a-43".parse().unwrap();
        let placed = place(&[Some(first.clone())], &other, best(&other), t(1), LIMIT);
        assert_eq!(placed, Placement::Conflict(d.call_id.at_position(2)));
        // Its retry finds its own record.
        let mut second = recorded(&other, t(1));
        second.call_id = d.call_id.at_position(2);
        let again = place(
            &[Some(first), Some(second.clone())],
            &other,
            best(&other),
            t(2),
            LIMIT,
        );
        assert_eq!(again, Placement::Repeat(Box::new(second)));
    }

    #[test]
    fn a_call_recorded_late_is_judged_at_its_own_dial() {
        let d = dial();
        // The same dial's record (its late lease write), ended since.
        let mut same = recorded(&d, t(0));
        same.ended_at = Some(t(5));
        let presented = recorded(&d, t(0));
        assert_eq!(
            place_recorded(&[Some(same.clone())], &presented, LIMIT),
            Placement::Repeat(Box::new(same))
        );
        // An older call's record under the id: this one goes after it.
        let mut older = recorded(&d, t(-90));
        older.ended_at = Some(t(-80));
        assert_eq!(
            place_recorded(&[Some(older)], &presented, LIMIT),
            Placement::Fresh(d.call_id.at_position(2))
        );
    }

    #[test]
    fn an_unreadable_record_is_a_live_call_of_someone_else() {
        let d = dial();
        let placed = place(&[None], &d, best(&d), t(1), LIMIT);
        assert_eq!(placed, Placement::Conflict(d.call_id.at_position(2)));
    }

    #[test]
    fn an_id_has_a_bounded_number_of_records() {
        let d = dial();
        let mut over = recorded(&d, t(0));
        over.ended_at = Some(t(1));
        let records = vec![Some(over); MAX_RECORDS_PER_CALL_ID as usize];
        assert_eq!(place(&records, &d, best(&d), t(10), LIMIT), Placement::Full);
    }

    #[test]
    fn a_late_copy_of_an_earlier_end_does_not_end_a_later_call() {
        let d = dial();
        let mut later = recorded(&d, t(10));
        later.desktop_time = Some(t(10));
        assert!(!end_applies(&later, Some(t(3))));
        assert!(end_applies(&later, Some(t(12))));
        assert!(end_applies(&later, None));
        later.desktop_time = None;
        assert!(end_applies(&later, Some(t(3))), "no common clock: applies");
    }
}
