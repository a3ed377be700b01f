//! The checks: each a small pure function from what was looked up to a
//! finding, and the report they make.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

use lifeline_app::settings::LowWater;
pub use lifeline_aws::dynamo::TableState;
pub use lifeline_aws::ses::IdentityState;
use lifeline_domain::call::AgentProfile;
use lifeline_domain::location::{grade, CivicKey, Location, LocationQuality, RegisteredLocation};
use lifeline_domain::notification::{validate, NotificationTemplate};
use lifeline_domain::numbers::Country;
use lifeline_domain::route::{select_route, TenantSettings};
use lifeline_domain::types::AgentId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Warning,
    Error,
}

impl Level {
    pub fn mark(self) -> &'static str {
        match self {
            Level::Ok => "✔",
            Level::Warning => "⚠",
            Level::Error => "✖",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `deployment` or `agent a-42`.
    pub scope: String,
    pub check: &'static str,
    pub level: Level,
    pub detail: String,
    /// One line on what to do (none when all is well).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
}

fn finding(
    scope: &str,
    check: &'static str,
    level: Level,
    detail: String,
    advice: Option<String>,
) -> Finding {
    Finding {
        scope: scope.to_string(),
        check,
        level,
        detail,
        advice,
    }
}

fn agent_scope(a: &AgentProfile) -> String {
    format!("agent {}", a.id)
}

// ---- agent checks -------------------------------------------------------------

pub fn check_outbound_profile(a: &AgentProfile) -> Finding {
    match &a.outbound_profile {
        Some(p) => finding(&agent_scope(a), "outbound profile", Level::Ok, format!("outbound voice profile {p}"), None),
        None => finding(
            &agent_scope(a),
            "outbound profile",
            Level::Error,
            "no outbound voice profile: the platform may refuse the emergency call".into(),
            Some(format!(
                "link one to the agent's capacity profile, then `lifeline agent put --id {} … --outbound-profile <name>`",
                a.id
            )),
        ),
    }
}

/// The recognised numbers, as an admin reads them.
pub fn numbers_recognised(c: Country) -> String {
    c.recognised_numbers().join(", ")
}

pub fn check_location(a: &AgentProfile) -> Finding {
    let scope = agent_scope(a);
    match (a.country, &a.other_country) {
        (Some(c), _) => finding(&scope, "location", Level::Ok, format!("{c}: recognises {}", numbers_recognised(c)), None),
        (None, Some(other)) => finding(
            &scope,
            "location",
            Level::Error,
            format!("home country {other} is not supported: emergency dials are passed through without a callback number or e-mail"),
            Some("Lifeline supports US, CA, PR, GB and DK; route this agent's emergency calls through the carrier".into()),
        ),
        (None, None) => finding(
            &scope,
            "location",
            Level::Warning,
            "no home country: dials rely on the desktop's location".into(),
            Some(format!("`lifeline agent put --id {} … --country <code>`", a.id)),
        ),
    }
}

pub fn check_recipients(a: &AgentProfile) -> Finding {
    let n = a.recipients.as_slice().len();
    if n == 0 {
        finding(
            &agent_scope(a),
            "recipients",
            Level::Warning,
            "no notification recipients: nobody is e-mailed when this agent dials an emergency number".into(),
            Some(format!(
                "`lifeline agent recipients set {} \"sup@example.com; security@example.com\"`",
                a.id
            )),
        )
    } else {
        finding(
            &agent_scope(a),
            "recipients",
            Level::Ok,
            format!("{n} recipient(s): {}", a.recipients.joined()),
            None,
        )
    }
}

pub fn check_route(a: &AgentProfile, tenant: TenantSettings) -> Finding {
    let d = select_route(a.number_type, tenant);
    let detail = format!(
        "{} ({}): {}",
        d.route.as_str(),
        a.number_type.as_str(),
        d.reason
    );
    if d.carrier_must_be_configured {
        finding(
            &agent_scope(a),
            "route",
            Level::Warning,
            detail,
            Some("the carrier must be set up for emergency calls on this trunk, or add an emergency direct-routing rule (`lifeline tenant set`)".into()),
        )
    } else {
        finding(&agent_scope(a), "route", Level::Ok, detail, None)
    }
}

/// A span of time as an admin reads it: `45 min`, `13 h 20 min`, `3 d 4 h`.
pub fn span(d: Duration) -> String {
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let parts = [(days, "d"), (hours, "h"), (mins, "min")];
    let mut shown: Vec<String> = parts
        .iter()
        .skip_while(|(n, _)| *n == 0)
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    if shown.is_empty() {
        shown.push("0 min".into());
    }
    shown.join(" ")
}

/// What a location lacks to be dispatchable (street, house number, city,
/// and state or postcode; a country from it or the profile).
fn missing_for_dispatch(l: &Location, country_known: bool) -> Vec<&'static str> {
    let has = |k| l.civic.get(k).is_some();
    let mut missing = Vec::new();
    if !country_known && l.country.is_none() {
        missing.push("country");
    }
    for (key, what) in [
        (CivicKey::RD, "street (RD)"),
        (CivicKey::HNO, "house number (HNO)"),
        (CivicKey::A3, "city (A3)"),
    ] {
        if !has(key) {
            missing.push(what);
        }
    }
    if !has(CivicKey::A1) && !has(CivicKey::PC) {
        missing.push("state or postcode (A1 or PC)");
    }
    missing
}

