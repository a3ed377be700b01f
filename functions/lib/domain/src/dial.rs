//! The emergency dial's decisions: which lease the call gets, and the call
//! record that is written and answered. Pure: the caller brings the time, the
//! new lease's id and the random pick.

use chrono::{DateTime, Utc};
use std::collections::HashSet;

use crate::call::{desktop_time, AgentProfile, EmergencyCall, OutboundDial};
use crate::degraded::DegradedReason;
use crate::lease::{Lease, LeasePolicy, NewLease};
use crate::numbers::{dial_digits, match_anywhere, Country, EmergencyMatch, OutsideLinePrefix};
use crate::route::{select_route, Route, TenantSettings};
use crate::types::{LeaseId, E164};

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
/// available one (`pick`, a random number, spreads concurrent dials over the
/// candidates).
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
    // They are all the least recently released, so any pick keeps the preference.
    LeasePlan::Claim(open[pick % open.len()].clone())
}

/// A new lease on `number` for the dial. Its fallbacks are the agent's, else
/// the configured default; its version continues the agent's pointer, so a
/// stale writer is always detected.
pub fn new_lease(
    policy: &LeasePolicy,
    dial: &OutboundDial,
    agent: Option<&AgentProfile>,
    previous: Option<&Lease>,
    claim: (LeaseId, E164, Country),
    default_fallback: &[String],
    now: DateTime<Utc>,
) -> Lease {
    let (id, number, country) = claim;
    let fallback = match agent.map(|a| &a.fallback) {
        Some(f) if !f.is_empty() => f.clone(),
        _ => default_fallback.to_vec(),
    };
    let new = NewLease {
        id,
        number,
        country,
        agent: dial.agent_id.clone(),
        call: dial.call_id.clone(),
        fallback,
    };
    let mut lease = policy.start(new, now);
    lease.version = previous.map_or(1, |l| l.version + 1);
    lease
}

/// The emergency call record for a dial matched in `m`'s country, with the
/// lease it got (none: degraded, the agent's own number is presented).
pub fn call_record(
    dial: &OutboundDial,
    agent: Option<&AgentProfile>,
    tenant: TenantSettings,
    m: EmergencyMatch,
    lease: Option<&Lease>,
    reason: Option<DegradedReason>,
    now: DateTime<Utc>,
) -> EmergencyCall {
    let (route, route_reason) = match agent {
        Some(a) => (select_route(a.number_type, tenant).route, None),
        None => (
            Route::DirectOffer,
            Some(DegradedReason::AgentProfileMissing),
        ),
    };
    EmergencyCall {
        call_id: dial.call_id.clone(),
        agent_id: dial.agent_id.clone(),
        dialed: m.dialed.to_string(),
        emergency_number: m.placed_as.to_string(),
        test: m.test,
        country: Some(m.country),
        location: dial.location.clone(),
        location_source: dial.location_source(Some(m.country)),
        caller_id: lease
            .map(|l| l.number.clone())
            .unwrap_or_else(|| dial.from.clone()),
        leased_number: lease.map(|l| l.number.clone()),
        lease_id: lease.map(|l| l.lease_id.clone()),
        callback_expires_at: lease.map(|l| l.expires_at),
        route,
        degraded: lease.is_none(),
        reason: reason.or(route_reason),
        dialed_at: now,
        desktop_time: desktop_time(dial.timestamp, now),
        ended_at: None,
    }
}

/// What the dial is, for a degraded answer: the match in the known country,
/// or, where the country is unknown, the number as dialed (prefix removed) —
/// no guess at a country's translation (a 112 is not turned into 911).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BestMatch {
    pub m: Option<EmergencyMatch>,
    pub country_known: bool,
}

impl BestMatch {
    /// The match in the dial's known country.
    pub fn known(m: EmergencyMatch) -> Self {
        BestMatch {
            m: Some(m),
            country_known: true,
        }
    }

    /// `known`, else the first country whose emergency numbers match, with
    /// the country marked unknown.
    pub fn of(
        dial: &OutboundDial,
        known: Option<EmergencyMatch>,
        prefix: &OutsideLinePrefix,
    ) -> Self {
        match known {
            Some(m) => BestMatch::known(m),
            None => BestMatch {
                m: match_anywhere(&dial.dialed, prefix),
                country_known: false,
            },
        }
    }
}

