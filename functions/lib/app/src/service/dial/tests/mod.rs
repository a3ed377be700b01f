//! The dial service against the in-memory store: its answers, records and
//! metrics; the budget's and the outbox's in [`budget`].

use super::*;
use crate::clock::FixedClock;
use crate::fakes::{MemoryStore, RecordedMetrics, SequenceIds};
use lifeline_domain::call::AgentProfile;
use lifeline_domain::numbers::Country;
use lifeline_domain::recipient::Recipients;
use lifeline_domain::testing;
use lifeline_domain::types::{CallId, LeaseId, E164};

mod budget;
mod presented;

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_496_400, 0).unwrap()
}

fn dial(call: &str) -> OutboundDial {
    dial_by(call, "a-42", "911", "+14255550100")
}

/// Also the warm path's tests' dial.
pub(super) use lifeline_domain::testing::dial as dial_by;

/// A service whose ids, picks and metrics the test owns.
fn service(
    pool: &[&str],
) -> (
    DialService<MemoryStore>,
    Arc<MemoryStore>,
    Arc<RecordedMetrics>,
) {
    let store = Arc::new(MemoryStore::new());
    store.add_agent(AgentProfile {
        name: "Ana".into(),
        email: None,
        recipients: Recipients::default(),
        outbound_profile: None,
        ..testing::agent("a-42")
    });
    store.add_numbers(Country::US, pool);
    let settings = Arc::new(Settings::from_lookup(|_| None).unwrap());
    let metrics = Arc::new(RecordedMetrics::default());
    let service = DialService::new(store.clone(), Arc::new(FixedClock::at(t0())), settings)
        .with_ids(Arc::new(SequenceIds::default()))
        .with_metrics(metrics.clone());
    (service, store, metrics)
}

#[tokio::test]
async fn lease_ids_and_metrics_come_through_the_ports() {
    let (service, store, metrics) = service(&["+14255550199"]);
    let answer = serde_json::to_value(service.dial(dial("c-1")).await).unwrap();
    assert_eq!(answer["callerId"], "+14255550199");
    let call: CallId = "c-1".parse().unwrap();
    let lease_id = store.with_state(|s| s.calls[&call].lease_id.clone());
    // SequenceIds: the queue's pick was 0, the plan's 1, the lease id the next number.
    assert_eq!(lease_id.unwrap(), LeaseId::from_bits(3));
    assert_eq!(metrics.values("PoolAvailable"), vec![1.0]);
    assert!(metrics.values("DegradedEmergencyAnswers").is_empty());
}

#[tokio::test]
async fn an_exhausted_pool_is_counted_and_answered_degraded() {
    let (service, _, metrics) = service(&["+14255550199"]);
    // Another agent holds its one number.
    let other = service
        .dial(dial_by("c-0", "a-9", "911", "+14255550109"))
        .await;
    assert!(matches!(
        other,
        OutboundAnswer::Emergency {
            degraded: false,
            ..
        }
    ));
    let answer = serde_json::to_value(service.dial(dial("c-1")).await).unwrap();
    assert_eq!(answer["degraded"], true);
    assert_eq!(answer["reason"], "pool_exhausted");
    assert_eq!(answer["callerId"], "+14255550100");
    assert_eq!(metrics.values("PoolExhausted"), vec![1.0]);
    assert_eq!(metrics.values("DegradedEmergencyAnswers"), vec![1.0]);
    let reasons: Vec<_> = metrics
        .all()
        .into_iter()
        .filter(|(n, _, _)| n == "DegradedEmergencyAnswers")
        .flat_map(|(_, _, d)| d)
        .collect();
    assert_eq!(
        reasons,
        vec![("Reason".to_string(), "pool_exhausted".to_string())]
    );
}

#[tokio::test]
async fn a_call_id_answers_only_its_own_agents_same_dial() {
    let (service, store, metrics) = service(&["+14255550199", "+14255550198"]);
    let first = serde_json::to_value(service.dial(dial("c-1")).await).unwrap();
    // What is stored; a warm container's refused write changes none of it.
    let stored = || store.with_state(|s| format!("{:?} {:?} {:?}", s.calls, s.pointers, s.numbers));
    let before = stored();
    // The same agent's retry (here with the outside-line prefix's separators): the stored answer.
    let retry = service
        .dial(dial_by("c-1", "a-42", "9-1-1", "+14255550100"))
        .await;
    assert_eq!(serde_json::to_value(retry).unwrap(), first);
    // Another agent, or another number, under the same live callId: their
    // own number, and a record of their own at the id's next position.
    for (agent, dialed, own, at) in [
        ("a-43", "911", "+14255550111", "c-1~2"),
        ("a-42", "933", "+14255550100", "c-1~3"),
    ] {
        let v =
            serde_json::to_value(service.dial(dial_by("c-1", agent, dialed, own)).await).unwrap();
        assert_eq!(v["action"], "emergency", "{agent} {dialed}");
        assert_eq!(v["callId"], "c-1", "the platform's id in the answer");
        assert_eq!(v["callerId"], own, "never another call's number");
        assert_eq!(v["degraded"], true);
        assert_eq!(v["reason"], "call_id_conflict");
        let id: CallId = at.parse().unwrap();
        let kept = store.with_state(|s| s.calls.get(&id).cloned()).expect(at);
        assert_eq!(
            (kept.agent_id.as_str(), kept.caller_id.as_str()),
            (agent, own)
        );
        // Its retry is answered from its own record; nothing more is written.
        let again = stored();
        let retry = service.dial(dial_by("c-1", agent, dialed, own)).await;
        assert_eq!(serde_json::to_value(retry).unwrap(), v);
        assert_eq!(stored(), again);
    }
    assert_eq!(metrics.values("CallIdConflicts"), vec![1.0, 1.0]);
    let call: CallId = "c-1".parse().unwrap();
    let kept = store.with_state(|s| s.calls[&call].clone());
    assert_eq!(kept.agent_id.as_str(), "a-42");
    assert_eq!(kept.caller_id.as_str(), first["callerId"]);
    assert!(before.len() < stored().len());
}

