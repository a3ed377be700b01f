//! The voice platform's prerequisites: platform presence's emergency
//! status and each agent's user there, and Twilio's emergency addresses and
//! last resort.

use lifeline_app::settings::table::{
    LIFELINE_CONNECT_EMERGENCY_STATUS_ID, LIFELINE_PLATFORM_PRESENCE,
    LIFELINE_TWILIO_EMERGENCY_ACTIVITY_SID, LIFELINE_TWILIO_LAST_RESORT,
};
use lifeline_domain::call::AgentProfile;
use lifeline_domain::platform::twilio_sid;

use super::deployment::PoolLookup;
use super::finding::{agent_scope, finding, Finding, Level, DEPLOYMENT};

/// The voice platform in front of Lifeline: some have prerequisites of their own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum VoicePlatform {
    /// Lifeline's own webhooks (docs/contract.md).
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
    /// The setting as the deployment has it, from `lookup` (a variable's
    /// value by name: the same variables as platform-presence's).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let platform = lookup(LIFELINE_PLATFORM_PRESENCE.name)
            .map(|p| p.trim().to_ascii_lowercase())
            .filter(|p| p == "connect" || p == "twilio");
        let emergency_status = platform
            .as_deref()
            .and_then(|p| lookup(Self::emergency_var(p)));
        PlatformPresenceSetting {
            platform,
            emergency_status,
        }
    }

    /// The variable naming the emergency status on `platform`.
    pub fn emergency_var(platform: &str) -> &'static str {
        match platform {
            "twilio" => LIFELINE_TWILIO_EMERGENCY_ACTIVITY_SID.name,
            _ => LIFELINE_CONNECT_EMERGENCY_STATUS_ID.name,
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
pub const TWILIO_LAST_RESORT_VAR: &str = LIFELINE_TWILIO_LAST_RESORT.name;

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
        Some(v) if twilio_sid::is(v, twilio_sid::WORKFLOW) => finding(
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
