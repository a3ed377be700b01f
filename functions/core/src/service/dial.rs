//! The emergency dial: recognise, record and lease in one write, answer fast,
//! and never block the call whatever fails.

use chrono::{DateTime, Utc};
use rand::Rng;
use std::collections::HashSet;
use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::call::{EmergencyCall, OutboundAnswer, OutboundDial};
use crate::domain::lease::{Lease, LeasePolicy};
use crate::domain::numbers::{
    could_be_emergency_anywhere, match_emergency, Country, EmergencyMatch,
};
use crate::domain::route::{select_route, Route};
use crate::domain::types::{AgentId, CallId, E164};
use crate::ports::{DialContext, DialStore, LeaseWrite, RecordError};

/// How many available numbers one lookup returns: enough for concurrent dials
/// to pick different ones (keys only: one small read), independent of the
/// pool's size.
pub const CANDIDATES: usize = 48;
/// Write attempts before answering degraded.
const MAX_ATTEMPTS: usize = 16;

/// What a dial is, decided without any I/O.
#[derive(Debug, Clone, PartialEq)]
pub enum Classification {
    Ordinary,
    /// An emergency number in the call's (supported) location country.
    Emergency(EmergencyMatch),
    /// Could be an emergency number, but only the profile tells the country.
    NeedsProfileCountry,
    /// An emergency number somewhere, dialed from a country Lifeline does not support.
    UnsupportedLocation,
}

pub fn classify(
    dial: &OutboundDial,
    prefix: &crate::domain::numbers::OutsideLinePrefix,
) -> Classification {
    match dial.location.as_ref().and_then(|l| l.country.as_deref()) {
        Some(code) => match code.parse::<Country>() {
            Ok(country) => match match_emergency(&dial.dialed, country, prefix) {
                Some(m) => Classification::Emergency(m),
                None => Classification::Ordinary,
            },
            Err(_) if could_be_emergency_anywhere(&dial.dialed, prefix) => {
                Classification::UnsupportedLocation
            }
            Err(_) => Classification::Ordinary,
        },
        None if could_be_emergency_anywhere(&dial.dialed, prefix) => {
            Classification::NeedsProfileCountry
        }
        None => Classification::Ordinary,
    }
}

/// Which lease the call gets.
#[derive(Debug, Clone, PartialEq)]
pub enum LeasePlan {
    /// The agent holds a live lease in this country: extend it.
    Extend(Lease),
    /// Claim this number for a new lease.
    Claim(E164),
    /// Nothing left to try.
    Exhausted,
}

/// Prefers the agent's live lease, then their previous number, then an
/// available one (a random pick among the candidates spreads concurrent dials).
pub fn plan_lease(
    previous: Option<&Lease>,
    country: Country,
    now: DateTime<Utc>,
    candidates: &[E164],
    tried: &HashSet<E164>,
    pick: usize,
) -> LeasePlan {
    if let Some(l) = previous.filter(|l| l.country == country) {
        if l.is_live(now) {
            return LeasePlan::Extend(l.clone());
        }
        if !tried.contains(&l.number) {
            return LeasePlan::Claim(l.number.clone());
        }
    }
    let open: Vec<&E164> = candidates.iter().filter(|n| !tried.contains(*n)).collect();
    if open.is_empty() {
        return LeasePlan::Exhausted;
    }
    // A random pick spreads concurrent dials over the candidates; they are
    // all the least recently released, so the preference holds.
    LeasePlan::Claim(open[pick % open.len()].clone())
}

pub struct DialService<S> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    config: Arc<Config>,
}

impl<S> Clone for DialService<S> {
    fn clone(&self) -> Self {
        DialService {
            store: self.store.clone(),
            clock: self.clock.clone(),
            config: self.config.clone(),
        }
    }
}

