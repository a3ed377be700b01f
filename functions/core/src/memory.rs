//! In-memory implementations of the ports with the same conditional semantics
//! as the DynamoDB adapter, for handler tests and property tests. They count
//! calls per operation and can be told to fail, like an unreachable store.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::domain::call::{AgentProfile, EmergencyCall};
use crate::domain::lease::Lease;
use crate::domain::numbers::Country;
use crate::domain::presence::{PresenceState, PresenceView};
use crate::domain::route::TenantSettings;
use crate::domain::types::{AgentId, CallId, E164};
use crate::ports::{
    CallbackStore, DialContext, DialStore, EndError, EndStore, LeaseWrite, PresenceStore,
    RecordError, SaveError, StoreError,
};

#[derive(Debug, Clone)]
pub struct NumberState {
    pub country: Country,
    pub available_at: DateTime<Utc>,
    pub lease: Option<Lease>,
}

#[derive(Debug, Default)]
pub struct State {
    pub calls: HashMap<CallId, EmergencyCall>,
    pub agents: HashMap<AgentId, AgentProfile>,
    pub pointers: HashMap<AgentId, Lease>,
    pub numbers: BTreeMap<E164, NumberState>,
    pub tenant: TenantSettings,
    pub presence: HashMap<AgentId, PresenceState>,
    /// Notification outcome per call (`sent`, `failed`, `no_recipients`).
    pub notifications: HashMap<CallId, String>,
    pub template: Option<crate::notify::NotificationTemplate>,
}

#[derive(Debug, Default)]
pub struct MemoryStore {
    pub state: Mutex<State>,
    fail: AtomicBool,
    fail_lookups: AtomicBool,
    reads: AtomicUsize,
    writes: AtomicUsize,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn add_agent(&self, a: AgentProfile) {
        self.with_state(|s| s.agents.insert(a.id.clone(), a));
    }

    pub fn add_numbers(&self, country: Country, numbers: &[&str]) {
        self.with_state(|s| {
            for n in numbers {
                if let Ok(n) = n.parse::<E164>() {
                    s.numbers.insert(
                        n,
                        NumberState {
                            country,
                            available_at: DateTime::<Utc>::MIN_UTC,
                            lease: None,
                        },
                    );
                }
            }
        });
    }

    /// Every later call fails as an unreachable store would.
    pub fn set_failing(&self, fail: bool) {
        self.fail.store(fail, Ordering::SeqCst);
    }

    /// Only the available-number lookups fail.
    pub fn set_failing_lookups(&self, fail: bool) {
        self.fail_lookups.store(fail, Ordering::SeqCst);
    }

    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }

    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    fn check(&self, write: bool) -> Result<(), StoreError> {
        if write {
            self.writes.fetch_add(1, Ordering::SeqCst);
        } else {
            self.reads.fetch_add(1, Ordering::SeqCst);
        }
        if self.fail.load(Ordering::SeqCst) {
            Err(StoreError::Unavailable("injected fault".into()))
        } else {
            Ok(())
        }
    }
}

/// Checks a lease write's conditions, as the adapter's condition expressions do.
fn lease_ok(s: &State, w: &LeaseWrite) -> Result<(), RecordError> {
    match w {
        LeaseWrite::Claim {
            lease,
            now,
            pointer_version,
            ..
        } => {
            let number = s
                .numbers
                .get(&lease.number)
                .ok_or(RecordError::NumberTaken)?;
            let own_past_hold = number
                .lease
                .as_ref()
                .is_some_and(|l| l.agent == lease.agent && l.hold_until <= *now);
            if number.country != lease.country || !(number.available_at <= *now || own_past_hold) {
                return Err(RecordError::NumberTaken);
            }
            let pointer = s.pointers.get(&lease.agent).map(|l| l.version);
            if pointer != *pointer_version {
                return Err(RecordError::LeaseChanged);
            }
            Ok(())
        }
        LeaseWrite::Update {
            lease,
            expected_version,
            ..
        } => {
            let matches = |l: &Lease| {
                l.agent == lease.agent
                    && l.lease_id == lease.lease_id
                    && l.version == *expected_version
            };
            let number_ok = s
                .numbers
                .get(&lease.number)
                .and_then(|n| n.lease.as_ref())
                .is_some_and(matches);
            let pointer_ok = s.pointers.get(&lease.agent).is_some_and(matches);
            if number_ok && pointer_ok {
                Ok(())
            } else {
                Err(RecordError::LeaseChanged)
            }
        }
    }
}

