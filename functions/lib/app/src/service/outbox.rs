//! The outbox consumer: a call the dial could not record in time (the table
//! did not answer) is recorded once the table answers again, so Do Not
//! Disturb and the e-mail follow through the usual stream. The message holds
//! the call as answered; the record ends up saying the same.

use chrono::{DateTime, Utc};
use std::sync::Arc;

use crate::clock::Clock;
use crate::metrics::{EmfStdout, Metrics};
use crate::ports::{EndStore, OutboxStore, RecordError, SettleError};
use crate::service::chain::read_chain;
use crate::service::ended::EndService;
use crate::service::unseen::unseen_lease_write;
use crate::settings::Settings;
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::chain::{place_recorded, Placement};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Written now: presence and e-mail follow from the stream.
    Now,
    /// Already recorded as answered (the dial's own write got through after all).
    Already,
    /// A lease write committed after the dial gave up on it: the record now
    /// says the own number, as the answer did.
    Settled,
    /// Recorded for another agent's dial, or unreadable: left alone.
    NotOurs,
}

/// The table did not answer: keep the message for later.
#[derive(Debug, Clone, thiserror::Error)]
#[error("call not recorded yet: {0}")]
pub struct RetryLater(pub String);

pub struct OutboxService<S> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    metrics: Arc<dyn Metrics>,
    settings: Arc<Settings>,
    /// Applies an end that came before the call was recorded.
    ends: EndService<S>,
}

