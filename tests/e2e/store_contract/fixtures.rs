//! The contracts' data, built through the ports only: agents, a pool,
//! calls and the lease writes a dial or an end makes. Times are whole
//! seconds (DynamoDB keeps lease times as epoch seconds) on a fixed day
//! ahead of any clock, so no item's TTL is ever due.

use chrono::{DateTime, Duration, Utc};
use lifeline_app::ports::LeaseWrite;
use lifeline_domain::call::{AgentProfile, EmergencyCall};
use lifeline_domain::expiry::LeaseExpiry;
use lifeline_domain::lease::{Lease, LeasePolicy, NewLease};
use lifeline_domain::numbers::Country;
use lifeline_domain::recipient::Recipients;
use lifeline_domain::route::NumberType;
use lifeline_domain::types::{AgentId, CallId, E164};
use std::fmt::Debug;
use std::str::FromStr;

use super::ContractStore;

// Every port a contract calls, in scope wherever the fixtures are.
pub use lifeline_app::ports::{
    AdminStore as _, CallbackStore as _, DialStore as _, EndStore as _, LocationStore as _,
    NotifyStore as _, OutboxStore as _, PresenceStore as _, ReleaseStore as _,
};

/// The US pool the contracts seed.
pub const N1: &str = "+14255550190";
pub const N2: &str = "+14255550191";
pub const N3: &str = "+14255550192";
/// A GB pool number.
pub const GB1: &str = "+442079460190";
/// An agent's own number.
pub const OWN: &str = "+14255550100";

pub const A42: &str = "a-42";
pub const A43: &str = "a-43";

/// `min` minutes after the contracts' fixed instant.
pub fn t(min: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_893_456_000, 0).expect("2030-01-01") + Duration::minutes(min)
}

/// A call record's TTL: far past every time a contract uses.
pub fn ttl() -> DateTime<Utc> {
    t(60 * 24 * 365)
}

pub fn id<T: FromStr>(s: &str) -> T
where
    T::Err: Debug,
{
    s.parse().expect("a valid id or number")
}

pub fn e164(s: &str) -> E164 {
    id(s)
}

/// The pool a contract's number belongs to.
pub fn country_of(number: &str) -> Country {
    if number.starts_with("+44") {
        Country::GB
    } else {
        Country::US
    }
}

pub fn policy() -> LeasePolicy {
    LeasePolicy::default()
}

pub fn agent(agent_id: &str) -> AgentProfile {
    AgentProfile {
        id: id(agent_id),
        name: format!("Agent {agent_id}"),
        email: "agent@example.com".parse().ok(),
        country: Some(Country::US),
        other_country: None,
        source_number: e164(OWN),
        number_type: NumberType::CallingPlan,
        recipients: Recipients::parse("sup@example.com; security@example.com").expect("recipients"),
        fallback: vec![],
        outbound_profile: Some("OVP-emergency".into()),
        platform: Default::default(),
    }
}

/// A 911 call from the US presenting the agent's own number, degraded
/// (no lease).
pub fn own_number_call(call_id: &str, agent_id: &str, at: DateTime<Utc>) -> EmergencyCall {
    EmergencyCall {
        degraded: true,
        reason: Some(lifeline_domain::degraded::DegradedReason::PoolExhausted),
        ..lifeline_domain::testing::call(call_id, agent_id, at)
    }
}

/// The call a dial records with `lease`: it presents the leased number.
pub fn leased_call(call_id: &str, lease: &Lease, at: DateTime<Utc>) -> EmergencyCall {
    EmergencyCall {
        caller_id: lease.number.clone(),
        leased_number: Some(lease.number.clone()),
        lease_id: Some(lease.lease_id.clone()),
        callback_expires_at: Some(lease.expires_at),
        degraded: false,
        reason: None,
        ..own_number_call(call_id, lease.agent.as_str(), at)
    }
}

/// What a dial writes: its call, and the lease change with it.
#[derive(Debug, Clone)]
pub struct DialWrite {
    pub call: EmergencyCall,
    pub lease: Lease,
    pub write: LeaseWrite,
}

