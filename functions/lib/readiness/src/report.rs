//! The report: every check over what was looked up (pure), its exit code
//! and its text.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

use lifeline_app::settings::LowWater;
use lifeline_domain::call::AgentProfile;
use lifeline_domain::location::RegisteredLocation;
use lifeline_domain::notification::NotificationTemplate;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::TenantSettings;
use lifeline_domain::types::AgentId;

use super::agent::{check_location, check_outbound_profile, check_recipients, check_route};
use super::call_path::check_call_path_concurrency;
use super::deployment::{
    check_identity, check_no_pool, check_pool, check_schedule_group, check_table, check_template,
    IdentityState, PoolLookup, TableState,
};
use super::finding::{Finding, Level};
use super::platform::{
    check_platform_presence, check_platform_user, check_twilio_emergency_addresses,
    check_twilio_last_resort, PlatformPresenceSetting, VoicePlatform,
};
use super::registered_location::check_registered_location;
use super::webhook_secret::{check_previous_secret, SecretLookup};

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub checked_at: String,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn worst(&self) -> Level {
        self.findings
            .iter()
            .map(|f| f.level)
            .max()
            .unwrap_or(Level::Ok)
    }

    /// 0 all good, 1 warnings only, 2 any error.
    pub fn exit_code(&self) -> u8 {
        match self.worst() {
            Level::Ok => 0,
            Level::Warning => 1,
            Level::Error => 2,
        }
    }

    pub fn count(&self, level: Level) -> usize {
        self.findings.iter().filter(|f| f.level == level).count()
    }

    /// A readable table: one line a check, the advice under it.
    pub fn to_text(&self) -> String {
        let mut out = format!("Lifeline readiness — {}\n", self.checked_at);
        let mut scope = "";
        for f in &self.findings {
            if f.scope != scope {
                scope = &f.scope;
                out.push_str(&format!("\n{}\n", scope.to_uppercase()));
            }
            // A check's name longer than the column still gets a space.
            out.push_str(&format!(
                "  {} {:<16} {}\n",
                f.level.mark(),
                f.check,
                f.detail
            ));
            if let Some(a) = &f.advice {
                out.push_str(&format!("    {:<17}→ {a}\n", ""));
            }
        }
        out.push_str(&format!(
            "\n{} ok, {} warning(s), {} error(s) — exit {}\n",
            self.count(Level::Ok),
            self.count(Level::Warning),
            self.count(Level::Error),
            self.exit_code()
        ));
        out
    }
}

/// Everything looked up, once per resource.
#[derive(Debug, Clone)]
pub struct Lookups {
    pub table: String,
    pub table_state: TableState,
    pub from: String,
    pub identity: IdentityState,
    pub group: String,
    pub group_exists: bool,
    pub template: NotificationTemplate,
    pub tenant: TenantSettings,
    /// Each pool country's pool (free numbers capped at low water + 1).
    pub pools: Vec<PoolLookup>,
    /// The agents checked: every one, or the one asked for.
    pub agents: Vec<AgentProfile>,
    /// How many agents the table holds (whoever is checked): how many may
    /// dial at once.
    pub agent_count: usize,
    /// Executions reserved for the function that takes the dials, as
    /// configured (the stack's `CallPathReservedConcurrency`).
    pub call_path_reserved: u32,
    /// The webhook secret's versions, when a secret is configured.
    pub webhook_secret: Option<SecretLookup>,
    /// The agents' registered locations (fresh or not); none for an agent
    /// that has not registered one.
    pub registered: BTreeMap<AgentId, RegisteredLocation>,
    /// How long a registered location stands in for a dial's own, as the
    /// deployment has it (`LIFELINE_LOCATION_FRESH_HOURS`).
    pub location_fresh_for: Duration,
    pub platform: VoicePlatform,
    /// With Twilio: `LIFELINE_TWILIO_LAST_RESORT` as configured (the stack's
    /// `TwilioLastResort`), `None` when unset.
    pub twilio_last_resort: Option<String>,
    /// Whose agent status follows Lifeline's Do Not Disturb, as configured.
    pub platform_presence: PlatformPresenceSetting,
}

/// The per-agent checks; `registered` is the agent's registered location.
pub fn agent_findings(
    a: &AgentProfile,
    tenant: TenantSettings,
    registered: Option<&RegisteredLocation>,
    fresh_for: Duration,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    vec![
        check_outbound_profile(a),
        check_location(a),
        check_registered_location(a, registered, fresh_for, now),
        check_recipients(a),
        check_route(a, tenant),
    ]
}

/// The report from the lookups (pure).
pub fn report(l: &Lookups, low_water: &LowWater, now: DateTime<Utc>) -> Report {
    let mut findings = vec![
        check_table(&l.table, &l.table_state),
        check_identity(&l.from, l.identity),
        check_template(&l.template),
        check_schedule_group(&l.group, l.group_exists),
        check_call_path_concurrency(l.call_path_reserved, l.agent_count),
    ];
    findings.extend(
        l.webhook_secret
            .as_ref()
            .map(|versions| check_previous_secret(versions, now)),
    );
    findings.extend(l.pools.iter().map(|p| {
        if p.exists {
            check_pool(p.country, p.free, low_water.of(p.country))
        } else {
            check_no_pool(p.country)
        }
    }));
    if l.platform == VoicePlatform::Twilio {
        findings.push(check_twilio_emergency_addresses(&l.pools));
        findings.push(check_twilio_last_resort(l.twilio_last_resort.as_deref()));
    }
    findings.extend(check_platform_presence(&l.platform_presence));
    for a in &l.agents {
        findings.extend(agent_findings(
            a,
            l.tenant,
            l.registered.get(&a.id),
            l.location_fresh_for,
            now,
        ));
        if let Some(p) = &l.platform_presence.platform {
            findings.push(check_platform_user(a, p));
        }
    }
    Report {
        checked_at: now.format("%Y-%m-%d %H:%M UTC").to_string(),
        findings,
    }
}

/// The pools to check: every country an agent lives in (other countries'
/// pools only matter for visitors, and an empty one there is no finding).
pub fn pool_countries(agents: &[AgentProfile]) -> Vec<Country> {
    let mut v: Vec<Country> = agents.iter().filter_map(|a| a.country).collect();
    v.sort();
    v.dedup();
    v
}

/// Where to look, and what the deployment is configured with.
#[derive(Debug, Clone)]
pub struct Targets {
    pub from: String,
    pub group: String,
    pub low_water: LowWater,
    pub platform: VoicePlatform,
    /// The stack's `CallPathReservedConcurrency`.
    pub call_path_reserved: u32,
    /// The webhook secret's ARN or name (none: not checked).
    pub webhook_secret: Option<String>,
    /// How long a registered location stands in for a dial's own, as the
    /// deployment has it ([`LOCATION_FRESH_VAR`](crate::LOCATION_FRESH_VAR),
    /// read through the functions' `Settings`).
    pub location_fresh_for: Duration,
    /// [`TWILIO_LAST_RESORT_VAR`](crate::TWILIO_LAST_RESORT_VAR) as
    /// configured (the stack's `TwilioLastResort`), `None` when unset; only
    /// checked with Twilio.
    pub twilio_last_resort: Option<String>,
    /// Whose agent status follows Lifeline's Do Not Disturb, as configured
    /// ([`PlatformPresenceSetting::from_lookup`]).
    pub platform_presence: PlatformPresenceSetting,
}
