//! A call ended: the callback window now runs from this end, when it is the
//! agent's last active emergency call.

use chrono::{DateTime, Utc};
use std::sync::Arc;

use crate::clock::Clock;
use crate::ports::{EndError, EndStore, LeaseWrite, StoreError};
use crate::service::chain::{in_order, read_chain};
use crate::settings::Settings;
use lifeline_domain::call::{CallEnded, EmergencyCall};
use lifeline_domain::chain::end_applies;
use lifeline_domain::lease::Lease;
use lifeline_domain::types::{AgentId, CallId};

const MAX_ATTEMPTS: usize = 5;

/// Positions read with the agent's lease: most ids have one record, and
/// one reused after a restart a few.
const FIRST_READ: u32 = 4;

#[derive(Debug, Clone, thiserror::Error)]
pub enum EndCallError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the lease kept changing; try again")]
    Contention,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndOutcome {
    Ended,
    AlreadyEnded,
    /// No call of the agent's under the id yet: the end is kept.
    Kept,
}

pub struct EndService<S> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    settings: Arc<Settings>,
}

impl<S: EndStore> EndService<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, settings: Arc<Settings>) -> Self {
        EndService {
            store,
            clock,
            settings,
        }
    }

    /// Ends the agent's live calls under the `callId`: its first record,
    /// and any recorded later under it (see `lifeline_domain::chain`) that
    /// this end can be for. An end for a call not recorded yet (it is in
    /// the outbox, or its write is still landing) is kept, and applied when
    /// the call is recorded.
    pub async fn end(&self, ended: CallEnded) -> Result<EndOutcome, EndCallError> {
        if let Some(outcome) = self.end_recorded(&ended).await? {
            return Ok(outcome);
        }
        let now = self.clock.now();
        let ttl = now + self.settings.lease.active_call_limit;
        self.store.keep_end(&ended, now, ttl).await?;
        // Recorded between the read and the keep: ended now, not kept.
        if let Some(outcome) = self.end_recorded(&ended).await? {
            self.store
                .forget_end(&ended.call_id, &ended.agent_id)
                .await?;
            return Ok(outcome);
        }
        tracing::warn!(call_id = %ended.call_id, agent_id = %ended.agent_id,
            "end of a call not recorded yet: kept, to be applied when it is");
        Ok(EndOutcome::Kept)
    }

    /// Applies the end kept for `call`'s platform id and agent, now that
    /// the call is recorded (the outbox, a platform's report); `None` when
    /// none was kept (or it is past the active-call limit: a call recorded
    /// that late is over by the limit anyway).
    pub async fn apply_kept(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<Option<EndOutcome>, EndCallError> {
        let id = call.platform();
        let Some((ended, kept_at)) = self.store.kept_end(&id, agent).await? else {
            return Ok(None);
        };
        if kept_at + self.settings.lease.active_call_limit <= self.clock.now() {
            return Ok(None);
        }
        let Some(outcome) = self.end_recorded(&ended).await? else {
            return Ok(None);
        };
        self.store.forget_end(&id, agent).await?;
        tracing::info!(call_id = %call, agent_id = %agent,
            "an end kept for this call was applied on its recording");
        Ok(Some(outcome))
    }

    /// Ends the agent's records under the id; `None` when it has none.
    async fn end_recorded(&self, ended: &CallEnded) -> Result<Option<EndOutcome>, EndCallError> {
        let now = self.clock.now();
        let (chain, lease) = self.read(ended).await?;
        let mine: Vec<&EmergencyCall> = chain
            .iter()
            .flatten()
            .filter(|c| c.agent_id == ended.agent_id)
            .collect();
        if mine.is_empty() {
            return Ok(None);
        }
        let mut outcome = EndOutcome::AlreadyEnded;
        for call in mine {
            if call.ended_at.is_some() || !end_applies(call, ended.timestamp) {
                continue;
            }
            if self.end_one(ended, call, lease.clone(), now).await? == EndOutcome::Ended {
                outcome = EndOutcome::Ended;
            }
        }
        Ok(Some(outcome))
    }

    /// The records under the end's `callId`, in position order up to the
    /// first free one, and the agent's lease: one read for most ids.
    async fn read(
        &self,
        ended: &CallEnded,
    ) -> Result<(Vec<Option<EmergencyCall>>, Option<Lease>), StoreError> {
        let ids: Vec<CallId> = (1..=FIRST_READ)
            .map(|p| ended.call_id.at_position(p))
            .collect();
        let (found, lease) = self.store.end_chain(&ids, &ended.agent_id).await?;
        let mut chain = Vec::new();
        if !in_order(&ids, found, &mut chain) {
            return Ok((chain, lease));
        }
        // A long chain (a desktop that reuses one id): the rest read too.
        Ok((read_chain(&*self.store, &ended.call_id).await?, lease))
    }

    /// Ends one record, moving the lease it is on.
    async fn end_one(
        &self,
        ended: &CallEnded,
        call: &EmergencyCall,
        mut lease: Option<Lease>,
        now: DateTime<Utc>,
    ) -> Result<EndOutcome, EndCallError> {
        let id = &call.call_id;
        for attempt in 1..=MAX_ATTEMPTS {
            if attempt > 1 {
                let (fresh, current) = self.store.end_context(id, &ended.agent_id).await?;
                if fresh.is_none_or(|c| c.ended_at.is_some()) {
                    return Ok(EndOutcome::AlreadyEnded);
                }
                lease = current;
            }
            // The lease moves only when this call is one it carries and it is
            // still live: a lease past its hold (the number may be someone
            // else's by now) is left alone, and so is one that kept changing
            // under us — the call's end is what must be recorded.
            let last_try = attempt == MAX_ATTEMPTS;
            if last_try && call.lease_id.is_some() {
                tracing::warn!(call_id = %id, agent_id = %ended.agent_id,
                    "the lease kept changing; ending the call without moving it (it stays held until its active-call limit)");
            }
            let write = lease
                .take()
                .filter(|l| call.lease_id.as_ref() == Some(&l.lease_id))
                .filter(|l| l.is_live(now) && !last_try)
                .and_then(|l| {
                    self.settings
                        .lease
                        .on_end(&l, id, now)
                        .map(|next| LeaseWrite::Update {
                            available_at: self.settings.lease.available_at(&next),
                            expected_version: l.version,
                            lease: next,
                        })
                });
            match self
                .store
                .record_end(id, now, self.ttl(now), write.as_ref())
                .await
            {
                Ok(()) => {
                    if let Some(LeaseWrite::Update { lease, .. }) = &write {
                        tracing::info!(call_id = %id, agent_id = %ended.agent_id,
                            active_calls = lease.active_calls.len(), callback_until = %lease.expires_at,
                            "emergency call ended");
                    } else {
                        tracing::info!(call_id = %id, agent_id = %ended.agent_id, "emergency call ended (no lease change)");
                    }
                    return Ok(EndOutcome::Ended);
                }
                Err(EndError::AlreadyEnded) => return Ok(EndOutcome::AlreadyEnded),
                Err(EndError::LeaseChanged) => continue,
                Err(EndError::Store(e)) => return Err(e.into()),
            }
        }
        // Not reached: the last try writes no lease, so it cannot conflict.
        Err(EndCallError::Contention)
    }

    fn ttl(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.settings.lease.window + self.settings.record_retention
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::fakes::MemoryStore;
    use crate::service::dial::DialService;
    use lifeline_domain::call::{AgentProfile, OutboundAnswer, OutboundDial};
    use lifeline_domain::numbers::Country;
    use lifeline_domain::recipient::Recipients;
    use lifeline_domain::route::NumberType;
    use lifeline_domain::types::E164;

    fn agent(id: &str, number: &str) -> AgentProfile {
        AgentProfile {
            id: id.parse().unwrap(),
            name: id.into(),
            email: None,
            country: Some(Country::US),
            other_country: None,
            source_number: number.parse().unwrap(),
            number_type: NumberType::CallingPlan,
            recipients: Recipients::default(),
            fallback: vec![],
            outbound_profile: None,
            platform: Default::default(),
        }
    }

    fn dial(call: &str, agent: &str, from: &str) -> OutboundDial {
        lifeline_domain::testing::dial(call, agent, "911", from)
    }

    fn caller_id(a: &OutboundAnswer) -> String {
        serde_json::to_value(a).unwrap()["callerId"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// A call that outlived its lease, whose number went to another agent,
    /// still ends (no 503 loop), and the other agent's lease is untouched.
    #[tokio::test]
    async fn an_end_after_the_number_was_re_leased_ends_the_call_and_leaves_the_lease() {
        let store = Arc::new(MemoryStore::new());
        store.add_agent(agent("a-42", "+14255550100"));
        store.add_agent(agent("a-43", "+14255550101"));
        store.add_numbers(Country::US, &["+14255550199"]);
        let t0 = DateTime::from_timestamp(1_795_496_400, 0).unwrap();
        let clock = FixedClock::at(t0);
        let settings = Arc::new(Settings::from_lookup(|_| None).unwrap());
        let dials = DialService::new(store.clone(), Arc::new(clock.clone()), settings.clone());
        assert_eq!(
            caller_id(&dials.dial(dial("c-1", "a-42", "+14255550100")).await),
            "+14255550199"
        );
        // Past the active-call limit and the quarantine: the number goes to a-43.
        clock.advance(chrono::Duration::hours(6));
        assert_eq!(
            caller_id(&dials.dial(dial("c-2", "a-43", "+14255550101")).await),
            "+14255550199"
        );
        let number: E164 = "+14255550199".parse().unwrap();
        let before = store.with_state(|s| s.numbers[&number].lease.clone());

        let ends = EndService::new(store.clone(), Arc::new(clock.clone()), settings);
        let outcome = ends
            .end(CallEnded {
                call_id: "c-1".parse().unwrap(),
                agent_id: "a-42".parse().unwrap(),
                timestamp: None,
            })
            .await
            .expect("ended, not a conflict loop");
        assert_eq!(outcome, EndOutcome::Ended);
        let c1 = "c-1".parse().unwrap();
        assert!(store.with_state(|s| s.calls[&c1].ended_at.is_some()));
        assert_eq!(
            store.with_state(|s| s.numbers[&number].lease.clone()),
            before,
            "a-43's lease untouched"
        );
    }
}

#[cfg(test)]
mod reused_tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::fakes::MemoryStore;
    use lifeline_domain::testing::call;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_496_400, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn end(agent: &str, at: Option<DateTime<Utc>>) -> CallEnded {
        CallEnded {
            call_id: "c-1".parse().unwrap(),
            agent_id: agent.parse().unwrap(),
            timestamp: at,
        }
    }

    /// `c-1` (a-42, over), `c-1~2` (a-43's conflict), `c-1~3` (a-42's new call).
    fn store() -> Arc<MemoryStore> {
        let store = Arc::new(MemoryStore::new());
        let mut first = call("c-1", "a-42", t(0));
        first.ended_at = Some(t(2));
        let mut conflict = call("c-1", "a-43", t(1));
        conflict.call_id = "c-1~2".parse().unwrap();
        let mut again = call("c-1", "a-42", t(10));
        again.call_id = "c-1~3".parse().unwrap();
        again.desktop_time = Some(t(10));
        store.with_state(|s| {
            for c in [first, conflict, again] {
                s.calls.insert(c.call_id.clone(), c);
            }
        });
        store
    }

    fn ended(store: &MemoryStore, id: &str) -> bool {
        let id: CallId = id.parse().unwrap();
        store.with_state(|s| s.calls[&id].ended_at.is_some())
    }

    #[tokio::test]
    async fn an_end_under_a_reused_id_ends_the_agents_own_live_call() {
        let store = store();
        let settings = Arc::new(Settings::from_lookup(|_| None).unwrap());
        let ends = EndService::new(store.clone(), Arc::new(FixedClock::at(t(20))), settings);
        // A late copy of the first call's end (sent before the new call's dial): nothing.
        let late = ends.end(end("a-42", Some(t(2)))).await.unwrap();
        assert_eq!(late, EndOutcome::AlreadyEnded);
        assert!(!ended(&store, "c-1~3"));
        // a-43's end: its own record, not a-42's.
        assert_eq!(
            ends.end(end("a-43", None)).await.unwrap(),
            EndOutcome::Ended
        );
        assert!(ended(&store, "c-1~2") && !ended(&store, "c-1~3"));
        // a-42's end of the new call.
        let now = ends.end(end("a-42", Some(t(19)))).await.unwrap();
        assert_eq!(now, EndOutcome::Ended);
        assert!(ended(&store, "c-1~3"));
        // Someone with no call under the id (yet): kept.
        assert_eq!(ends.end(end("a-44", None)).await.unwrap(), EndOutcome::Kept);
    }

    /// An end that comes before its call's record (in the outbox) is kept,
    /// answered `Kept`, and applied once when the call is recorded.
    #[tokio::test]
    async fn an_early_end_is_kept_and_applied_when_the_call_is_recorded() {
        let store = Arc::new(MemoryStore::new());
        let settings = Arc::new(Settings::from_lookup(|_| None).unwrap());
        let clock = FixedClock::at(t(0));
        let ends = EndService::new(store.clone(), Arc::new(clock.clone()), settings);
        assert_eq!(ends.end(end("a-42", None)).await.unwrap(), EndOutcome::Kept);
        assert_eq!(store.with_state(|s| s.kept_ends.len()), 1);
        // The outbox records the call two minutes later.
        clock.advance(chrono::Duration::minutes(2));
        let c = call("c-1", "a-42", t(0));
        store.with_state(|s| s.calls.insert(c.call_id.clone(), c.clone()));
        assert_eq!(
            ends.apply_kept(&c.call_id, &c.agent_id).await.unwrap(),
            Some(EndOutcome::Ended)
        );
        assert!(ended(&store, "c-1"));
        assert!(store.with_state(|s| s.kept_ends.is_empty()), "applied once");
        assert_eq!(
            ends.apply_kept(&c.call_id, &c.agent_id).await.unwrap(),
            None
        );
        // Another agent's call under the id is not what a-42's end was for.
        let mut other = call("c-9", "a-43", t(0));
        assert_eq!(
            ends.end(CallEnded {
                call_id: "c-9".parse().unwrap(),
                ..end("a-42", None)
            })
            .await
            .unwrap(),
            EndOutcome::Kept
        );
        store.with_state(|s| s.calls.insert(other.call_id.clone(), other.clone()));
        assert_eq!(
            ends.apply_kept(&other.call_id, &other.agent_id)
                .await
                .unwrap(),
            None
        );
        assert!(!ended(&store, "c-9"));
        // One kept longer ago than the active-call limit is not applied.
        other.agent_id = "a-42".parse().unwrap();
        clock.advance(chrono::Duration::hours(5));
        assert_eq!(
            ends.apply_kept(&other.call_id, &other.agent_id)
                .await
                .unwrap(),
            None
        );
    }
}