impl<S: OutboxStore + EndStore> OutboxService<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, settings: Arc<Settings>) -> Self {
        OutboxService {
            ends: EndService::new(store.clone(), clock.clone(), settings.clone()),
            store,
            clock,
            metrics: Arc::new(EmfStdout),
            settings,
        }
    }

    /// Emits to `metrics` instead of the EMF log lines (tests).
    pub fn with_metrics(mut self, metrics: Arc<dyn Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Records `call` as answered, then applies an end that came for it
    /// before it was recorded.
    pub async fn record(
        &self,
        call: &EmergencyCall,
        ttl: DateTime<Utc>,
    ) -> Result<Recorded, RetryLater> {
        let recorded = self.record_as_answered(call, ttl).await?;
        // Whatever position the call got, the end was kept under its
        // platform id and agent.
        if recorded != Recorded::NotOurs {
            self.apply_kept_end(call).await?;
        }
        Ok(recorded)
    }

    async fn apply_kept_end(&self, call: &EmergencyCall) -> Result<(), RetryLater> {
        match self.ends.apply_kept(&call.call_id, &call.agent_id).await {
            Ok(Some(_)) => {
                self.metrics.emit("KeptEndsApplied", 1.0, "Count", &[]);
                Ok(())
            }
            Ok(None) => Ok(()),
            // The record stays; the redelivery finds it and applies the end.
            Err(e) => Err(RetryLater(format!("kept end not applied: {e}"))),
        }
    }

    async fn record_as_answered(
        &self,
        call: &EmergencyCall,
        ttl: DateTime<Utc>,
    ) -> Result<Recorded, RetryLater> {
        match self.store.record_call(call, ttl).await {
            Ok(()) => {
                let late = (self.clock.now() - call.dialed_at)
                    .num_milliseconds()
                    .max(0);
                tracing::warn!(call_id = %call.call_id, agent_id = %call.agent_id, late_ms = late,
                    "emergency call recorded from the outbox");
                self.metrics
                    .emit("OutboxRecordDelay", late as f64, "Milliseconds", &[]);
                Ok(Recorded::Now)
            }
            Err(RecordError::CallExists(_)) => self.place(call, ttl).await,
            Err(e) => Err(RetryLater(e.to_string())),
        }
    }

    /// The call's id holds a record already: this call's own (reconciled),
    /// or another call's — an earlier one under a reused id, another
    /// agent's — and this call is recorded at the id's next position.
    async fn place(
        &self,
        call: &EmergencyCall,
        ttl: DateTime<Utc>,
    ) -> Result<Recorded, RetryLater> {
        let records = read_chain(&*self.store, &call.call_id)
            .await
            .map_err(|e| RetryLater(e.to_string()))?;
        match place_recorded(&records, call, self.settings.lease.active_call_limit) {
            Placement::Repeat(recorded) => self.reconcile(&recorded, call).await,
            Placement::Fresh(id) | Placement::Conflict(id) => {
                tracing::warn!(call_id = %id, agent_id = %call.agent_id,
                    "outbox: the callId holds another call; recorded at its next position");
                let moved = EmergencyCall {
                    call_id: id,
                    ..call.clone()
                };
                // Boxed: that position may have been taken meanwhile too.
                Box::pin(self.record_as_answered(&moved, ttl)).await
            }
            Placement::Full => {
                tracing::error!(call_id = %call.call_id, agent_id = %call.agent_id,
                    "outbox: the callId has all the records it may have; left alone");
                Ok(Recorded::NotOurs)
            }
        }
    }

    /// The call was recorded meanwhile: by this dial (as answered, or by a
    /// lease write whose answer never came) or by another agent's.
    async fn reconcile(
        &self,
        recorded: &EmergencyCall,
        presented: &EmergencyCall,
    ) -> Result<Recorded, RetryLater> {
        if recorded.agent_id != presented.agent_id {
            tracing::error!(call_id = %presented.call_id, agent_id = %presented.agent_id,
                "outbox: the callId is recorded for another agent; left alone");
            return Ok(Recorded::NotOurs);
        }
        if recorded.caller_id == presented.caller_id {
            return Ok(Recorded::Already);
        }
        // The lease the late write took (no PSAP saw its number): freed of
        // the call in the same write, so the number, the agent's pointer
        // and the record agree with the answer.
        let (_, held) = self
            .store
            .end_context(&recorded.call_id, &recorded.agent_id)
            .await
            .map_err(|e| RetryLater(e.to_string()))?;
        let now = self.clock.now();
        let lease = unseen_lease_write(&self.settings.lease, held.as_ref(), recorded, now);
        let settled = match self
            .store
            .settle_presented(recorded, presented, lease.as_ref())
            .await
        {
            Ok(settled) => settled,
            Err(SettleError::LeaseChanged) => false,
            Err(SettleError::Store(e)) => return Err(RetryLater(e.to_string())),
        };
        if !settled {
            // Changed meanwhile (settled by a redelivery, the lease moved):
            // read it again.
            return Err(RetryLater(
                "the record or its lease changed; read it again".into(),
            ));
        }
        tracing::error!(call_id = %presented.call_id, agent_id = %presented.agent_id,
            "a lease write committed after its dial presented the own number; the record now says so");
        self.metrics.emit("AnswerRecordMismatch", 1.0, "Count", &[]);
        Ok(Recorded::Settled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::fakes::{MemoryStore, RecordedMetrics};
    use crate::ports::DialStore;
    use lifeline_domain::degraded::DegradedReason;
    use lifeline_domain::route::Route;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_496_400, 0).unwrap()
    }

    fn call(agent: &str, caller_id: &str, leased: Option<&str>) -> EmergencyCall {
        EmergencyCall {
            call_id: "c-1".parse().unwrap(),
            agent_id: agent.parse().unwrap(),
            dialed: "911".into(),
            emergency_number: "911".into(),
            test: false,
            country: Some(lifeline_domain::numbers::Country::US),
            location: None,
            location_source: None,
            caller_id: caller_id.parse().unwrap(),
            leased_number: leased.map(|n| n.parse().unwrap()),
            lease_id: leased.map(|_| lifeline_domain::types::LeaseId::from_bits(7)),
            callback_expires_at: leased.map(|_| t0() + chrono::Duration::minutes(60)),
            route: Route::DirectOffer,
            degraded: leased.is_none(),
            reason: leased.is_none().then_some(DegradedReason::Timeout),
            dialed_at: t0(),
            desktop_time: None,
            ended_at: None,
        }
    }

    fn consumer() -> (
        OutboxService<MemoryStore>,
        Arc<MemoryStore>,
        Arc<RecordedMetrics>,
    ) {
        let store = Arc::new(MemoryStore::new());
        let metrics = Arc::new(RecordedMetrics::default());
        let clock = Arc::new(FixedClock::at(t0() + chrono::Duration::seconds(90)));
        let settings = Arc::new(crate::settings::Settings::from_lookup(|_| None).unwrap());
        let svc = OutboxService::new(store.clone(), clock, settings).with_metrics(metrics.clone());
        (svc, store, metrics)
    }

    fn stored(store: &MemoryStore) -> EmergencyCall {
        let id = "c-1".parse().unwrap();
        store.with_state(|s| s.calls[&id].clone())
    }

    #[tokio::test]
    async fn a_missing_record_is_written_and_its_delay_measured() {
        let (svc, store, metrics) = consumer();
        let kept = call("a-42", "+14255550100", None);
        assert_eq!(svc.record(&kept, t0()).await.unwrap(), Recorded::Now);
        assert_eq!(stored(&store), kept);
        assert_eq!(metrics.values("OutboxRecordDelay"), vec![90_000.0]);
    }

    /// The lease write committed after the dial gave up and presented the
    /// own number: the record is made to say what the answer said.
    #[tokio::test]
    async fn a_late_lease_commit_is_settled_to_the_number_presented() {
        let (svc, store, metrics) = consumer();
        let late = call("a-42", "+14255550199", Some("+14255550199"));
        store.record_emergency(&late, t0(), None).await.unwrap();
        let presented = call("a-42", "+14255550100", None);
        assert_eq!(
            svc.record(&presented, t0()).await.unwrap(),
            Recorded::Settled
        );
        let now = stored(&store);
        assert_eq!(now.caller_id.as_str(), "+14255550100");
        assert_eq!(
            (now.leased_number, now.lease_id, now.callback_expires_at),
            (None, None, None)
        );
        assert_eq!(
            (now.degraded, now.reason.map(DegradedReason::as_str)),
            (true, Some("timeout"))
        );
        assert_eq!(metrics.values("AnswerRecordMismatch"), vec![1.0]);
        // Redelivered: already as answered.
        assert_eq!(
            svc.record(&presented, t0()).await.unwrap(),
            Recorded::Already
        );
    }

    /// Another agent's live call, or an earlier call of ours, under the id:
    /// kept as it is, and ours recorded at the id's next position.
    #[tokio::test]
    async fn another_call_under_the_id_is_kept_and_ours_recorded_apart() {
        let (svc, store, _) = consumer();
        let theirs = call("a-43", "+14255550101", None);
        store.record_emergency(&theirs, t0(), None).await.unwrap();
        let ours = call("a-42", "+14255550100", None);
        assert_eq!(svc.record(&ours, t0()).await.unwrap(), Recorded::Now);
        assert_eq!(stored(&store), theirs);
        let second: lifeline_domain::types::CallId = "c-1~2".parse().unwrap();
        let apart = store.with_state(|s| s.calls[&second].clone());
        assert_eq!(
            (apart.agent_id.as_str(), apart.caller_id.as_str()),
            ("a-42", "+14255550100")
        );
        // Redelivered: found at its position, already as answered.
        assert_eq!(svc.record(&ours, t0()).await.unwrap(), Recorded::Already);
        // An earlier call of ours, over before this one was dialed.
        let (svc, store, _) = consumer();
        let mut earlier = call("a-42", "+14255550100", None);
        earlier.dialed_at = t0() - chrono::Duration::hours(1);
        earlier.ended_at = Some(t0() - chrono::Duration::minutes(50));
        store.record_emergency(&earlier, t0(), None).await.unwrap();
        assert_eq!(svc.record(&ours, t0()).await.unwrap(), Recorded::Now);
        assert!(store.with_state(|s| s.calls.contains_key(&second)));
    }

    #[tokio::test]
    async fn a_table_still_down_asks_for_a_retry() {
        let (svc, store, _) = consumer();
        store.set_failing(true);
        assert!(svc
            .record(&call("a-42", "+14255550100", None), t0())
            .await
            .is_err());
    }
}