/// The record of an emergency call that got no lease and whose country may
/// be unknown: the agent's own number is presented.
pub fn degraded_call(
    dial: &OutboundDial,
    best: BestMatch,
    reason: DegradedReason,
    now: DateTime<Utc>,
) -> EmergencyCall {
    let dialed = dialed_as_recorded(dial, best);
    let m = best.m;
    let placed = match m {
        Some(m) if best.country_known => m.placed_as.to_string(),
        Some(m) => m.dialed.to_string(),
        None => dialed.clone(),
    };
    EmergencyCall {
        call_id: dial.call_id.clone(),
        agent_id: dial.agent_id.clone(),
        dialed,
        emergency_number: placed,
        test: best.country_known && m.is_some_and(|m| m.test),
        country: m.filter(|_| best.country_known).map(|m| m.country),
        location: dial.location.clone(),
        location_source: dial.location_source(m.filter(|_| best.country_known).map(|m| m.country)),
        caller_id: dial.from.clone(),
        leased_number: None,
        lease_id: None,
        callback_expires_at: None,
        route: Route::DirectOffer,
        degraded: true,
        reason: Some(reason),
        dialed_at: now,
        desktop_time: desktop_time(dial.timestamp, now),
        ended_at: None,
    }
}

/// What a record keeps as `dialed`: the matched number (separators and the
/// outside-line prefix removed), else the digits as dialed.
fn dialed_as_recorded(dial: &OutboundDial, best: BestMatch) -> String {
    best.m.map_or_else(
        || dial_digits(&dial.dialed).unwrap_or_default(),
        |m| m.dialed.to_string(),
    )
}