/// A first dial's claim of `number` for `agent_id` at `at`, over the
/// agent's pointer as read (`pointer_version`; none: no pointer).
pub fn claim(
    call_id: &str,
    agent_id: &str,
    number: &str,
    at: DateTime<Utc>,
    pointer_version: Option<u64>,
) -> DialWrite {
    let lease = policy().start(
        NewLease {
            id: id(&format!("l-{call_id}")),
            number: e164(number),
            country: country_of(number),
            agent: id(agent_id),
            call: id(call_id),
            fallback: vec![],
        },
        at,
    );
    DialWrite {
        call: leased_call(call_id, &lease, at),
        write: LeaseWrite::Claim {
            lease: lease.clone(),
            available_at: policy().available_at(&lease),
            now: at,
            pointer_version,
        },
        lease,
    }
}

/// Another dial by the holder of `held` while it is live: the lease
/// extended, over the version read.
pub fn extend(held: &Lease, call_id: &str, at: DateTime<Utc>) -> DialWrite {
    let lease = policy().on_dial(held, id(call_id), at);
    DialWrite {
        call: leased_call(call_id, &lease, at),
        write: update(&lease, held.version),
        lease,
    }
}

/// The end of `call_id` on `held` at `at`: the lease after it, and its write.
pub fn end_of(held: &Lease, call_id: &str, at: DateTime<Utc>) -> (Lease, LeaseWrite) {
    let lease = policy()
        .on_end(held, &id(call_id), at)
        .expect("the lease carries the call");
    let write = update(&lease, held.version);
    (lease, write)
}

fn update(lease: &Lease, expected_version: u64) -> LeaseWrite {
    LeaseWrite::Update {
        lease: lease.clone(),
        available_at: policy().available_at(lease),
        expected_version,
    }
}

/// The expiry a schedule fires for `lease`.
pub fn expiry(lease: &Lease) -> LeaseExpiry {
    LeaseExpiry {
        lease_id: lease.lease_id.to_string(),
        number: lease.number.to_string(),
        version: lease.version,
        agent_id: None,
    }
}

/// Agents a-42 and a-43, and `numbers` in their country's pool, available
/// from an hour before `t(0)`.
pub async fn seeded<S: ContractStore>(s: &S, numbers: &[&str]) {
    for a in [A42, A43] {
        s.put_agent(&agent(a)).await.expect("agent");
    }
    for n in numbers {
        s.add_numbers(country_of(n), &[e164(n)], t(-60))
            .await
            .expect("pool");
    }
}

/// Ends `call_id` on `held` at `at`, as the end webhook does, expecting it
/// to be taken; the lease after the end.
pub async fn ended<S: ContractStore>(
    s: &S,
    held: &Lease,
    call_id: &str,
    at: DateTime<Utc>,
) -> Lease {
    let (ended, write) = end_of(held, call_id, at);
    s.record_end(&id(call_id), at, ttl(), Some(&write))
        .await
        .expect("the end is recorded");
    ended
}

/// Records `dial` as a dial does, expecting it to be taken.
pub async fn dialed<S: ContractStore>(s: &S, dial: &DialWrite) {
    s.record_emergency(&dial.call, ttl(), Some(&dial.write))
        .await
        .expect("the dial is recorded");
}

/// The call's record as a retried webhook reads it.
pub async fn record<S: ContractStore>(s: &S, call_id: &str) -> Option<EmergencyCall> {
    s.end_context(&id::<CallId>(call_id), &id::<AgentId>(A42))
        .await
        .expect("read")
        .0
}

/// The agent's lease pointer.
pub async fn pointer<S: ContractStore>(s: &S, agent_id: &str) -> Option<Lease> {
    s.end_context(&id::<CallId>("c-none"), &id::<AgentId>(agent_id))
        .await
        .expect("read")
        .1
}

/// The lease on a pool number.
pub async fn lease_on<S: ContractStore>(s: &S, number: &str) -> Option<Lease> {
    s.lease_for_number(&e164(number)).await.expect("read")
}

/// Each pool number with its state (`free`, `leased`, `quarantined`) at `now`.
pub async fn pool_states<S: ContractStore>(s: &S, now: DateTime<Utc>) -> Vec<(String, String)> {
    s.list_pool(None, now)
        .await
        .expect("pool")
        .into_iter()
        .map(|n| (n.number, n.state.to_string()))
        .collect()
}

/// `(number, state)` pairs as [`pool_states`] lists them.
pub fn states(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .collect()
}