/// A desktop that restarts reuses `c-1` once the first call is over: a new
/// call, with its own record and a live callback window; the first call's
/// record is kept as it was.
#[tokio::test]
async fn a_call_id_reused_after_its_call_ended_is_a_new_call() {
    let (service, store, metrics) = service(&["+14255550199", "+14255550198"]);
    let first = serde_json::to_value(service.dial(dial("c-1")).await).unwrap();
    let c1: CallId = "c-1".parse().unwrap();
    store.with_state(|s| s.calls.get_mut(&c1).unwrap().ended_at = Some(t0()));
    let v = serde_json::to_value(service.dial(dial("c-1")).await).unwrap();
    assert_eq!(v["callId"], "c-1");
    assert_eq!(v["degraded"], false, "{v}");
    let second: CallId = "c-1~2".parse().unwrap();
    let kept = store
        .with_state(|s| s.calls.get(&second).cloned())
        .expect("c-1~2 recorded");
    assert_eq!(kept.caller_id.as_str(), v["callerId"]);
    assert!(kept.ended_at.is_none());
    assert!(
        store.with_state(|s| s.calls[&c1].ended_at.is_some()),
        "the first kept"
    );
    assert_eq!(first["callId"], "c-1");
    assert_eq!(metrics.values("ReusedCallIds"), vec![1.0]);
    // Retried: the second call's answer again.
    let retry = serde_json::to_value(service.dial(dial("c-1")).await).unwrap();
    assert_eq!(retry, v);
}

#[tokio::test]
async fn unreadable_items_are_read_as_missing_and_reported() {
    let unreadable = |store: &MemoryStore, kind: ItemKind, key: &str| {
        store.with_state(|s| s.unreadable.push((kind, key.to_string())))
    };
    // A profile edited by hand: the dial still gets its callback number.
    let (svc, store, metrics) = service(&["+14255550199"]);
    unreadable(&store, ItemKind::Profile, "a-42");
    let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
    assert_eq!(
        (v["degraded"].clone(), v["callerId"].clone()),
        (false.into(), "+14255550199".into())
    );
    assert_eq!(metrics.values("CorruptItem"), vec![1.0]);

    // An unreadable lease pointer: no number claimed, the call still recorded.
    let (svc, store, metrics) = service(&["+14255550199"]);
    unreadable(&store, ItemKind::LeasePointer, "a-42");
    let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
    assert_eq!(v["reason"], "lease_unreadable");
    assert_eq!(v["callerId"], "+14255550100");
    let call: CallId = "c-1".parse().unwrap();
    assert!(
        store.with_state(|s| s.calls.contains_key(&call)),
        "recorded"
    );
    assert_eq!(metrics.values("CorruptItem"), vec![1.0]);

    // An unreadable call record under this id: whose it is cannot be told;
    // the dial is recorded apart, with the agent's own number.
    let (svc, store, _) = service(&["+14255550199"]);
    unreadable(&store, ItemKind::Call, "c-1");
    store.with_state(|s| {
        let c = lifeline_domain::testing::call("c-1", "a-9", t0());
        s.calls.insert(c.call_id.clone(), c)
    });
    let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
    assert_eq!(v["reason"], "call_id_conflict");
    assert_eq!(v["callerId"], "+14255550100");
    let second: CallId = "c-1~2".parse().unwrap();
    assert!(store.with_state(|s| s.calls.contains_key(&second)));
}