/// What a dial that brings no location of its own carries when the
/// registered one cannot stand in: the profile's country, if any.
fn carries_without(a: &AgentProfile) -> String {
    match a.country {
        Some(c) => format!("will carry only the home country {c}"),
        None => "will carry no location at all".into(),
    }
}

/// The agent's registered location: what a dial that brings no location of
/// its own carries (the desktop's registration at shift start, or an
/// admin's). Fresh and dispatchable, or a warning saying what dials get.
pub fn check_registered_location(
    a: &AgentProfile,
    registered: Option<&RegisteredLocation>,
    fresh_for: Duration,
    now: DateTime<Utc>,
) -> Finding {
    let scope = agent_scope(a);
    let check = "registered location";
    let register = format!(
        "`lifeline agent location set {} …` or from the desktop (PUT /agents/{}/location)",
        a.id, a.id
    );
    let Some(r) = registered else {
        return finding(
            &scope,
            check,
            Level::Warning,
            format!(
                "no registered location: dials without a location of their own {}",
                carries_without(a)
            ),
            Some(format!("register one with {register}")),
        );
    };
    let country_known = a.country.is_some();
    let quality = grade(Some(&r.location), country_known);
    let not_dispatchable = (quality != Some(LocationQuality::Dispatchable)).then(|| {
        format!(
            "{} (no {})",
            quality.map_or("empty", LocationQuality::as_str),
            missing_for_dispatch(&r.location, country_known).join(", no ")
        )
    });
    let age = span(now - r.registered_at);
    let limit = span(fresh_for);
    if !r.is_fresh(now, fresh_for) {
        return finding(
            &scope,
            check,
            Level::Warning,
            format!(
                "registered location is {age} old, past the freshness limit of {limit}: dials without a location of their own {}{}",
                carries_without(a),
                not_dispatchable
                    .map(|q| format!("; it is also {q}"))
                    .unwrap_or_default()
            ),
            Some(format!(
                "register it again with {register}; the limit is {}",
                crate::LOCATION_FRESH_VAR
            )),
        );
    }
    match not_dispatchable {
        Some(q) => finding(
            &scope,
            check,
            Level::Warning,
            format!(
                "registered location is {q}: dials without a location of their own will carry only that, not enough to reach the door"
            ),
            Some(format!(
                "register one with a street, house number, city, and state or postcode: {register}"
            )),
        ),
        None => finding(
            &scope,
            check,
            Level::Ok,
            format!("dispatchable, registered {age} ago (fresh for {limit})"),
            None,
        ),
    }
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

// ---- deployment checks --------------------------------------------------------------

const DEPLOYMENT: &str = "deployment";

pub fn check_identity(from: &str, state: IdentityState) -> Finding {
    match state {
        IdentityState::Verified => finding(DEPLOYMENT, "mail identity", Level::Ok, format!("{from} exists and may send"), None),
        IdentityState::Unverified => finding(
            DEPLOYMENT,
            "mail identity",
            Level::Error,
            format!("{from} exists but is not verified for sending"),
            Some("finish the verification e-mail or DNS records in SES".into()),
        ),
        IdentityState::Missing => finding(
            DEPLOYMENT,
            "mail identity",
            Level::Error,
            format!("{from} is not an SES identity: no emergency e-mail can be sent"),
            Some(format!("create and verify it in SES (`aws sesv2 create-email-identity --email-identity {from}`)")),
        ),
    }
}

pub fn check_template(t: &NotificationTemplate) -> Finding {
    let which = if t.version == 0 {
        "the built-in template".to_string()
    } else {
        format!("template version {}", t.version)
    };
    match validate(t) {
        Ok(()) => finding(DEPLOYMENT, "e-mail template", Level::Ok, format!("{which} renders"), None),
        Err(e) => finding(
            DEPLOYMENT,
            "e-mail template",
            Level::Error,
            format!("{which} does not render: {e}"),
            Some("fix it and `lifeline template push` (the notifier falls back to the built-in one meanwhile)".into()),
        ),
    }
}

/// A country's callback-number pool, as looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolLookup {
    pub country: Country,
    /// Free numbers, capped at what the lookup asked for (`low_water + 1`).
    pub free: usize,
    /// Whether the pool has any number at all (free, leased or in
    /// quarantine): an empty pool is exhausted, a missing one never set up.
    pub exists: bool,
}