impl<S: DialStore> DialService<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, config: Arc<Config>) -> Self {
        DialService {
            store,
            clock,
            config,
        }
    }

    pub async fn dial(&self, dial: OutboundDial) -> OutboundAnswer {
        let now = self.clock.now();
        let class = classify(&dial, &self.config.outside_line_prefix);
        let known = match class {
            Classification::Ordinary => return OutboundAnswer::ordinary(),
            Classification::UnsupportedLocation if !self.config.lease_unsupported_locations => {
                tracing::warn!(call_id = %dial.call_id, agent_id = %dial.agent_id,
                    "emergency-looking dial from an unsupported location; passed through");
                return OutboundAnswer::Continue {
                    reason: Some("unsupported_location"),
                };
            }
            Classification::Emergency(m) => Some(m),
            Classification::UnsupportedLocation | Classification::NeedsProfileCountry => None,
        };
        let work = self.emergency(&dial, known, now);
        let answer = match tokio::time::timeout(self.config.dial_budget, work).await {
            Ok(answer) => answer,
            Err(_) => {
                tracing::error!(call_id = %dial.call_id, budget_ms = self.config.dial_budget.as_millis() as u64,
                    "emergency dial over its time budget; answering degraded");
                degraded_answer(&dial, self.best_match(&dial, known), now, "timeout")
            }
        };
        if let OutboundAnswer::Emergency {
            degraded: true,
            reason,
            ..
        } = &answer
        {
            let reason = reason.as_deref().unwrap_or("unknown");
            // By reason, and in total (the alarm's fixed dimension set).
            crate::metrics::emit_sets(
                "DegradedEmergencyAnswers",
                1.0,
                "Count",
                &[("Reason", reason)],
                &[&["Reason"], &[]],
            );
        }
        answer
    }

    /// How many candidates to ask for: enough to step around concurrent
    /// claims and to tell whether the pool is below its low-water mark.
    fn candidate_limit(&self, country: Country) -> usize {
        CANDIDATES.max(self.config.pool_low_water.of(country) + 1)
    }

    /// Pool health from the lookup the dial makes anyway: no extra request.
    fn report_pool_level(&self, country: Country, available: usize) {
        let low_water = self.config.pool_low_water.of(country);
        crate::metrics::emit(
            "PoolAvailable",
            available as f64,
            "Count",
            &[("Country", country.code())],
        );
        if available < low_water {
            tracing::warn!(country = %country, available, low_water, "callback-number pool below its low-water mark");
        }
    }

    async fn emergency(
        &self,
        dial: &OutboundDial,
        known: Option<EmergencyMatch>,
        now: DateTime<Utc>,
    ) -> OutboundAnswer {
        // Read the context and look up available numbers at once: one round trip.
        let candidates_for = known.map(|m| m.country);
        let (ctx, candidates) = tokio::join!(
            self.store.dial_context(&dial.call_id, &dial.agent_id),
            async {
                match candidates_for {
                    Some(c) => {
                        self.store
                            .available_numbers(c, now, self.candidate_limit(c))
                            .await
                    }
                    None => Ok(Vec::new()),
                }
            }
        );
        let mut ctx = match ctx {
            Ok(ctx) => ctx,
            Err(e) => {
                tracing::error!(call_id = %dial.call_id, error = %e, "emergency dial: context read failed; answering degraded");
                return degraded_answer(
                    dial,
                    self.best_match(dial, known),
                    now,
                    "store_unavailable",
                );
            }
        };
        if let Some(call) = &ctx.call {
            return OutboundAnswer::emergency(call);
        }
        // Where the location did not say, the profile's country decides.
        let profile_country = ctx.agent.as_ref().and_then(|a| a.country);
        let matched = match known {
            Some(m) => m,
            None => match profile_country
                .and_then(|c| match_emergency(&dial.dialed, c, &self.config.outside_line_prefix))
            {
                Some(m) => m,
                // The profile's country says this is no emergency number there.
                None if profile_country.is_some() && dial.location.is_none() => {
                    return OutboundAnswer::ordinary()
                }
                // No usable country at all: still an emergency call, without a lease.
                None => {
                    let reason = if dial.location.is_some() {
                        "unsupported_location"
                    } else {
                        "location_unknown"
                    };
                    return self.record_without_lease(dial, &ctx, now, reason).await;
                }
            },
        };
        let looked_up = match candidates {
            Ok(c) if known.is_some() => Ok(c),
            Ok(_) => {
                self.store
                    .available_numbers(matched.country, now, self.candidate_limit(matched.country))
                    .await
            }
            Err(e) => Err(e),
        };
        // A failed lookup says nothing about the pool: the answer then says the
        // store was unavailable, not that the pool is exhausted.
        let lookup_failed = looked_up.is_err();
        let mut candidates = looked_up.unwrap_or_else(|e| {
            tracing::warn!(call_id = %dial.call_id, error = %e, "available-number lookup failed");
            Vec::new()
        });
        let limit = self.candidate_limit(matched.country);
        if !lookup_failed && ctx.lease.as_ref().is_none_or(|l| !l.is_live(now)) {
            self.report_pool_level(matched.country, candidates.len());
        }
        // A full page means there may be more: look again (a few times) when
        // concurrent dials took these; a short page means the pool is drained.
        let mut requeries_left = if candidates.len() < limit { 0 } else { 5 };
        let mut tried: HashSet<E164> = HashSet::new();
        for _ in 0..MAX_ATTEMPTS {
            let pick = rand::rng().random_range(0..usize::MAX);
            let plan = plan_lease(
                ctx.lease.as_ref(),
                matched.country,
                now,
                &candidates,
                &tried,
                pick,
            );
            let (write, number) = match &plan {
                LeasePlan::Extend(l) => {
                    let next = self.config.lease.on_dial(l, dial.call_id.clone(), now);
                    let available_at = self.config.lease.available_at(&next);
                    let number = next.number.clone();
                    (
                        LeaseWrite::Update {
                            lease: next,
                            available_at,
                            expected_version: l.version,
                        },
                        number,
                    )
                }
                LeasePlan::Claim(number) => {
                    let lease = new_lease(
                        &self.config.lease,
                        &ctx,
                        number.clone(),
                        matched.country,
                        &dial.agent_id,
                        &dial.call_id,
                        &self.config.callback_fallback,
                        now,
                    );
                    let available_at = self.config.lease.available_at(&lease);
                    let pointer_version = ctx.lease.as_ref().map(|l| l.version);
                    (
                        LeaseWrite::Claim {
                            lease,
                            available_at,
                            now,
                            pointer_version,
                        },
                        number.clone(),
                    )
                }
                LeasePlan::Exhausted if requeries_left > 0 => {
                    requeries_left -= 1;
                    candidates = self
                        .store
                        .available_numbers(matched.country, now, limit)
                        .await
                        .unwrap_or_default();
                    if candidates.len() < limit {
                        requeries_left = 0;
                    }
                    continue;
                }
                LeasePlan::Exhausted if lookup_failed => {
                    tracing::error!(call_id = %dial.call_id, country = %matched.country,
                        "no callback number: the lookup failed; presenting the agent's own number");
                    return self
                        .record_without_lease_matched(dial, &ctx, matched, now, "store_unavailable")
                        .await;
                }
                LeasePlan::Exhausted => {
                    tracing::error!(call_id = %dial.call_id, country = %matched.country,
                        "callback-number pool exhausted; presenting the agent's own number");
                    // By country, and in total (the alarm's fixed dimension set).
                    crate::metrics::emit_sets(
                        "PoolExhausted",
                        1.0,
                        "Count",
                        &[("Country", matched.country.code())],
                        &[&["Country"], &[]],
                    );
                    return self
                        .record_without_lease_matched(dial, &ctx, matched, now, "pool_exhausted")
                        .await;
                }
            };
            let lease = match &write {
                LeaseWrite::Claim { lease, .. } | LeaseWrite::Update { lease, .. } => lease,
            };
            let call = self.call_record(dial, &ctx, matched, now, Some(lease), None);
            match self
                .store
                .record_emergency(&call, self.ttl(now), Some(&write))
                .await
            {
                Ok(()) => {
                    tracing::info!(call_id = %dial.call_id, agent_id = %dial.agent_id, number = %lease.number.redacted(),
                        test = matched.test, "emergency call recorded with callback number");
                    return OutboundAnswer::emergency(&call);
                }
                Err(RecordError::CallExists(Some(existing))) => {
                    return OutboundAnswer::emergency(&existing)
                }
                Err(RecordError::CallExists(None)) => return OutboundAnswer::emergency(&call),
                Err(RecordError::NumberTaken) => {
                    tried.insert(number);
                    // Concurrent dials took it: a fresh look shows which are
                    // still free, rather than trying stale candidates one by one.
                    if requeries_left > 0 {
                        requeries_left -= 1;
                        let fresh = self
                            .store
                            .available_numbers(matched.country, now, limit)
                            .await;
                        if let Ok(fresh) = fresh {
                            if fresh.len() < limit {
                                requeries_left = 0;
                            }
                            candidates = fresh;
                        }
                    }
                }
                Err(RecordError::Conflict) => {
                    // Nobody won yet: try again shortly, jittered so racers spread out.
                    let ms = rand::rng().random_range(2..20);
                    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                }
                Err(RecordError::LeaseChanged) => {
                    tried.insert(number);
                    match self.store.dial_context(&dial.call_id, &dial.agent_id).await {
                        Ok(fresh) => {
                            if let Some(call) = &fresh.call {
                                return OutboundAnswer::emergency(call);
                            }
                            ctx = fresh;
                        }
                        Err(e) => {
                            tracing::error!(call_id = %dial.call_id, error = %e, "context re-read failed");
                            return degraded_answer(
                                dial,
                                known_match(matched),
                                now,
                                "store_unavailable",
                            );
                        }
                    }
                }
                Err(RecordError::Store(e)) => {
                    tracing::error!(call_id = %dial.call_id, error = %e, "emergency write failed; answering degraded");
                    return degraded_answer(dial, known_match(matched), now, "store_unavailable");
                }
            }
        }
        tracing::error!(call_id = %dial.call_id, "no callback number after {MAX_ATTEMPTS} attempts");
        self.record_without_lease_matched(dial, &ctx, matched, now, "contention")
            .await
    }

    fn best_match(&self, dial: &OutboundDial, known: Option<EmergencyMatch>) -> BestMatch {
        match known {
            Some(m) => known_match(m),
            None => BestMatch {
                m: Country::ALL.iter().find_map(|c| {
                    match_emergency(&dial.dialed, *c, &self.config.outside_line_prefix)
                }),
                country_known: false,
            },
        }
    }

    fn ttl(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.config.lease.active_call_limit
            + self.config.lease.window
            + self.config.record_retention
    }

    fn call_record(
        &self,
        dial: &OutboundDial,
        ctx: &DialContext,
        m: EmergencyMatch,
        now: DateTime<Utc>,
        lease: Option<&Lease>,
        reason: Option<&str>,
    ) -> EmergencyCall {
        let (route, route_reason) = match &ctx.agent {
            Some(a) => (select_route(a.number_type, ctx.tenant).route, None),
            None => (Route::DirectOffer, Some("agent_profile_missing")),
        };
        EmergencyCall {
            call_id: dial.call_id.clone(),
            agent_id: dial.agent_id.clone(),
            dialed: m.dialed.to_string(),
            emergency_number: m.placed_as.to_string(),
            test: m.test,
            country: Some(m.country),
            location: dial.location.clone(),
            caller_id: lease
                .map(|l| l.number.clone())
                .unwrap_or_else(|| dial.from.clone()),
            leased_number: lease.map(|l| l.number.clone()),
            lease_id: lease.map(|l| l.lease_id.clone()),
            callback_expires_at: lease.map(|l| l.expires_at),
            route,
            degraded: lease.is_none(),
            reason: reason.or(route_reason).map(String::from),
            dialed_at: dial.timestamp.unwrap_or(now).min(now),
            ended_at: None,
        }
    }

    async fn record_without_lease_matched(
        &self,
        dial: &OutboundDial,
        ctx: &DialContext,
        m: EmergencyMatch,
        now: DateTime<Utc>,
        reason: &str,
    ) -> OutboundAnswer {
        let call = self.call_record(dial, ctx, m, now, None, Some(reason));
        self.write_degraded(call, now).await
    }

    async fn record_without_lease(
        &self,
        dial: &OutboundDial,
        ctx: &DialContext,
        now: DateTime<Utc>,
        reason: &str,
    ) -> OutboundAnswer {
        let mut call = degraded_call(dial, self.best_match(dial, None), now, reason);
        if let Some(a) = &ctx.agent {
            call.route = select_route(a.number_type, ctx.tenant).route;
        }
        self.write_degraded(call, now).await
    }

    /// The call is still recorded (side effects need it), without a lease.
    async fn write_degraded(&self, call: EmergencyCall, now: DateTime<Utc>) -> OutboundAnswer {
        match self
            .store
            .record_emergency(&call, self.ttl(now), None)
            .await
        {
            Ok(()) | Err(RecordError::CallExists(None)) => OutboundAnswer::emergency(&call),
            Err(RecordError::CallExists(Some(existing))) => OutboundAnswer::emergency(&existing),
            Err(e) => {
                tracing::error!(call_id = %call.call_id, error = %e, "degraded call record not written");
                OutboundAnswer::emergency(&call)
            }
        }
    }
}

