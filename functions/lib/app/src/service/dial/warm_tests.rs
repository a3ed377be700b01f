//! The warm path through the service: request counts against the in-memory
//! store (the e2e tests count them against DynamoDB Local), and what a
//! refusal makes of the dial.

use super::*;
use crate::clock::FixedClock;
use crate::fakes::{MemoryStore, RecordedMetrics, SequenceIds};
use crate::ports::ItemKind;
use lifeline_domain::call::AgentProfile;
use lifeline_domain::lease::Lease;
use lifeline_domain::numbers::Country;
use lifeline_domain::recipient::Recipients;
use lifeline_domain::route::{NumberType, TenantSettings};
use lifeline_domain::testing;
use lifeline_domain::types::{AgentId, CallId};
use std::collections::HashSet;
use std::time::Duration;

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_496_400, 0).unwrap()
}

fn profile(id: &str, own: &str) -> AgentProfile {
    AgentProfile {
        name: id.into(),
        email: None,
        source_number: own.parse().unwrap(),
        number_type: NumberType::DirectRouting,
        recipients: Recipients::default(),
        outbound_profile: None,
        ..testing::agent(id)
    }
}

fn dial(call: &str, agent: &str) -> OutboundDial {
    super::tests::dial_by(call, agent, "911", "+14255550100")
}

struct Rig {
    svc: DialService<MemoryStore>,
    store: Arc<MemoryStore>,
    clock: FixedClock,
}

impl Rig {
    /// Agents `a-1` … `a-n` and a pool of `numbers` US numbers.
    fn new(agents: usize, numbers: usize, cache_seconds: &str) -> Self {
        let store = Arc::new(MemoryStore::new());
        for i in 1..=agents {
            store.add_agent(profile(&format!("a-{i}"), &format!("+1425550{i:04}")));
        }
        let pool: Vec<String> = (0..numbers).map(|i| format!("+1206555{i:04}")).collect();
        let pool: Vec<&str> = pool.iter().map(String::as_str).collect();
        store.add_numbers(Country::US, &pool);
        let settings = Settings::from_lookup(|k| {
            (k == "LIFELINE_DIAL_CACHE_SECONDS").then(|| cache_seconds.to_string())
        })
        .unwrap();
        let clock = FixedClock::at(t0());
        let svc = DialService::new(store.clone(), Arc::new(clock.clone()), Arc::new(settings))
            .with_ids(Arc::new(SequenceIds::default()))
            .with_metrics(Arc::new(RecordedMetrics::default()));
        Rig { svc, store, clock }
    }

    /// Every agent's profile, as the local runner's start reads them.
    fn preload(&self) {
        let profiles = self
            .store
            .with_state(|s| s.agents.values().cloned().collect());
        self.svc.preload(profiles, TenantSettings::default());
    }

    /// (reads, writes) that `f` made.
    async fn cost<F: std::future::Future<Output = OutboundAnswer>>(
        &self,
        f: F,
    ) -> ((usize, usize), serde_json::Value) {
        let (r, w) = (self.store.reads(), self.store.writes());
        let answer = serde_json::to_value(f.await).unwrap();
        ((self.store.reads() - r, self.store.writes() - w), answer)
    }

    fn lease_of(&self, agent: &str) -> Option<Lease> {
        let id: AgentId = agent.parse().unwrap();
        self.store.with_state(|s| s.pointers.get(&id).cloned())
    }
}

#[tokio::test]
async fn a_cold_dial_reads_then_writes_and_leaves_the_container_warm() {
    let rig = Rig::new(3, 10, "60");
    let (cost, first) = rig.cost(rig.svc.dial(dial("c-1", "a-1"))).await;
    assert_eq!(cost, (2, 1), "context and lookup, then the write");
    assert_eq!(first["degraded"], false);
    // The lookup's other numbers are queued; the agent's profile is known.
    assert_eq!(rig.svc.queued_candidates(Country::US), 9);
    let (cost, again) = rig.cost(rig.svc.dial(dial("c-1", "a-1"))).await;
    assert_eq!(
        cost,
        (0, 1),
        "a repeated callId: the refusal returns the call"
    );
    assert_eq!(again, first);
}

#[tokio::test]
async fn a_warm_dial_is_one_write_and_no_read() {
    let rig = Rig::new(3, 10, "60");
    rig.preload();
    rig.svc.dial(dial("c-1", "a-1")).await; // the lookup seeds the queue
    let (cost, v) = rig.cost(rig.svc.dial(dial("c-2", "a-2"))).await;
    assert_eq!(cost, (0, 1));
    assert_eq!(v["degraded"], false, "{v}");
    let lease = rig.lease_of("a-2").expect("leased");
    assert_eq!(v["callerId"], lease.number.as_str());
    assert_ne!(rig.lease_of("a-1").unwrap().number, lease.number);
    let call: CallId = "c-2".parse().unwrap();
    let recorded = rig.store.with_state(|s| s.calls[&call].clone());
    assert_eq!(recorded.leased_number, Some(lease.number));
}

