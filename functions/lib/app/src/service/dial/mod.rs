//! The emergency dial: recognise, record and lease in one write, answer fast,
//! and never block the call whatever fails.
//!
//! It reads as its steps, one module each: recognise the number and the
//! location ([`recognise`]) → read the context ([`context`]) → match the
//! country → the candidates ([`pool`], [`candidates`]) → plan a lease, write
//! it with the call and resolve the write's outcome ([`lease`]) → answer.
//! Every failure on the way still answers `emergency`, degraded, with the
//! agent's own number ([`degraded`]), within the budget ([`deadline`]). A
//! warm container makes the dial one write ([`warm_path`], [`warm`]).

use chrono::{DateTime, Utc};
use std::sync::Arc;

use lifeline_domain::call::{OutboundAnswer, OutboundDial};
use lifeline_domain::classify::ProfileMatch;
use lifeline_domain::degraded::DegradedReason;
use lifeline_domain::dial::BestMatch;
use lifeline_domain::location::wants_registered;
use lifeline_domain::numbers::EmergencyMatch;

mod candidates;
mod context;
mod deadline;
mod degraded;
mod lease;
mod pool;
pub mod presented;
mod recognise;
mod reused;
#[cfg(test)]
mod tests;
pub mod warm;
mod warm_path;
#[cfg(test)]
mod warm_tests;

pub use pool::CANDIDATES;

use crate::clock::Clock;
use crate::ids::{Ids, RandomIds};
use crate::metrics::{EmfStdout, Metrics};
use crate::ports::{CallOutbox, DialContext, DialStore, ItemKind, PoolPage, StoreError};
use crate::settings::Settings;
use deadline::Deadline;
use degraded::Instead;
use warm::WarmCache;

pub struct DialService<S> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    settings: Arc<Settings>,
    ids: Arc<dyn Ids>,
    metrics: Arc<dyn Metrics>,
    /// Where a call goes when the table cannot take its record in time.
    outbox: Option<Arc<dyn CallOutbox>>,
    /// What this container keeps for the one-write warm path.
    warm: Arc<WarmCache>,
}

impl<S> Clone for DialService<S> {
    fn clone(&self) -> Self {
        DialService {
            store: self.store.clone(),
            clock: self.clock.clone(),
            settings: self.settings.clone(),
            ids: self.ids.clone(),
            metrics: self.metrics.clone(),
            outbox: self.outbox.clone(),
            warm: self.warm.clone(),
        }
    }
}

