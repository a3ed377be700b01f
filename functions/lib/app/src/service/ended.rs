//! A call ended: the callback window now runs from this end, when it is the
//! agent's last active emergency call.

use chrono::{DateTime, Utc};
use std::sync::Arc;

use crate::clock::Clock;
use crate::ports::{EndError, EndStore, LeaseWrite, StoreError};
use crate::settings::Settings;
use lifeline_domain::call::CallEnded;

const MAX_ATTEMPTS: usize = 5;

#[derive(Debug, Clone, thiserror::Error)]
pub enum EndCallError {
    #[error("no emergency call `{0}`")]
    UnknownCall(String),
    #[error("call `{call}` belongs to another agent")]
    WrongAgent { call: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the lease kept changing; try again")]
    Contention,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndOutcome {
    Ended,
    AlreadyEnded,
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

    pub async fn end(&self, ended: CallEnded) -> Result<EndOutcome, EndCallError> {
        let now = self.clock.now();
        for attempt in 1..=MAX_ATTEMPTS {
            let (call, lease) = self
                .store
                .end_context(&ended.call_id, &ended.agent_id)
                .await?;
            let call = call.ok_or_else(|| EndCallError::UnknownCall(ended.call_id.to_string()))?;
            if call.agent_id != ended.agent_id {
                return Err(EndCallError::WrongAgent {
                    call: ended.call_id.to_string(),
                });
            }
            if call.ended_at.is_some() {
                return Ok(EndOutcome::AlreadyEnded);
            }
            // The lease moves only when this call is one it carries and it is
            // still live: a lease past its hold (the number may be someone
            // else's by now) is left alone, and so is one that kept changing
            // under us — the call's end is what must be recorded.
            let last_try = attempt == MAX_ATTEMPTS;
            if last_try && call.lease_id.is_some() {
                tracing::warn!(call_id = %ended.call_id, agent_id = %ended.agent_id,
                    "the lease kept changing; ending the call without moving it (it stays held until its active-call limit)");
            }
            let write = lease
                .filter(|l| call.lease_id.as_ref() == Some(&l.lease_id))
                .filter(|l| l.is_live(now) && !last_try)
                .and_then(|l| {
                    self.settings
                        .lease
                        .on_end(&l, &ended.call_id, now)
                        .map(|next| LeaseWrite::Update {
                            available_at: self.settings.lease.available_at(&next),
                            expected_version: l.version,
                            lease: next,
                        })
                });
            match self
                .store
                .record_end(&ended.call_id, now, self.ttl(now), write.as_ref())
                .await
            {
                Ok(()) => {
                    if let Some(LeaseWrite::Update { lease, .. }) = &write {
                        tracing::info!(call_id = %ended.call_id, agent_id = %ended.agent_id,
                            active_calls = lease.active_calls.len(), callback_until = %lease.expires_at,
                            "emergency call ended");
                    } else {
                        tracing::info!(call_id = %ended.call_id, agent_id = %ended.agent_id, "emergency call ended (no lease change)");
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
    use lifeline_domain::route::NumberType;
    use lifeline_domain::types::{Recipients, E164};

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