fn apply_lease(s: &mut State, w: &LeaseWrite) {
    let (lease, available_at) = match w {
        LeaseWrite::Claim {
            lease,
            available_at,
            ..
        }
        | LeaseWrite::Update {
            lease,
            available_at,
            ..
        } => (lease, available_at),
    };
    if let Some(n) = s.numbers.get_mut(&lease.number) {
        n.available_at = *available_at;
        n.lease = Some(lease.clone());
    }
    s.pointers.insert(lease.agent.clone(), lease.clone());
}

#[async_trait]
impl DialStore for MemoryStore {
    async fn dial_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<DialContext, StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| DialContext {
            call: s.calls.get(call).cloned(),
            agent: s.agents.get(agent).cloned(),
            lease: s.pointers.get(agent).cloned(),
            tenant: s.tenant,
        }))
    }

    async fn available_numbers(
        &self,
        country: Country,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<E164>, StoreError> {
        self.check(false)?;
        if self.fail_lookups.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("injected index fault".into()));
        }
        Ok(self.with_state(|s| {
            let mut v: Vec<(&DateTime<Utc>, &E164)> = s
                .numbers
                .iter()
                .filter(|(_, n)| n.country == country && n.available_at <= now)
                .map(|(k, n)| (&n.available_at, k))
                .collect();
            v.sort();
            v.into_iter().take(limit).map(|(_, k)| k.clone()).collect()
        }))
    }

    async fn record_emergency(
        &self,
        call: &EmergencyCall,
        _ttl: DateTime<Utc>,
        lease: Option<&LeaseWrite>,
    ) -> Result<(), RecordError> {
        self.check(true)?;
        self.with_state(|s| {
            if let Some(existing) = s.calls.get(&call.call_id) {
                return Err(RecordError::CallExists(Some(Box::new(existing.clone()))));
            }
            if let Some(w) = lease {
                lease_ok(s, w)?;
                apply_lease(s, w);
            }
            s.calls.insert(call.call_id.clone(), call.clone());
            Ok(())
        })
    }
}

#[async_trait]
impl EndStore for MemoryStore {
    async fn end_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<(Option<EmergencyCall>, Option<Lease>), StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| (s.calls.get(call).cloned(), s.pointers.get(agent).cloned())))
    }

    async fn record_end(
        &self,
        call: &CallId,
        ended_at: DateTime<Utc>,
        _ttl: DateTime<Utc>,
        lease: Option<&LeaseWrite>,
    ) -> Result<(), EndError> {
        self.check(true)?;
        self.with_state(|s| {
            match s.calls.get(call) {
                Some(c) if c.ended_at.is_none() => {}
                _ => return Err(EndError::AlreadyEnded),
            }
            if let Some(w) = lease {
                lease_ok(s, w).map_err(|_| EndError::LeaseChanged)?;
                apply_lease(s, w);
            }
            if let Some(c) = s.calls.get_mut(call) {
                c.ended_at = Some(ended_at);
            }
            Ok(())
        })
    }
}

#[async_trait]
impl CallbackStore for MemoryStore {
    async fn lease_for_number(&self, number: &E164) -> Result<Option<Lease>, StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| s.numbers.get(number).and_then(|n| n.lease.clone())))
    }
}

#[async_trait]
impl PresenceStore for MemoryStore {
    async fn agent_presence(
        &self,
        agent: &AgentId,
    ) -> Result<(bool, Option<PresenceState>), StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| (s.agents.contains_key(agent), s.presence.get(agent).cloned())))
    }

    async fn save_presence(
        &self,
        agent: &AgentId,
        state: &PresenceState,
        _view: PresenceView,
        _now: DateTime<Utc>,
    ) -> Result<(), SaveError> {
        self.check(true)?;
        self.with_state(|s| {
            let stored = s.presence.get(agent).map_or(0, |p| p.version);
            if stored != state.version {
                return Err(SaveError::Conflict);
            }
            let mut next = state.clone();
            next.version += 1;
            s.presence.insert(agent.clone(), next);
            Ok(())
        })
    }
}

