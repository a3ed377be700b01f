use super::*;
use crate::testing::at;
use proptest::prelude::*;

fn t(min: i64) -> DateTime<Utc> {
    at("2026-11-24T05:00:00Z") + Duration::minutes(min)
}
fn a42() -> AgentId {
    "a-42".parse().unwrap()
}
fn c(s: &str) -> CallId {
    s.parse().unwrap()
}
fn p() -> PresencePolicy {
    PresencePolicy::default() // 4 h
}
fn started(calls: &[(&str, i64)]) -> PresenceState {
    let mut s = PresenceState::default();
    for (call, min) in calls {
        s.start(&c(call), t(*min));
    }
    s
}
fn check(s: &ExpirySchedule) -> &PresenceCheck {
    s.input.presence_check().expect("a presence check")
}

#[test]
fn names_are_one_pair_per_agent_and_valid_schedule_names() {
    assert_eq!(check_name(&a42(), false), "presence-a-a-42");
    assert_eq!(check_name(&a42(), true), "presence-again-a-a-42");
    let odd: AgentId = "agent:7@example".parse().unwrap();
    let long: AgentId = "x".repeat(128).parse().unwrap();
    for agent in [a42(), odd.clone(), long.clone()] {
        for again in [false, true] {
            let n = check_name(&agent, again);
            assert!(n.len() <= 64, "{n}");
            assert!(
                n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
                "{n}"
            );
            assert!(!n.starts_with("lease-"), "never a lease's name: {n}");
        }
    }
    assert!(check_name(&odd, false).starts_with("presence-h-"));
    assert_eq!(check_name(&odd, false), check_name(&odd, false), "stable");
    assert_ne!(check_name(&odd, false), check_name(&long, false));
    assert_ne!(check_name(&odd, false), check_name(&odd, true));
}

