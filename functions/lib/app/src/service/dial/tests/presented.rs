//! `POST /calls/presented` against the in-memory store: the record made to
//! say what the PSAP saw, the lease freed, repeats and conflicts.

use super::*;
use crate::service::dial::presented::{Presented, PresentedError};
use lifeline_domain::presented::{CallPresented, PresentedReason};

fn report(call: &str, agent: &str, caller: &str, reason: PresentedReason) -> CallPresented {
    CallPresented {
        call_id: call.parse().unwrap(),
        agent_id: agent.parse().unwrap(),
        dialed: "911".into(),
        caller_id: caller.parse().unwrap(),
        reason,
    }
}

fn record(store: &MemoryStore, call: &str) -> Option<lifeline_domain::call::EmergencyCall> {
    let id: CallId = call.parse().unwrap();
    store.with_state(|s| s.calls.get(&id).cloned())
}

#[tokio::test]
async fn a_fail_open_lifeline_never_saw_is_recorded_with_the_number_presented() {
    let (service, store, metrics) = service(&["+14255550199"]);
    let r = report("c-1", "a-42", "+14255550100", PresentedReason::FailOpen);
    assert_eq!(service.presented(&r).await.unwrap(), Presented::Recorded);
    let call = record(&store, "c-1").expect("recorded");
    assert_eq!(call.caller_id.as_str(), "+14255550100");
    assert_eq!(call.emergency_number, "911");
    assert_eq!(
        (call.degraded, call.reason),
        (true, Some(DegradedReason::PlatformFailOpen))
    );
    assert_eq!(call.lease_id, None);
    // The pool is untouched: nothing was leased.
    assert!(store.with_state(|s| s.pointers.is_empty()));
    let outcomes: Vec<String> = metrics
        .all()
        .into_iter()
        .filter(|(name, _, _)| name == "PresentedReports")
        .flat_map(|(_, _, dims)| dims.into_iter().map(|(_, v)| v))
        .collect();
    assert_eq!(outcomes, vec!["recorded"]);
    // Again (the platform retried): the record already says so.
    assert_eq!(service.presented(&r).await.unwrap(), Presented::AlreadySo);
}

#[tokio::test]
async fn a_leased_number_the_psap_never_saw_is_corrected_and_freed_at_once() {
    let (service, store, _) = service(&["+14255550199"]);
    let answer = serde_json::to_value(service.dial(dial("c-1")).await).unwrap();
    assert_eq!(answer["callerId"], "+14255550199");
    let r = report(
        "c-1",
        "a-42",
        "+14255550100",
        PresentedReason::FailoverOwnNumber,
    );
    assert_eq!(service.presented(&r).await.unwrap(), Presented::Corrected);
    let call = record(&store, "c-1").unwrap();
    assert_eq!(call.caller_id.as_str(), "+14255550100");
    assert_eq!((call.leased_number, call.lease_id), (None, None));
    assert_eq!(call.reason, Some(DegradedReason::PlatformFailOpen));
    // The number is free for the next dial, of anyone: no PSAP has it.
    let next = serde_json::to_value(
        service
            .dial(dial_by("c-2", "a-43", "911", "+14255550101"))
            .await,
    )
    .unwrap();
    assert_eq!(next["callerId"], "+14255550199", "{next}");
}

/// Another agent's call under a live id is a real emergency too: recorded
/// apart, at the id's next position; the first call's record is untouched.
/// An ordinary number is refused.
#[tokio::test]
async fn a_report_under_another_agents_id_is_recorded_apart_and_an_ordinary_number_refused() {
    let (service, store, _) = service(&["+14255550199"]);
    service.dial(dial("c-1")).await;
    let before = record(&store, "c-1");
    let theirs = report("c-1", "a-43", "+14255550101", PresentedReason::FailOpen);
    assert_eq!(
        service.presented(&theirs).await.unwrap(),
        Presented::Recorded
    );
    assert_eq!(record(&store, "c-1"), before);
    let apart = record(&store, "c-1~2").expect("recorded apart");
    assert_eq!(
        (apart.agent_id.as_str(), apart.caller_id.as_str()),
        ("a-43", "+14255550101")
    );
    // Repeated: already so.
    assert_eq!(
        service.presented(&theirs).await.unwrap(),
        Presented::AlreadySo
    );
    let ordinary = CallPresented {
        dialed: "4255550123".into(),
        ..report("c-2", "a-42", "+14255550100", PresentedReason::FailOpen)
    };
    assert!(matches!(
        service.presented(&ordinary).await,
        Err(PresentedError::NotEmergency)
    ));
    assert_eq!(record(&store, "c-2"), None);
}