fn known_match(m: EmergencyMatch) -> BestMatch {
    BestMatch {
        m: Some(m),
        country_known: true,
    }
}

#[allow(clippy::too_many_arguments)]
fn new_lease(
    policy: &LeasePolicy,
    ctx: &DialContext,
    number: E164,
    country: Country,
    agent: &AgentId,
    call: &CallId,
    default_fallback: &[String],
    now: DateTime<Utc>,
) -> Lease {
    let fallback = match ctx.agent.as_ref().map(|a| &a.fallback) {
        Some(f) if !f.is_empty() => f.clone(),
        _ => default_fallback.to_vec(),
    };
    let mut lease = policy.start(number, country, agent.clone(), call.clone(), fallback, now);
    // Versions continue the agent's pointer, so a stale writer is always detected.
    lease.version = ctx.lease.as_ref().map_or(1, |l| l.version + 1);
    lease
}

/// What the dial is, for a degraded answer: the match in the known country,
/// or, where the country is unknown, the number as dialed (prefix removed) —
/// no guess at a country's translation (a 112 is not turned into 911).
#[derive(Debug, Clone, Copy)]
struct BestMatch {
    m: Option<EmergencyMatch>,
    country_known: bool,
}

fn degraded_call(
    dial: &OutboundDial,
    best: BestMatch,
    now: DateTime<Utc>,
    reason: &str,
) -> EmergencyCall {
    let digits = crate::domain::numbers::dial_digits(&dial.dialed).unwrap_or_default();
    let m = best.m;
    let placed = match m {
        Some(m) if best.country_known => m.placed_as,
        Some(m) => m.dialed,
        None => digits.as_str(),
    };
    EmergencyCall {
        call_id: dial.call_id.clone(),
        agent_id: dial.agent_id.clone(),
        dialed: m.map_or_else(|| digits.clone(), |m| m.dialed.to_string()),
        emergency_number: placed.to_string(),
        test: best.country_known && m.is_some_and(|m| m.test),
        country: m.filter(|_| best.country_known).map(|m| m.country),
        location: dial.location.clone(),
        caller_id: dial.from.clone(),
        leased_number: None,
        lease_id: None,
        callback_expires_at: None,
        route: Route::DirectOffer,
        degraded: true,
        reason: Some(reason.to_string()),
        dialed_at: dial.timestamp.unwrap_or(now).min(now),
        ended_at: None,
    }
}

/// The answer when the store cannot be used: the call goes out with the
/// agent's own number as caller ID.
fn degraded_answer(
    dial: &OutboundDial,
    best: BestMatch,
    now: DateTime<Utc>,
    reason: &str,
) -> OutboundAnswer {
    OutboundAnswer::emergency(&degraded_call(dial, best, now, reason))
}