/// A pool country with no pool at all: its dials are answered `no_pool`.
pub fn check_no_pool(country: Country) -> Finding {
    finding(
        DEPLOYMENT,
        "pool",
        Level::Error,
        format!("no callback-number pool for {country}: emergency calls from there go out with the agent's own number (degraded, reason no_pool)"),
        Some(format!("`lifeline pool add --country {country} …`")),
    )
}

/// `free` is capped at what the lookup asked for (`low_water + 1`).
pub fn check_pool(country: Country, free: usize, low_water: usize) -> Finding {
    let scope = DEPLOYMENT;
    let check = "pool";
    if free == 0 {
        finding(
            scope,
            check,
            Level::Error,
            format!("{country} pool has no free callback number: emergency calls go out with the agent's own number (degraded, reason pool_exhausted)"),
            Some(format!("`lifeline pool add --country {country} +1…`")),
        )
    } else if free < low_water {
        finding(
            scope,
            check,
            Level::Warning,
            format!(
                "{country} pool has {free} free number(s), below the low-water mark of {low_water}"
            ),
            Some(format!("`lifeline pool add --country {country} …`")),
        )
    } else {
        finding(
            scope,
            check,
            Level::Ok,
            format!("{country} pool has at least {free} free number(s)"),
            None,
        )
    }
}

pub fn check_schedule_group(group: &str, exists: bool) -> Finding {
    if exists {
        finding(
            DEPLOYMENT,
            "schedule group",
            Level::Ok,
            format!("{group} exists"),
            None,
        )
    } else {
        finding(
            DEPLOYMENT,
            "schedule group",
            Level::Warning,
            format!(
                "schedule group {group} is missing: leases expire correctly but are not cleaned up"
            ),
            Some("deploy the SAM template (it creates the group) or create it".into()),
        )
    }
}

