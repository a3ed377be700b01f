use super::*;
use crate::clock::FixedClock;
use crate::fakes::{MemoryScheduler, MemoryStore};
use chrono::{DateTime, Duration, Utc};
use lifeline_domain::events::VERSION;
use lifeline_domain::presence::PresenceState;
use lifeline_domain::types::AgentId;

fn t(min: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_496_400, 0).unwrap() + Duration::minutes(min)
}

struct Rig {
    store: Arc<MemoryStore>,
    scheduler: Arc<MemoryScheduler>,
    clock: FixedClock,
    checks: PresenceChecks<MemoryStore, MemoryScheduler>,
}

fn rig() -> Rig {
    let store = Arc::new(MemoryStore::new());
    let scheduler = Arc::new(MemoryScheduler::default());
    let clock = FixedClock::at(t(0));
    let checks = PresenceChecks::new(
        store.clone(),
        scheduler.clone(),
        Arc::new(clock.clone()),
        PresencePolicy::default(),
    );
    Rig {
        store,
        scheduler,
        clock,
        checks,
    }
}

fn a42() -> AgentId {
    "a-42".parse().unwrap()
}

fn started(call: &str, min: i64, lease: Option<&str>) -> CallEvent {
    CallEvent {
        version: VERSION,
        call_id: call.parse().unwrap(),
        agent_id: a42(),
        at: t(min),
        lease_id: lease.map(|l| l.parse().unwrap()),
    }
}

impl Rig {
    /// a-42's stored presence: these calls started, none ended.
    fn store_calls(&self, calls: &[(&str, i64)]) {
        let mut s = PresenceState::default();
        for (call, min) in calls {
            s.start(&call.parse().unwrap(), t(*min));
        }
        self.store.with_state(|st| st.presence.insert(a42(), s));
    }

    fn active(&self) -> Vec<String> {
        self.store.with_state(|s| {
            s.presence
                .get(&a42())
                .map(|p| p.active.keys().map(|c| c.to_string()).collect())
                .unwrap_or_default()
        })
    }

    fn at(&self, min: i64) {
        self.clock.set(t(min));
    }
}

#[tokio::test]
async fn only_a_call_without_a_lease_schedules_the_agents_check() {
    let r = rig();
    r.store_calls(&[("c-1", 0)]);
    let leased = r.checks.on_start(&started("c-1", 0, Some("l-1"))).await;
    assert_eq!(leased.unwrap(), None, "its lease's expiry covers it");
    assert_eq!(r.scheduler.calls(), 0);
    let s = r
        .checks
        .on_start(&started("c-1", 0, None))
        .await
        .unwrap()
        .expect("scheduled");
    assert_eq!((s.name.as_str(), s.at), ("presence-a-a-42", t(241)));
    assert_eq!(r.scheduler.all(), vec![s.clone()]);
    // A redelivered start: the same schedule, written again (an upsert).
    let again = r.checks.on_start(&started("c-1", 0, None)).await.unwrap();
    assert_eq!(again, Some(s));
    assert_eq!(r.scheduler.all().len(), 1);
    assert_eq!(r.store.writes(), 0, "a start writes no presence");
}

#[tokio::test]
async fn a_firing_lifts_the_stuck_call_and_checks_again_for_a_later_one() {
    let r = rig();
    r.store_calls(&[("c-1", 0), ("c-2", 30)]);
    let first = r.checks.on_start(&started("c-2", 30, None)).await.unwrap();
    let first = first.expect("scheduled");
    assert_eq!(first.at, t(241), "c-1's limit comes first");
    r.at(241);
    let check = first.input.presence_check().expect("a check").clone();
    let fired = r.checks.fire(&check).await.unwrap();
    assert!(fired.lifted);
    assert_eq!(r.active(), ["c-2"], "c-1 lifted in storage, c-2 still on");
    let next = fired.next.expect("c-2 still holds the override");
    assert_eq!(
        (next.name.as_str(), next.at),
        ("presence-again-a-a-42", t(271))
    );
    assert_eq!(r.scheduler.all().len(), 2, "under the other name");
    // A duplicate of the first firing: nothing more lifted, the same next.
    let dup = r.checks.fire(&check).await.unwrap();
    assert_eq!(
        dup,
        Checked {
            lifted: false,
            next: Some(next.clone())
        }
    );
    r.at(271);
    let last = next.input.presence_check().expect("a check").clone();
    let fired = r.checks.fire(&last).await.unwrap();
    assert_eq!(
        fired,
        Checked {
            lifted: true,
            next: None
        }
    );
    assert!(r.active().is_empty(), "no override left in storage");
    // A late duplicate changes nothing.
    let writes = r.store.writes();
    r.at(900);
    let late = r.checks.fire(&last).await.unwrap();
    assert_eq!((late.lifted, late.next), (false, None));
    assert_eq!(r.store.writes(), writes);
}

#[tokio::test]
async fn an_early_firing_lifts_nothing_and_checks_again_at_the_limit() {
    let r = rig();
    r.store_calls(&[("c-1", 0)]);
    let s = r.checks.on_start(&started("c-1", 0, None)).await.unwrap();
    let check = s.expect("scheduled").input.presence_check().cloned();
    r.at(200);
    let fired = r.checks.fire(&check.expect("a check")).await.unwrap();
    assert!(!fired.lifted);
    assert_eq!(fired.next.map(|n| n.at), Some(t(241)));
    assert_eq!(r.active(), ["c-1"]);
}

#[tokio::test]
async fn failures_are_errors_to_retry_and_a_retry_completes() {
    let r = rig();
    r.store_calls(&[("c-1", 0), ("c-2", 30)]);
    r.scheduler.set_failing(true);
    let e = r.checks.on_start(&started("c-1", 0, None)).await;
    assert!(matches!(e, Err(CheckError::Schedule(_))), "{e:?}");
    r.scheduler.set_failing(false);
    let check = r.checks.on_start(&started("c-1", 0, None)).await.unwrap();
    let check = check.expect("scheduled").input.presence_check().cloned();
    let check = check.expect("a check");
    r.at(241);
    r.store.set_failing_reads(true);
    let e = r.checks.fire(&check).await;
    assert!(matches!(e, Err(CheckError::Lift(_))), "{e:?}");
    r.store.set_failing_reads(false);
    r.scheduler.set_failing(true);
    let e = r.checks.fire(&check).await;
    assert!(matches!(e, Err(CheckError::Schedule(_))), "{e:?}");
    assert_eq!(r.active(), ["c-2"], "lifted before the scheduling failed");
    r.scheduler.set_failing(false);
    let retried = r.checks.fire(&check).await.unwrap();
    assert_eq!(
        retried.next.map(|n| n.at),
        Some(t(271)),
        "the retry schedules"
    );
}