impl<S: DialStore + 'static> DialService<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, settings: Arc<Settings>) -> Self {
        DialService {
            warm: Arc::new(WarmCache::new(settings.dial_cache)),
            store,
            clock,
            settings,
            ids: Arc::new(RandomIds),
            metrics: Arc::new(EmfStdout),
            outbox: None,
        }
    }

    /// Hands a call the table could not take to `outbox`, whose consumer
    /// records it later (presence and e-mail then follow).
    pub fn with_outbox(mut self, outbox: Arc<dyn CallOutbox>) -> Self {
        self.outbox = Some(outbox);
        self
    }

    /// Takes lease ids and random picks from `ids` (tests).
    pub fn with_ids(mut self, ids: Arc<dyn Ids>) -> Self {
        self.ids = ids;
        self
    }

    /// Emits to `metrics` instead of the EMF log lines (tests).
    pub fn with_metrics(mut self, metrics: Arc<dyn Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    pub async fn dial(&self, dial: OutboundDial) -> OutboundAnswer {
        self.dial_received(dial, None).await
    }

    /// [`dial`](Self::dial) of a request the platform sent at `received_at`
    /// (API Gateway's receipt): the budget counts from then.
    pub async fn dial_received(
        &self,
        dial: OutboundDial,
        received_at: Option<DateTime<Utc>>,
    ) -> OutboundAnswer {
        let now = self.clock.now();
        let known = match self.recognise(&dial) {
            Ok(known) => known,
            Err(pass) => return pass.answer(),
        };
        // API Gateway gives up on an integration after 30 s: a receipt time
        // older than that is no live request's (a replayed or sample event).
        let spent = received_at
            .and_then(|at| (now - at).to_std().ok())
            .filter(|spent| *spent <= deadline::LONGEST_WAIT)
            .unwrap_or_default();
        let budget = deadline::budget_left(self.settings.dial_budget, spent);
        if spent > std::time::Duration::from_millis(500) {
            tracing::warn!(call_id = %dial.call_id, spent_ms = spent.as_millis() as u64,
                budget_ms = budget.as_millis() as u64,
                "emergency dial reached the handler late (a cold start?): its budget is shorter");
        }
        let deadline = Deadline::starting_now(budget, self.settings.dial_attempt());
        let work = self.emergency(&dial, known, now, &deadline);
        // The steps bound themselves by the deadline; this guard only catches
        // what they cannot (a stalled runtime).
        let answer = match tokio::time::timeout(budget, work).await {
            Ok(answer) => answer,
            Err(_) => {
                tracing::error!(call_id = %dial.call_id, budget_ms = budget.as_millis() as u64,
                    "emergency dial over its time budget; answering degraded, unrecorded");
                self.metrics
                    .emit("UnrecordedEmergencyCalls", 1.0, "Count", &[]);
                let best = self.best_match(&dial, known);
                self.degraded_answer(&dial, best, now, DegradedReason::Timeout)
            }
        };
        self.count_degraded(&answer);
        answer
    }

    /// An emergency dial: read, match the country, then lease and write.
    async fn emergency(
        &self,
        dial: &OutboundDial,
        known: Option<EmergencyMatch>,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> OutboundAnswer {
        // A dial that may go with the agent's registered location reads it
        // first: a location kept in a container could send responders to
        // where the agent was before.
        if !wants_registered(dial.location.as_ref()) {
            if let Some(answer) = self.warm_dial(dial, known, now, deadline).await {
                return answer;
            }
        }
        let (ctx, looked_up) = match self.read_context(dial, known, now, deadline).await {
            Ok(read) => read,
            Err(e) => return self.context_unread(dial, known, &e, now, deadline).await,
        };
        self.report_unreadable(&ctx);
        self.warm.remember(&dial.agent_id, &ctx, now);
        if ctx.call.is_some() || ctx.unreadable.contains(&ItemKind::Call) {
            let best = self.best_match(dial, known);
            let existing = ctx.call.as_ref();
            return self
                .answer_taken(dial, best, existing, Instead::Dial(&ctx), now, deadline)
                .await;
        }
        self.go_on_from(dial, known, ctx, looked_up, now, deadline)
            .await
    }

    /// The dial once its context is read and its id is its own.
    async fn go_on_from(
        &self,
        dial: &OutboundDial,
        known: Option<EmergencyMatch>,
        ctx: DialContext,
        looked_up: Option<Result<PoolPage, StoreError>>,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> OutboundAnswer {
        let registered_dial = self.with_registered_location(dial, &ctx, now);
        let (dial, known) = match &registered_dial {
            Some(d) => match self.recognise(d) {
                Ok(known) => (d, known),
                Err(pass) => return pass.answer(),
            },
            None => (dial, known),
        };
        let matched = match self.country_of(dial, known, &ctx) {
            ProfileMatch::Emergency(m) => m,
            ProfileMatch::Ordinary => return OutboundAnswer::ordinary(),
            ProfileMatch::NoCountry(reason) => {
                return self
                    .record_without_country(dial, &ctx, now, reason, deadline)
                    .await
            }
        };
        if ctx.unreadable.contains(&ItemKind::LeasePointer) {
            // Which number the agent holds cannot be told, so none is claimed;
            // the call is still recorded (presence, e-mail) with the own number.
            let reason = DegradedReason::LeaseUnreadable;
            return self
                .record_without_lease(dial, &ctx, matched, now, reason, deadline)
                .await;
        }
        let mut candidates = self
            .first_candidates(matched.country, &ctx, looked_up, now, deadline)
            .await;
        self.lease_and_record(dial, matched, ctx, &mut candidates, now, deadline)
            .await
    }

    fn best_match(&self, dial: &OutboundDial, known: Option<EmergencyMatch>) -> BestMatch {
        BestMatch::of(dial, known, &self.settings.outside_line_prefix)
    }

    fn ttl(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let s = &self.settings;
        now + s.lease.active_call_limit + s.lease.window + s.record_retention
    }
}