pub fn check_table(table: &str, t: &TableState) -> Finding {
    match (t.exists, &t.stream) {
        (true, Some(view)) if view == "NEW_AND_OLD_IMAGES" => finding(
            DEPLOYMENT,
            "table",
            Level::Ok,
            format!("{table} exists, stream {view}"),
            None,
        ),
        (true, other) => finding(
            DEPLOYMENT,
            "table",
            Level::Error,
            format!(
                "{table} has {}: presence, e-mail and expiry never run",
                other
                    .as_deref()
                    .map_or("no stream".into(), |v| format!("stream {v}"))
            ),
            Some("enable the stream with NEW_AND_OLD_IMAGES (the SAM template does)".into()),
        ),
        (false, _) => finding(
            DEPLOYMENT,
            "table",
            Level::Error,
            format!("table {table} does not exist"),
            Some("deploy the SAM template, or `lifeline table create` locally".into()),
        ),
    }
}

// ---- the report ------------------------------------------------------------------------

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
    pub agents: Vec<AgentProfile>,
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

/// `LIFELINE_PLATFORM_PRESENCE` and the emergency status it puts on, as
/// configured (the stack's `PlatformPresence` and its emergency status).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlatformPresenceSetting {
    /// `connect` or `twilio`; `None`: presence stays in Lifeline.
    pub platform: Option<String>,
    /// `LIFELINE_CONNECT_EMERGENCY_STATUS_ID` or `LIFELINE_TWILIO_EMERGENCY_ACTIVITY_SID`.
    pub emergency_status: Option<String>,
}

impl PlatformPresenceSetting {
    /// The variable naming the emergency status on `platform`.
    pub fn emergency_var(platform: &str) -> &'static str {
        match platform {
            "twilio" => "LIFELINE_TWILIO_EMERGENCY_ACTIVITY_SID",
            _ => "LIFELINE_CONNECT_EMERGENCY_STATUS_ID",
        }
    }
}

/// With platform presence on: the emergency status it puts on is configured.
pub fn check_platform_presence(s: &PlatformPresenceSetting) -> Option<Finding> {
    let platform = s.platform.as_deref()?;
    let var = PlatformPresenceSetting::emergency_var(platform);
    Some(match s.emergency_status.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(status) => finding(
            DEPLOYMENT,
            "platform presence",
            Level::Ok,
            format!("agents' {platform} status follows Do Not Disturb (emergency status {status})"),
            None,
        ),
        None => finding(
            DEPLOYMENT,
            "platform presence",
            Level::Error,
            format!("{var} is not set: platform-presence does not start, and Do Not Disturb never reaches {platform}"),
            Some(format!("create an emergency status on {platform} (unavailable for routing), set it in the stack and {var} here")),
        ),
    })
}

/// With platform presence on: the agent has a user there, or Do Not
/// Disturb does not reach them (routed contacts keep coming during a 911 call).
pub fn check_platform_user(a: &AgentProfile, platform: &str) -> Finding {
    let (user, flag) = match platform {
        "twilio" => (
            a.platform.twilio_worker_sid.as_deref(),
            "--twilio-worker-sid",
        ),
        _ => (a.platform.connect_user_id.as_deref(), "--connect-user-id"),
    };
    match user {
        Some(u) => finding(&agent_scope(a), "platform user", Level::Ok, format!("{platform} user {u}"), None),
        None => finding(
            &agent_scope(a),
            "platform user",
            Level::Warning,
            format!("no {platform} user: during an emergency call the agent stays routable on {platform}"),
            Some(format!("`lifeline agent put --id {} … {flag} <id>`", a.id)),
        ),
    }
}

/// The report from the lookups (pure).
pub fn report(l: &Lookups, low_water: &LowWater, now: DateTime<Utc>) -> Report {
    let mut findings = vec![
        check_table(&l.table, &l.table_state),
        check_identity(&l.from, l.identity),
        check_template(&l.template),
        check_schedule_group(&l.group, l.group_exists),
    ];
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

/// Where to look.
#[derive(Debug, Clone)]
pub struct Targets {
    pub from: String,
    pub group: String,
    pub low_water: LowWater,
    pub platform: VoicePlatform,
}

/// The voice platform in front of Lifeline: some have prerequisites of their own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum VoicePlatform {
    /// Lifeline's own webhooks (DESIGN §3).
    #[default]
    Webhook,
    Connect,
    Twilio,
}