#[async_trait]
impl crate::ports::ReleaseStore for MemoryStore {
    async fn release(
        &self,
        expiry: &crate::domain::expiry::LeaseExpiry,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.check(true)?;
        Ok(self.with_state(|s| {
            let Some(n) = expiry
                .number
                .parse::<E164>()
                .ok()
                .and_then(|n| s.numbers.get_mut(&n))
            else {
                return false;
            };
            match n.lease.as_mut() {
                Some(l) if crate::domain::expiry::may_release(l, expiry, now) => {
                    l.released_at = Some(now);
                    true
                }
                _ => false,
            }
        }))
    }
}

/// A scheduler that keeps schedules by name, counts calls and can fail.
#[derive(Debug, Default)]
pub struct MemoryScheduler {
    pub schedules: Mutex<BTreeMap<String, crate::domain::expiry::ExpirySchedule>>,
    fail: AtomicBool,
    calls: AtomicUsize,
}

impl MemoryScheduler {
    pub fn set_failing(&self, fail: bool) {
        self.fail.store(fail, Ordering::SeqCst);
    }
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
    pub fn all(&self) -> Vec<crate::domain::expiry::ExpirySchedule> {
        self.schedules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }
}

#[async_trait]
impl crate::ports::LeaseScheduler for MemoryScheduler {
    async fn upsert(
        &self,
        schedule: &crate::domain::expiry::ExpirySchedule,
    ) -> Result<(), crate::ports::ScheduleError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) {
            return Err(crate::ports::ScheduleError::Unavailable(
                "injected fault".into(),
            ));
        }
        self.schedules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(schedule.name.clone(), schedule.clone());
        Ok(())
    }
}

#[async_trait]
impl crate::ports::NotifyStore for MemoryStore {
    async fn notify_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<crate::ports::NotifyContext, StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| crate::ports::NotifyContext {
            call: s.calls.get(call).cloned(),
            notification: s.notifications.get(call).cloned(),
            agent: s.agents.get(agent).cloned(),
            template: s.template.clone(),
        }))
    }

    async fn record_notification(
        &self,
        call: &CallId,
        outcome: &crate::ports::NotificationOutcome,
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.check(true)?;
        self.with_state(|s| {
            s.notifications
                .insert(call.clone(), outcome.state().to_string())
        });
        Ok(())
    }
}

/// An outbox instead of SES: keeps what was sent, can fail the next sends.
#[derive(Debug, Default)]
pub struct MemoryOutbox {
    pub sent: Mutex<Vec<(Vec<String>, crate::notify::RenderedEmail)>>,
    transient_failures: AtomicUsize,
    permanent: AtomicBool,
}

impl MemoryOutbox {
    /// The next `n` sends fail as throttling would.
    pub fn fail_next(&self, n: usize) {
        self.transient_failures.store(n, Ordering::SeqCst);
    }
    /// Every send is refused for good (an unverified sender).
    pub fn refuse(&self, on: bool) {
        self.permanent.store(on, Ordering::SeqCst);
    }
    pub fn messages(&self) -> Vec<(Vec<String>, crate::notify::RenderedEmail)> {
        self.sent.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[async_trait]
impl crate::ports::EmailSender for MemoryOutbox {
    async fn send(
        &self,
        _from: &crate::domain::types::Email,
        to: &[crate::domain::types::Email],
        email: &crate::notify::RenderedEmail,
    ) -> Result<String, crate::ports::SendError> {
        if self.permanent.load(Ordering::SeqCst) {
            return Err(crate::ports::SendError::Permanent(
                "MessageRejected: not verified".into(),
            ));
        }
        if self
            .transient_failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(crate::ports::SendError::Transient("TooManyRequests".into()));
        }
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        sent.push((
            to.iter().map(|e| e.as_str().to_string()).collect(),
            email.clone(),
        ));
        Ok(format!("m-{}", sent.len()))
    }
}

/// Test helpers shared by the handler tests.
pub mod fixtures {
    use crate::config::{Config, Mode};
    use crate::domain::call::AgentProfile;
    use crate::domain::numbers::Country;
    use crate::domain::route::NumberType;
    use crate::domain::types::Recipients;
    use crate::webhook::{WebhookSecret, SIGNATURE_HEADER};
    use lambda_http::{Body, Request};