/// An index that lags behind a burst still lists numbers already taken:
/// the dial pages past them instead of answering degraded.
#[tokio::test]
async fn a_lagging_index_full_of_taken_numbers_is_paged_past() {
    let pool: Vec<String> = (0..100).map(|i| format!("+1425555{i:04}")).collect();
    let pool: Vec<&str> = pool.iter().map(String::as_str).collect();
    let (svc, store, metrics) = service(&pool);
    store.freeze_index(Country::US);
    // Other dials took the first page's numbers since the index was read.
    let taken: Vec<E164> = pool[..CANDIDATES]
        .iter()
        .map(|n| n.parse().unwrap())
        .collect();
    store.with_state(|s| {
        for n in &taken {
            if let Some(state) = s.numbers.get_mut(n) {
                state.available_at = t0() + chrono::Duration::hours(5);
            }
        }
    });
    let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
    assert_eq!(v["degraded"], false, "{v}");
    let got: E164 = v["callerId"].as_str().unwrap().parse().unwrap();
    assert!(!taken.contains(&got), "a free number: {got}");
    assert!(metrics.values("PoolExhausted").is_empty());
}

/// A failed read or a failed transaction still leaves a record (and so
/// Do Not Disturb and the e-mail) when the table takes a write.
#[tokio::test]
async fn a_failed_read_or_transaction_still_records_the_call() {
    let call: CallId = "c-1".parse().unwrap();
    type Inject = fn(&MemoryStore);
    let faults: [(&str, Inject); 2] = [
        ("reads refused", |s| s.set_failing_reads(true)),
        ("the transaction refused", |s| s.fail_next_writes(1)),
    ];
    for (fault, inject) in faults {
        let (svc, store, _) = service(&["+14255550199"]);
        inject(&store);
        let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
        assert_eq!(
            (v["reason"].as_str(), v["callerId"].as_str()),
            (Some("store_unavailable"), Some("+14255550100")),
            "{fault}"
        );
        let recorded = store
            .with_state(|s| s.calls.get(&call).cloned())
            .expect(fault);
        assert_eq!(
            (recorded.caller_id.as_str(), recorded.leased_number),
            ("+14255550100", None),
            "{fault}: the record says what was presented"
        );
    }
}

/// A transaction that committed but answered a failure: the record found
/// by the follow-up write is the answer, so answer and record agree.
#[tokio::test]
async fn a_commit_whose_answer_was_lost_is_answered_from_the_record() {
    let (svc, store, _) = service(&["+14255550199"]);
    store.lose_next_answers(1);
    let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
    let call: CallId = "c-1".parse().unwrap();
    let recorded = store
        .with_state(|s| s.calls.get(&call).cloned())
        .expect("recorded");
    assert_eq!(v["callerId"], recorded.caller_id.as_str());
    assert_eq!(v["callerId"], "+14255550199");
    assert_eq!(v["degraded"], false);
}

/// What the store holds for `c-1`: the presented number and the lease's.
fn recorded(store: &MemoryStore) -> Option<(String, Option<String>, Option<String>)> {
    let call: CallId = "c-1".parse().unwrap();
    store.with_state(|s| {
        s.calls.get(&call).map(|c| {
            (
                c.caller_id.as_str().to_string(),
                c.leased_number.as_ref().map(|n| n.as_str().to_string()),
                c.reason.map(|r| r.as_str().to_string()),
            )
        })
    })
}

/// A country with no pool at all is told apart from an exhausted one.
#[tokio::test]
async fn a_country_without_a_pool_is_answered_no_pool() {
    let (service, _, metrics) = service(&[]);
    let answer = serde_json::to_value(service.dial(dial("c-1")).await).unwrap();
    assert_eq!(answer["degraded"], true);
    assert_eq!(answer["reason"], "no_pool");
    assert_eq!(answer["callerId"], "+14255550100");
    assert_eq!(metrics.values("NoPool"), vec![1.0]);
    assert!(metrics.values("PoolExhausted").is_empty());
}

/// A recorded call needs no outbox.
#[tokio::test]
async fn a_recorded_call_sends_nothing_to_the_outbox() {
    use crate::fakes::MemoryCallOutbox;
    let (svc, store, _) = service(&[]);
    let outbox = Arc::new(MemoryCallOutbox::default());
    let svc = svc.with_outbox(outbox.clone());
    let v = serde_json::to_value(svc.dial(dial("c-1")).await).unwrap();
    assert_eq!(v["reason"], "no_pool");
    assert!(recorded(&store).is_some());
    assert!(outbox.sent().is_empty());
}

/// An unsigned dial anyone could send is counted on its own: the degraded
/// alarm sees real dials only.
#[tokio::test]
async fn an_unauthenticated_fail_open_is_not_a_degraded_answer() {
    let (service, store, metrics) = service(&["+14255550199"]);
    let answer = service
        .fail_open(&dial("c-1"), DegradedReason::Unauthenticated)
        .expect("an emergency-looking dial fails open");
    assert!(matches!(
        answer,
        OutboundAnswer::Emergency { degraded: true, .. }
    ));
    assert_eq!(metrics.values("UnauthenticatedFailOpens"), vec![1.0]);
    assert!(metrics.values("DegradedEmergencyAnswers").is_empty());
    assert_eq!(store.writes(), 0, "nothing written");
    // A real degraded answer still counts.
    service.fail_open(&dial("c-2"), DegradedReason::StoreUnavailable);
    assert_eq!(metrics.values("DegradedEmergencyAnswers"), vec![1.0]);
}