/// A dial that brings no location may go with the agent's registered one,
/// which is read with the context, never from the container's memory: one
/// read, one write, even on a warm container.
#[tokio::test]
async fn a_dial_without_a_location_reads_the_registered_one_first() {
    let rig = Rig::new(3, 10, "60");
    rig.preload();
    rig.svc.dial(dial("c-1", "a-1")).await; // the lookup seeds the queue
    let mut no_location = dial("c-2", "a-2");
    no_location.location = None;
    let (cost, v) = rig.cost(rig.svc.dial(no_location)).await;
    assert_eq!(
        cost,
        (1, 1),
        "the context (with the registration), then the write"
    );
    assert_eq!(
        (v["degraded"].as_bool(), v["locationSource"].as_str()),
        (Some(false), Some("profile_country"))
    );
}

#[tokio::test]
async fn a_live_lease_is_extended_in_two_writes_without_a_read() {
    let rig = Rig::new(1, 10, "60");
    let first = serde_json::to_value(rig.svc.dial(dial("c-1", "a-1")).await).unwrap();
    let queued = rig.svc.queued_candidates(Country::US);
    let (cost, v) = rig.cost(rig.svc.dial(dial("c-2", "a-1"))).await;
    assert_eq!(
        cost,
        (0, 2),
        "the refused claim returns the lease; the extension"
    );
    assert_eq!(v["callerId"], first["callerId"], "the same number");
    assert_eq!(rig.lease_of("a-1").unwrap().active_calls.len(), 2);
    assert_eq!(
        rig.svc.queued_candidates(Country::US),
        queued,
        "the number taken for the refused claim is given back"
    );
}

#[tokio::test]
async fn a_returning_agent_gets_their_number_back_in_two_writes() {
    let rig = Rig::new(1, 10, "60");
    let first = serde_json::to_value(rig.svc.dial(dial("c-1", "a-1")).await).unwrap();
    // The lease ended long ago; the pointer is kept for the agent's return.
    rig.store.with_state(|s| {
        let id: AgentId = "a-1".parse().unwrap();
        let l = s.pointers.get_mut(&id).unwrap();
        l.active_calls.clear();
        l.expires_at = t0() - chrono::Duration::hours(3);
        l.hold_until = t0() - chrono::Duration::hours(2);
        let number = l.number.clone();
        let n = s.numbers.get_mut(&number).unwrap();
        n.available_at = t0() - chrono::Duration::hours(1);
        n.lease = Some(l.clone());
    });
    let (cost, v) = rig.cost(rig.svc.dial(dial("c-2", "a-1"))).await;
    assert_eq!(cost, (0, 2));
    assert_eq!(v["callerId"], first["callerId"], "{v}");
}

#[tokio::test]
async fn concurrent_warm_dials_in_one_container_never_race_for_a_number() {
    let rig = Rig::new(40, 60, "60");
    rig.preload();
    rig.svc.dial(dial("c-0", "a-40")).await;
    let writes = rig.store.writes();
    let dials = (1..=39).map(|i| {
        let svc = rig.svc.clone();
        tokio::spawn(async move { svc.dial(dial(&format!("c-{i}"), &format!("a-{i}"))).await })
    });
    let mut numbers = HashSet::new();
    for d in dials {
        let v = serde_json::to_value(d.await.unwrap()).unwrap();
        assert_eq!(v["degraded"], false, "{v}");
        numbers.insert(v["callerId"].as_str().unwrap().to_string());
    }
    assert_eq!(numbers.len(), 39, "distinct");
    assert_eq!(
        rig.store.writes() - writes,
        39,
        "one write each: no number lost to a race"
    );
}

#[tokio::test]
async fn an_admin_change_is_read_within_the_staleness_bound() {
    let rig = Rig::new(2, 10, "60");
    rig.svc.dial(dial("c-1", "a-1")).await;
    // The admin moves a-1 to a calling-plan number: the route changes.
    let mut changed = profile("a-1", "+14255500001");
    changed.number_type = NumberType::CallingPlan;
    rig.store.add_agent(changed);
    rig.clock.advance(chrono::Duration::seconds(59));
    let (cost, _) = rig.cost(rig.svc.dial(dial("c-2", "a-1"))).await;
    assert_eq!(cost.0, 0, "within the bound: the container's copy");
    rig.clock.advance(chrono::Duration::seconds(1));
    let (cost, v) = rig.cost(rig.svc.dial(dial("c-3", "a-1"))).await;
    assert!(cost.0 >= 1, "past it: read again");
    assert_eq!(v["route"], "direct_offer", "{v}");
}

