//! The notifier against the in-memory store and sender: a rig with agent
//! a-42 and call c-1; the recipients' choice in `recipients`, the sends
//! one per recipient in `sending`.

use std::sync::Arc;

use super::*;
use crate::clock::FixedClock;
use crate::fakes::{MemoryOutbox, MemoryStore, RecordedMetrics};
use crate::ports::{ItemKind, NotificationOutcome};
use chrono::{DateTime, Duration, Utc};
use lifeline_domain::call::{AgentProfile, EmergencyCall};
use lifeline_domain::recipient::Recipients;
use lifeline_domain::testing::{agent, at, call};

mod channels;
mod correction;
mod escalation;
mod follow_up;
mod recipients;
mod sending;

fn t0() -> DateTime<Utc> {
    at("2026-11-24T05:00:00Z")
}

const DESK: &str = "security-desk@example.com";

struct Rig {
    service: NotifyService<MemoryStore, MemoryOutbox>,
    store: Arc<MemoryStore>,
    outbox: Arc<MemoryOutbox>,
    clock: FixedClock,
    metrics: Arc<RecordedMetrics>,
}

/// Agent a-42 (recipients `sup@example.com`) dialed c-1 at t0; the
/// clock stands 5 s later; `fallback` is the configured list.
fn rig(fallback: &str) -> Rig {
    let store = Arc::new(MemoryStore::new());
    store.add_agent(AgentProfile {
        name: "Ana".into(),
        email: None,
        recipients: Recipients::parse("sup@example.com").unwrap(),
        outbound_profile: None,
        ..agent("a-42")
    });
    let call = EmergencyCall {
        caller_id: "+14255550199".parse().unwrap(),
        leased_number: Some("+14255550199".parse().unwrap()),
        callback_expires_at: Some(t0() + Duration::minutes(60)),
        ..call("c-1", "a-42", t0())
    };
    store.with_state(|s| s.calls.insert(call.call_id.clone(), call));
    let outbox = Arc::new(MemoryOutbox::default());
    let clock = FixedClock::at(t0() + Duration::seconds(5));
    let metrics = Arc::new(RecordedMetrics::default());
    let service = NotifyService::new(
        store.clone(),
        outbox.clone(),
        Arc::new(clock.clone()),
        "lifeline@example.com".parse().unwrap(),
    )
    .with_metrics(metrics.clone())
    .with_fallback(Recipients::parse(fallback).unwrap());
    Rig {
        service,
        store,
        outbox,
        clock,
        metrics,
    }
}

impl Rig {
    async fn notify(&self) -> Result<Notified, RetryLater> {
        self.service
            .on_call_started(&"c-1".parse().unwrap(), &"a-42".parse().unwrap())
            .await
    }

    fn sent_to(&self) -> Vec<String> {
        self.outbox.addresses()
    }

    fn outcome(&self) -> Option<NotificationOutcome> {
        self.store.with_state(|s| {
            s.notification_outcomes
                .get(&"c-1".parse().unwrap())
                .cloned()
        })
    }

    fn mark_unreadable(&self, kind: ItemKind, key: &str) {
        self.store
            .with_state(|s| s.unreadable.push((kind, key.to_string())));
    }

    fn corrupt_kinds(&self) -> Vec<String> {
        self.metrics
            .all()
            .into_iter()
            .filter(|(n, _, _)| n == "CorruptItem")
            .flat_map(|(_, _, d)| d.into_iter().map(|(_, v)| v))
            .collect()
    }
}