/// Whether `recorded` is this dial's record: a `callId` belongs to one agent
/// and one dialed number. A retried webhook is the same dial; a desktop that
/// reuses ids after a restart, or two platforms whose ids collide, are not.
pub fn same_dial(recorded: &EmergencyCall, dial: &OutboundDial, best: BestMatch) -> bool {
    recorded.agent_id == dial.agent_id && recorded.dialed == dialed_as_recorded(dial, best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::samples::dial;
    use crate::numbers::match_emergency;
    use crate::recipient::Recipients;
    use crate::route::NumberType;
    use chrono::Duration;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_496_400, 0).unwrap() + Duration::minutes(min)
    }
    fn e(s: &str) -> E164 {
        s.parse().unwrap()
    }
    fn agent(fallback: Vec<String>) -> AgentProfile {
        AgentProfile {
            name: "Ana".into(),
            email: None,
            number_type: NumberType::DirectRouting,
            recipients: Recipients::default(),
            fallback,
            outbound_profile: None,
            ..crate::testing::agent("a-42")
        }
    }
    fn lease(number: &str, at: DateTime<Utc>) -> Lease {
        new_lease(
            &LeasePolicy::default(),
            &dial("911", Some("US")),
            None,
            None,
            ("l-1".parse().unwrap(), e(number), Country::US),
            &[],
            at,
        )
    }
    fn us911() -> EmergencyMatch {
        match_emergency("911", Country::US, &OutsideLinePrefix::default()).unwrap()
    }

    #[test]
    fn a_live_lease_is_extended_then_the_previous_number_then_a_pick() {
        let none = HashSet::new();
        let pool = [e("+14255550101"), e("+14255550102"), e("+14255550103")];
        let live = lease("+14255550199", t(0));
        assert_eq!(
            plan_lease(Some(&live), Country::US, t(10), &pool, &none, 7),
            LeasePlan::Extend(live.clone())
        );
        // Past its hold: the agent's own number again, before any other.
        let past = t(60 * 24);
        assert_eq!(
            plan_lease(Some(&live), Country::US, past, &pool, &none, 7),
            LeasePlan::Claim(e("+14255550199"))
        );
        // A lease in another country says nothing about this one.
        assert_eq!(
            plan_lease(Some(&live), Country::GB, t(10), &pool, &none, 7),
            LeasePlan::Claim(pool[7 % 3].clone())
        );
        let tried: HashSet<E164> = [e("+14255550199"), pool[0].clone()].into();
        assert_eq!(
            plan_lease(Some(&live), Country::US, past, &pool, &tried, 0),
            LeasePlan::Claim(pool[1].clone())
        );
        let all: HashSet<E164> = pool.iter().cloned().collect();
        assert_eq!(
            plan_lease(None, Country::US, t(0), &pool, &all, 0),
            LeasePlan::Exhausted
        );
    }

    #[test]
    fn a_new_lease_takes_the_given_id_continues_the_version_and_prefers_the_agents_fallback() {
        let previous = lease("+14255550199", t(0));
        let l = new_lease(
            &LeasePolicy::default(),
            &dial("911", Some("US")),
            Some(&agent(vec!["a-7".into()])),
            Some(&previous),
            ("l-2".parse().unwrap(), e("+14255550101"), Country::US),
            &["queue:supervisors".into()],
            t(5),
        );
        assert_eq!(l.lease_id.as_str(), "l-2");
        assert_eq!(l.version, previous.version + 1);
        assert_eq!(l.fallback, vec!["a-7"]);
        assert_eq!(l.expires_at, t(65));
        let l = new_lease(
            &LeasePolicy::default(),
            &dial("911", Some("US")),
            Some(&agent(vec![])),
            None,
            ("l-3".parse().unwrap(), e("+14255550101"), Country::US),
            &["queue:supervisors".into()],
            t(5),
        );
        assert_eq!(
            (l.version, l.fallback),
            (1, vec!["queue:supervisors".into()])
        );
    }

    #[test]
    fn the_record_presents_the_lease_or_the_agents_own_number() {
        let l = lease("+14255550199", t(0));
        let tenant = TenantSettings::default();
        let a = agent(vec![]);
        let leased = call_record(
            &dial("9-911", Some("US")),
            Some(&a),
            tenant,
            us911(),
            Some(&l),
            None,
            t(0),
        );
        assert_eq!(leased.caller_id, l.number);
        assert!(!leased.degraded && leased.reason.is_none());
        assert_eq!(
            leased.route,
            select_route(NumberType::DirectRouting, tenant).route
        );
        let own = call_record(
            &dial("911", Some("US")),
            None,
            tenant,
            us911(),
            None,
            Some(DegradedReason::PoolExhausted),
            t(0),
        );
        assert_eq!(own.caller_id, e("+14255550100"));
        assert!(own.degraded);
        assert_eq!(
            own.reason.map(DegradedReason::as_str),
            Some("pool_exhausted")
        );
        assert_eq!(own.route, Route::DirectOffer);
    }

    #[test]
    fn a_call_id_belongs_to_one_agent_and_one_dialed_number() {
        let prefix: OutsideLinePrefix = "9".parse().unwrap();
        let same = |recorded: &EmergencyCall, d: &OutboundDial| {
            same_dial(recorded, d, BestMatch::of(d, None, &prefix))
        };
        let first_dial = dial("9-911", Some("US"));
        let first = degraded_call(
            &first_dial,
            BestMatch::of(&first_dial, None, &prefix),
            DegradedReason::Timeout,
            t(0),
        );
        // A retry, with or without the outside-line prefix: the same dial.
        assert!(same(&first, &dial("911", Some("US"))));
        let mut other_agent = dial("911", Some("US"));
        other_agent.agent_id = "a-43".parse().unwrap();
        assert!(!same(&first, &other_agent));
        assert!(!same(&first, &dial("933", Some("US"))));
    }

    #[test]
    fn the_calls_time_is_the_servers_and_the_desktops_is_kept_only_when_close() {
        let tenant = TenantSettings::default();
        let mut d = dial("911", Some("US"));
        for (offset, kept) in [
            (-240, false),
            (-6, false),
            (-5, true),
            (0, true),
            (3, true),
            (10, false),
        ] {
            d.timestamp = Some(t(offset));
            let c = call_record(&d, None, tenant, us911(), None, None, t(0));
            assert_eq!(c.dialed_at, t(0), "{offset}");
            assert_eq!(c.desktop_time, kept.then(|| t(offset)), "{offset}");
            let c = degraded_call(&d, BestMatch::known(us911()), DegradedReason::Timeout, t(0));
            assert_eq!(
                (c.dialed_at, c.desktop_time.is_some()),
                (t(0), kept),
                "{offset}"
            );
        }
    }

    #[test]
    fn with_no_known_country_the_number_is_placed_as_dialed() {
        let prefix = OutsideLinePrefix::default();
        let d = dial("112", None);
        let best = BestMatch::of(&d, None, &prefix);
        assert!(!best.country_known);
        let c = degraded_call(&d, best, DegradedReason::LocationUnknown, t(0));
        assert_eq!(
            c.emergency_number, "112",
            "not translated to a country's 911"
        );
        assert_eq!((c.country, c.test), (None, false));
        assert_eq!(c.caller_id, d.from);
        let known = degraded_call(
            &dial("112", Some("US")),
            BestMatch::known(match_emergency("112", Country::US, &prefix).unwrap()),
            DegradedReason::Timeout,
            t(0),
        );
        assert_eq!(known.emergency_number, "911");
        assert_eq!(known.country, Some(Country::US));
    }
}