#[test]
fn both_inputs_decode_and_anything_else_is_refused() {
    let lease = serde_json::json!({"leaseId": "l-1", "number": "+14255550199", "version": 3});
    let decoded: ScheduleInput = serde_json::from_value(lease.clone()).unwrap();
    assert_eq!(decoded.lease().map(|e| e.version), Some(3));
    assert_eq!(
        serde_json::to_value(&decoded).unwrap(),
        lease,
        "its shape as ever"
    );
    let presence =
        serde_json::json!({"presenceCheck": {"agentId": "a-42", "until": "2026-11-24T09:00:00Z"}});
    let decoded: ScheduleInput = serde_json::from_value(presence.clone()).unwrap();
    assert_eq!(
        decoded.presence_check(),
        Some(&PresenceCheck {
            agent_id: a42(),
            until: t(240),
            again: false
        })
    );
    assert_eq!(serde_json::to_value(&decoded).unwrap(), presence);
    for bad in [
        serde_json::json!({}),
        serde_json::json!({"presenceCheck": {}}),
        serde_json::json!({"presenceCheck": {"agentId": "a 42", "until": "2026-11-24T09:00:00Z"}}),
        serde_json::json!({"agentId": "a-42"}),
    ] {
        assert!(
            serde_json::from_value::<ScheduleInput>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn a_start_checks_at_its_limit_or_at_an_earlier_stored_one() {
    let start = |stored: Option<&PresenceState>, call: &str, min: i64, now: i64| {
        check_on_start(&p(), &a42(), &c(call), t(min), stored, t(now))
    };
    let first = start(None, "c-1", 0, 0).unwrap();
    assert_eq!(first.name, "presence-a-a-42");
    assert_eq!(first.at, t(241), "the limit and the margin");
    assert_eq!(check(&first).until, t(240));
    assert!(!check(&first).again);
    // Seconds off the minute: the next whole minute after limit + margin.
    let odd = check_on_start(
        &p(),
        &a42(),
        &c("c-1"),
        t(0) + Duration::seconds(5),
        None,
        t(0),
    );
    assert_eq!(odd.unwrap().at, t(242));
    // A later call while an earlier one is stored: the earlier limit first.
    let s = started(&[("c-1", 0)]);
    let later = start(Some(&s), "c-2", 30, 30).unwrap();
    assert_eq!((later.at, check(&later).until), (t(241), t(270)));
    // An earlier call delivered after a later one: its own, earlier, limit.
    let s = started(&[("c-2", 30)]);
    assert_eq!(start(Some(&s), "c-1", 0, 31).unwrap().at, t(241));
    // A stored call already past the limit does not pull the check to now.
    let s = started(&[("c-0", -300)]);
    assert_eq!(start(Some(&s), "c-1", 0, 0).unwrap().at, t(241));
    // A start delivered after its end was stored: nothing to end.
    let mut s = started(&[]);
    s.end(&c("c-1"), t(5));
    assert_eq!(start(Some(&s), "c-1", 0, 6), None);
    // A start delivered past its limit: checked within the next minutes.
    assert_eq!(start(None, "c-1", 0, 300).unwrap().at, t(301));
}

#[test]
fn a_firing_checks_again_while_a_later_call_holds_the_override() {
    let fired = PresenceCheck {
        agent_id: a42(),
        until: t(240),
        again: false,
    };
    // c-1 lifted; c-2 (dialed 30 min later) still within the limit.
    let s = started(&[("c-2", 30)]);
    let next = check_after_firing(&p(), &fired, &s, t(241)).unwrap();
    assert_eq!(next.at, t(271));
    assert_eq!(next.name, "presence-again-a-a-42", "not the one that fired");
    assert_eq!(check(&next).until, t(270));
    // And that one's firing comes back to the first name, then stops.
    let after = check_after_firing(&p(), check(&next), &started(&[]), t(271));
    assert_eq!(after, None, "nothing left for time to end");
    // A call past the limit that was not lifted (a late firing) brings no
    // check of its own: the firing lifts it.
    assert_eq!(
        check_after_firing(&p(), &fired, &started(&[("c-1", 0)]), t(300)),
        None
    );
    // The fired check's own call not stored yet: checked again at its limit.
    let early = PresenceCheck {
        until: t(270),
        ..fired.clone()
    };
    let next = check_after_firing(&p(), &early, &started(&[]), t(241)).unwrap();
    assert_eq!((next.at, check(&next).until), (t(271), t(270)));
    // A duplicate firing asks for the same schedule: the same name, time, input.
    assert_eq!(
        check_after_firing(&p(), &fired, &s, t(241)),
        check_after_firing(&p(), &fired, &s, t(241) + Duration::seconds(20))
    );
}

proptest! {
    /// However the agent's calls interleave, following the checks (each
    /// firing lifting what is stuck) ends with no call holding the override,
    /// each check strictly later than the last, and within the last call's
    /// limit and a few minutes.
    #[test]
    fn following_the_checks_lifts_every_call_that_never_ends(
        dials in proptest::collection::vec(0i64..600, 1..6),
        first in 0usize..6,
    ) {
        let first = first % dials.len();
        let calls: Vec<(String, i64)> =
            dials.iter().enumerate().map(|(i, m)| (format!("c-{i}"), *m)).collect();
        let mut state = PresenceState::default();
        for (call, min) in &calls {
            state.start(&c(call), t(*min));
        }
        // The first start delivered: its check, against what is stored.
        let (call, min) = &calls[first];
        let mut next = check_on_start(&p(), &a42(), &c(call), t(*min), Some(&state), t(*min));
        let mut now = t(*min);
        let mut firings = 0;
        while let Some(s) = next {
            prop_assert!(s.at > now, "{} not after {}", s.at, now);
            now = s.at;
            state.tidy(&p(), now);
            next = check_after_firing(&p(), check(&s), &state, now);
            firings += 1;
            prop_assert!(firings <= 2 * calls.len() + 1);
        }
        prop_assert!(state.active.is_empty(), "stuck: {:?}", state.active);
        let last = t(*dials.iter().max().unwrap()) + p().stuck_limit;
        prop_assert!(now <= last + Duration::minutes(3), "{now} vs {last}");
    }
}