    use crate::clock::{Clock, FixedClock};
    use crate::domain::call::OutboundAnswer;
    use crate::service::dial::DialService;
    use chrono::{DateTime, Utc};
    use std::sync::Arc;

    use super::MemoryStore;

    /// 2026-11-24T05:00:00Z, when the tests' calls happen.
    pub fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_496_400, 0).unwrap_or_default()
    }

    /// The clock the sample events in `events/` were signed at (also [`t0`]).
    pub fn sample_event_clock() -> Arc<dyn Clock> {
        Arc::new(FixedClock::at(t0()))
    }

    /// A store, a clock standing at [`t0`] and the demo configuration, with
    /// agent a-42 (US, calling plan, +14255550100) and a US pool.
    pub struct World {
        pub store: Arc<MemoryStore>,
        pub clock: FixedClock,
        pub config: Arc<Config>,
    }

    impl World {
        pub fn us(pool: &[&str]) -> World {
            let store = Arc::new(MemoryStore::new());
            store.add_agent(agent(
                "a-42",
                Country::US,
                NumberType::CallingPlan,
                "+14255550100",
            ));
            store.add_numbers(Country::US, pool);
            World {
                store,
                clock: FixedClock::at(t0()),
                config: Arc::new(config()),
            }
        }

        pub fn clock(&self) -> Arc<dyn Clock> {
            Arc::new(self.clock.clone())
        }

        /// Records an emergency dial of 911 from the US, through the dial service.
        pub async fn dial(&self, call: &str, agent: &str) -> OutboundAnswer {
            let body = serde_json::json!({"callId": call, "agentId": agent, "dialed": "911",
                "from": "+14255550100", "location": {"country": "US"}});
            let dial = crate::webhook::parse_outbound(body.to_string().as_bytes())
                .unwrap_or_else(|p| panic!("{}", p.detail));
            DialService::new(self.store.clone(), self.clock(), self.config.clone())
                .dial(dial)
                .await
        }
    }

    /// The local demo configuration: outside-line prefix `9`, secret `local-secret`.
    pub fn config() -> Config {
        Config::from_lookup(Mode::Local, |k| match k {
            "LIFELINE_OUTSIDE_LINE_PREFIX" => Some("9".into()),
            _ => None,
        })
        .unwrap_or_else(|e| panic!("test config: {e}"))
    }

    pub fn agent(
        id: &str,
        country: Country,
        number_type: NumberType,
        source: &str,
    ) -> AgentProfile {
        AgentProfile {
            id: id.parse().unwrap_or_else(|e| panic!("{e}")),
            name: format!("Agent {id}"),
            email: "agent@example.com".parse().ok(),
            country: Some(country),
            source_number: source.parse().unwrap_or_else(|e| panic!("{e}")),
            number_type,
            recipients: Recipients::parse("sup@example.com").unwrap_or_default(),
            fallback: vec![],
            other_country: None,
            outbound_profile: Some("OVP-emergency".into()),
        }
    }

    /// A request signed at unix time `t`, as the voice platform sends it.
    pub fn signed(secret: &WebhookSecret, path: &str, body: &str, t: i64) -> Request {
        let mut req = Request::new(Body::Text(body.to_string()));
        *req.method_mut() = http::Method::POST;
        *req.uri_mut() = path.parse().unwrap_or_else(|e| panic!("{e}"));
        req.headers_mut().insert(
            "content-type",
            http::HeaderValue::from_static("application/json"),
        );
        if let Ok(v) = http::HeaderValue::from_str(&secret.sign(t, body.as_bytes())) {
            req.headers_mut().insert(SIGNATURE_HEADER, v);
        }
        req
    }

    pub fn body_json(resp: &lambda_http::Response<Body>) -> serde_json::Value {
        match resp.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap_or(serde_json::Value::Null),
            Body::Binary(b) => serde_json::from_slice(b).unwrap_or(serde_json::Value::Null),
            _ => serde_json::Value::Null,
        }
    }
}