impl std::str::FromStr for VoicePlatform {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "webhook" | "webhooks" => Ok(VoicePlatform::Webhook),
            "connect" | "amazon-connect" => Ok(VoicePlatform::Connect),
            "twilio" | "flex" => Ok(VoicePlatform::Twilio),
            other => Err(format!(
                "`{other}` is not a voice platform (webhook, connect, twilio)"
            )),
        }
    }
}

/// Twilio places 911 by the emergency address registered on the From number,
/// and a callback number is the From of an emergency call: each needs one.
/// Twilio's registrations are not visible from here, hence a standing reminder.
pub fn check_twilio_emergency_addresses(pools: &[PoolLookup]) -> Finding {
    let countries: Vec<&str> = pools
        .iter()
        .filter(|p| p.exists)
        .map(|p| p.country.code())
        .collect();
    finding(
        DEPLOYMENT,
        "twilio emergency addresses",
        Level::Warning,
        format!(
            "Twilio routes an emergency call by the emergency address registered on its From number: every callback-pool number{} must have one (Lifeline cannot see Twilio's registrations)",
            if countries.is_empty() {
                String::new()
            } else {
                format!(" ({})", countries.join(", "))
            }
        ),
        Some("register an emergency address on each number (Console › Phone Numbers › the number › Emergency Calling, or the Addresses API + EmergencyAddressSid); `lifeline pool list` lists them".into()),
    )
}

/// The variable naming who answers a Twilio callback nobody else took.
pub const TWILIO_LAST_RESORT_VAR: &str = "LIFELINE_TWILIO_LAST_RESORT";

/// A Twilio callback that the agent and the fallbacks do not answer (or to a
/// number in quarantine) goes to the last resort; without one the adapter
/// does not start on AWS, so every call would fail.
pub fn check_twilio_last_resort(configured: Option<&str>) -> Finding {
    let advice = || {
        Some(format!(
            "set `TwilioLastResort` (and {TWILIO_LAST_RESORT_VAR} here) to a supervisor's E.164 number or a Flex workflow SID (WW…), then `sam deploy`"
        ))
    };
    let check = "twilio last resort";
    match configured.map(str::trim).filter(|v| !v.is_empty()) {
        None => finding(
            DEPLOYMENT,
            check,
            Level::Error,
            format!("{TWILIO_LAST_RESORT_VAR} is not set: nobody answers a callback the agent and the fallbacks miss, and the twilio-adapter refuses to start without it"),
            advice(),
        ),
        Some(v) if v.starts_with('+') => match v.parse::<lifeline_domain::types::E164>() {
            Ok(_) => finding(
                DEPLOYMENT,
                check,
                Level::Ok,
                format!("unanswered callbacks ring {v} (<Dial><Number>)"),
                None,
            ),
            Err(e) => finding(
                DEPLOYMENT,
                check,
                Level::Error,
                format!("{TWILIO_LAST_RESORT_VAR} `{v}`: {}", e.0),
                advice(),
            ),
        },
        Some(v) if v.len() == 34 && v.starts_with("WW") && v[2..].bytes().all(|b| b.is_ascii_hexdigit()) => finding(
            DEPLOYMENT,
            check,
            Level::Ok,
            format!("unanswered callbacks are enqueued to the TaskRouter workflow {v}"),
            None,
        ),
        Some(v) => finding(
            DEPLOYMENT,
            check,
            Level::Error,
            format!("{TWILIO_LAST_RESORT_VAR} `{v}` is neither an E.164 number nor a TaskRouter workflow SID"),
            advice(),
        ),
    }
}