#[tokio::test]
async fn with_the_cache_off_every_dial_reads_first() {
    let rig = Rig::new(2, 10, "0");
    rig.preload();
    rig.svc.dial(dial("c-1", "a-1")).await;
    let (cost, _) = rig.cost(rig.svc.dial(dial("c-2", "a-2"))).await;
    assert_eq!(cost, (2, 1));
}

#[tokio::test]
async fn a_number_another_container_took_is_stepped_past_from_the_queue() {
    let rig = Rig::new(2, 10, "60");
    rig.preload();
    rig.svc.dial(dial("c-1", "a-1")).await;
    // Another container leased every queued number but one.
    let queued = rig.svc.queued_candidates(Country::US);
    rig.store.with_state(|s| {
        let mut taken = 0;
        for n in s.numbers.values_mut() {
            if n.available_at <= t0() && taken + 1 < queued {
                n.available_at = t0() + chrono::Duration::hours(2);
                taken += 1;
            }
        }
    });
    let (cost, v) = rig.cost(rig.svc.dial(dial("c-2", "a-2"))).await;
    assert_eq!(v["degraded"], false, "{v}");
    assert_eq!(cost.0, 0, "no read: the queue had the free one");
    assert!(cost.1 >= 1);
}

#[tokio::test]
async fn a_new_agent_in_a_container_with_candidates_reads_once_and_writes_once() {
    let rig = Rig::new(3, 10, "60");
    rig.svc.dial(dial("c-1", "a-1")).await;
    let (cost, v) = rig.cost(rig.svc.dial(dial("c-2", "a-2"))).await;
    assert_eq!(cost, (1, 1), "the context, then the write: no lookup");
    assert_eq!(v["degraded"], false, "{v}");
}

#[tokio::test]
async fn a_warmed_up_container_makes_even_its_first_dial_one_write() {
    let rig = Rig::new(2, 10, "60");
    let profiles = rig
        .store
        .with_state(|s| s.agents.values().cloned().collect());
    rig.svc
        .warm_up(profiles, TenantSettings::default(), &[Country::US])
        .await;
    assert_eq!(rig.svc.queued_candidates(Country::US), 10);
    let (cost, v) = rig.cost(rig.svc.dial(dial("c-1", "a-1"))).await;
    assert_eq!(cost, (0, 1));
    assert_eq!(v["degraded"], false, "{v}");
}

/// A burst into a cold container: the first dial reads the listing for all
/// of them; the others wait for its page rather than each reading the same
/// page (50 lookups at once are what slowed DynamoDB Local past the budget).
#[tokio::test(start_paused = true)]
async fn a_cold_burst_reads_the_listing_once() {
    let rig = Rig::new(20, 100, "60");
    rig.store.delay_reads(Duration::from_millis(20));
    let lookups_before = rig.store.reads();
    let dials: Vec<_> = (1..=20)
        .map(|i| {
            let svc = rig.svc.clone();
            tokio::spawn(async move { svc.dial(dial(&format!("c-{i}"), &format!("a-{i}"))).await })
        })
        .collect();
    let mut numbers = HashSet::new();
    for d in dials {
        let v = serde_json::to_value(d.await.unwrap()).unwrap();
        assert_eq!(v["degraded"], false, "{v}");
        numbers.insert(v["callerId"].as_str().unwrap().to_string());
    }
    assert_eq!(numbers.len(), 20, "distinct numbers");
    // 20 context reads, one lookup, at most one refill behind it.
    let reads = rig.store.reads() - lookups_before;
    assert!((21..=22).contains(&reads), "{reads} reads");
}

/// A warm dial whose write finds the agent's lease pointer unreadable (a
/// hand edit): answered `lease_unreadable` at once, as the cold path does,
/// not after a string of refused writes.
#[tokio::test]
async fn an_unreadable_lease_pointer_is_answered_at_once_on_the_warm_path() {
    let rig = Rig::new(3, 10, "60");
    rig.preload();
    rig.svc.dial(dial("c-1", "a-1")).await; // the lookup seeds the queue
    rig.svc.dial(dial("c-2", "a-2")).await; // a-2 holds a lease
    rig.store
        .with_state(|s| s.unreadable.push((ItemKind::LeasePointer, "a-2".into())));
    let fresh = DialService::new(
        rig.store.clone(),
        Arc::new(rig.clock.clone()),
        rig.svc.settings.clone(),
    );
    let profiles = rig
        .store
        .with_state(|s| s.agents.values().cloned().collect());
    fresh.preload(profiles, TenantSettings::default());
    fresh.dial(dial("c-0", "a-3")).await; // seeds this container's queue
    let (r, w) = (rig.store.reads(), rig.store.writes());
    let v = serde_json::to_value(fresh.dial(dial("c-3", "a-2")).await).unwrap();
    let cost = (rig.store.reads() - r, rig.store.writes() - w);
    assert_eq!(v["reason"], "lease_unreadable", "{v}");
    assert_eq!(v["callerId"], "+14255550100");
    assert!(cost.1 <= 2, "one refused write and the record: {cost:?}");
}
