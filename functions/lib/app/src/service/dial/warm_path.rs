//! The warm path: a container that knows the agent's profile, the tenant's
//! settings and a candidate number makes the dial one write, no read; and
//! what readies a container for it (prefetch, preload, warm-up).

use chrono::{DateTime, Utc};

use lifeline_domain::call::{AgentProfile, OutboundAnswer, OutboundDial};
use lifeline_domain::classify::{match_with_profile, ProfileMatch};
use lifeline_domain::numbers::{Country, EmergencyMatch};
use lifeline_domain::route::TenantSettings;

use super::candidates::Candidates;
use super::deadline::Deadline;
use super::DialService;
use crate::ports::{DialContext, DialStore};

impl<S: DialStore + 'static> DialService<S> {
    /// The warm path: with the agent's profile, the tenant's settings and a
    /// candidate number in hand, the dial is one write that assumes a new
    /// call and no lease pointer; its conditions decide, and a refusal
    /// returns what is there (the recorded call, the agent's lease), so the
    /// dial goes on from it without a read. `None`: the container cannot
    /// decide (cold, stale, no candidate); the dial reads first.
    pub(super) async fn warm_dial(
        &self,
        dial: &OutboundDial,
        known: Option<EmergencyMatch>,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> Option<OutboundAnswer> {
        let warm = self.warm.context(&dial.agent_id, now)?;
        let m = match known {
            Some(m) => m,
            None => match match_with_profile(
                dial,
                warm.profile.country,
                &self.settings.outside_line_prefix,
            ) {
                ProfileMatch::Emergency(m) => m,
                // What a fresh profile says decides these.
                ProfileMatch::Ordinary | ProfileMatch::NoCountry(_) => return None,
            },
        };
        let number = self.take_candidate(m.country, deadline).await?;
        self.refill_in_background(m.country);
        let ctx = DialContext {
            call: None,
            agent: Some(warm.profile),
            lease: None,
            tenant: warm.tenant,
            registered: None,
            unreadable: Vec::new(),
        };
        let mut candidates = Candidates::warm(number, self.candidate_limit(m.country));
        Some(
            self.lease_and_record(dial, m, ctx, &mut candidates, now, deadline)
                .await,
        )
    }

    /// Reads ahead the candidate numbers of `countries` (a cold start, off
    /// the request path), so the container's first dials are warm as soon
    /// as their agents' profiles are known.
    pub fn prefetch(&self, countries: &[Country]) {
        for &country in countries {
            if self.warm.start_prefetch(country) {
                self.spawn_refill(country, None);
            }
        }
    }

    /// Agents' profiles and the tenant's settings read ahead, trusted for
    /// the staleness bound like a dial's read.
    pub fn preload(&self, profiles: Vec<AgentProfile>, tenant: TenantSettings) {
        self.warm.preload(profiles, tenant, self.clock.now());
    }

    /// `preload`, and the candidates of `countries` read now (awaited): a
    /// container that is warm before its first dial (the local runner's
    /// start, the benchmarks). A failed read leaves that country cold.
    pub async fn warm_up(
        &self,
        profiles: Vec<AgentProfile>,
        tenant: TenantSettings,
        countries: &[Country],
    ) {
        self.preload(profiles, tenant);
        for &country in countries {
            if !self.warm.start_prefetch(country) {
                continue;
            }
            self.refill(country, None).await;
        }
    }

    /// How many candidates the container holds for `country` (benchmarks).
    pub fn queued_candidates(&self, country: Country) -> usize {
        self.warm.queued(country)
    }
}
