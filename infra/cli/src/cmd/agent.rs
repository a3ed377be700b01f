//! `lifeline agent`: an agent's profile, source number, notification
//! recipients, and registered location ([`location`]).

use clap::{Args, Subcommand};
use lifeline_app::ports::AdminStore;
use lifeline_domain::call::AgentProfile;
use lifeline_domain::numbers::Country;
use lifeline_domain::platform::{twilio_sid, PlatformIds};
use lifeline_domain::recipient::{ChatHosts, Recipients};
use lifeline_domain::route::NumberType;
use lifeline_domain::types::{AgentId, Email};

use super::context::Context;
use super::failure::{store_err, usage, Failure};
use super::output::print_json;

mod location;
#[cfg(test)]
mod tests;

#[derive(Subcommand)]
pub enum AgentCmd {
    /// Create or replace an agent's profile.
    Put(Box<AgentPut>),
    /// Print an agent's profile as JSON.
    Show {
        /// Agent id, e.g. a-42.
        id: String,
    },
    /// The agent's notification recipients.
    #[command(subcommand)]
    Recipients(RecipientsCmd),
    /// The agent's registered location: where they are, for the emergency
    /// dials that bring no location of their own.
    #[command(subcommand)]
    Location(location::LocationCmd),
}

#[derive(Subcommand)]
pub enum RecipientsCmd {
    /// Replace the recipients: one semicolon-separated string of
    /// `channel:address|locale` entries, e.g. "sup@example.com;
    /// sms:+14255550111|es; chat:https://hooks.slack.com/services/…" (a
    /// bare address is e-mail; "" for none). Chat hosts must be in
    /// LIFELINE_CHAT_ALLOWED_HOSTS.
    Set {
        /// Agent id, e.g. a-42.
        id: String,
        /// The recipients.
        recipients: String,
    },
}

#[derive(Args)]
pub struct AgentPut {
    /// Agent id, as the voice platform names the agent.
    #[arg(long)]
    id: String,
    /// Display name, used in notifications.
    #[arg(long)]
    name: String,
    /// The agent's own e-mail address.
    #[arg(long)]
    email: Option<String>,
    /// Home country (ISO code): used when a call carries no location.
    #[arg(long)]
    country: Option<String>,
    /// The voice platform's outbound voice profile for emergency calls.
    #[arg(long)]
    outbound_profile: Option<String>,
    /// The agent's Amazon Connect user id (platform presence on Connect).
    #[arg(long)]
    connect_user_id: Option<String>,
    /// The agent's Twilio TaskRouter worker SID, WK… (platform presence on Twilio).
    #[arg(long)]
    twilio_worker_sid: Option<String>,
    /// The agent's own number, E.164 (+14255550100).
    #[arg(long)]
    source_number: String,
    /// calling_plan or direct_routing.
    #[arg(long)]
    number_type: String,
    /// Who is alerted on an emergency call: "a@x.com; sms:+14255550111|es;
    /// chat:https://hooks.slack.com/services/…" (a bare address is e-mail).
    #[arg(long, default_value = "")]
    recipients: String,
    /// Targets to try when the agent misses a callback (repeatable).
    #[arg(long)]
    fallback: Vec<String>,
}

pub async fn run(cmd: AgentCmd, ctx: &Context) -> Result<(), Failure> {
    match cmd {
        AgentCmd::Put(p) => {
            // Everything is validated before anything is written.
            let agent = parse_agent(*p, &chat_hosts()?)?;
            ctx.store.put_agent(&agent).await.map_err(store_err)?;
            warn_without_recipients(&agent);
            print_json(&agent_json(&agent));
        }
        AgentCmd::Show { id } => {
            let id: AgentId = id.parse().map_err(usage("agent id"))?;
            match ctx.store.get_agent(&id).await.map_err(store_err)? {
                Some(a) => print_json(&agent_json(&a)),
                None => return Err(Failure::Usage(format!("no agent `{id}`"))),
            }
        }
        AgentCmd::Recipients(RecipientsCmd::Set { id, recipients }) => {
            let id: AgentId = id.parse().map_err(usage("agent id"))?;
            // Validated before anything is read or written.
            let recipients =
                Recipients::parse_with(&recipients, &chat_hosts()?).map_err(usage("recipients"))?;
            let mut agent = ctx
                .store
                .get_agent(&id)
                .await
                .map_err(store_err)?
                .ok_or_else(|| Failure::Usage(format!("no agent `{id}`")))?;
            agent.recipients = recipients;
            ctx.store.put_agent(&agent).await.map_err(store_err)?;
            warn_without_recipients(&agent);
            print_json(&agent_json(&agent));
        }
        AgentCmd::Location(cmd) => location::run(cmd, ctx).await?,
    }
    Ok(())
}

/// The chat hosts a list may name, as the functions read them.
fn chat_hosts() -> Result<ChatHosts, Failure> {
    crate::chat_allowed_hosts().map_err(Failure::Usage)
}

fn warn_without_recipients(agent: &AgentProfile) {
    if agent.recipients.is_empty() {
        eprintln!(
            "warning: agent {} has no recipients: no e-mail will be sent for their emergency calls",
            agent.id
        );
    }
}

fn agent_json(a: &AgentProfile) -> serde_json::Value {
    serde_json::json!({
        "id": a.id, "name": a.name, "email": a.email,
        "country": a.country.map(|c| c.code().to_string()).or_else(|| a.other_country.clone()),
        "outboundProfile": a.outbound_profile,
        "connectUserId": a.platform.connect_user_id,
        "twilioWorkerSid": a.platform.twilio_worker_sid,
        "sourceNumber": a.source_number, "numberType": a.number_type.as_str(),
        // Masked: a chat webhook's URL is a secret, a number personal.
        "recipients": a.recipients.redacted(), "fallback": a.fallback,
    })
}

/// An optional platform identity: trimmed, 1 to 200 characters, of the
/// platform's shape.
fn platform_id(
    flag: &str,
    value: Option<String>,
    shape: impl Fn(&str) -> bool,
) -> Result<Option<String>, Failure> {
    match value.map(|v| v.trim().to_string()) {
        None => Ok(None),
        Some(v) if !v.is_empty() && v.len() <= 200 && shape(&v) => Ok(Some(v)),
        Some(v) => Err(Failure::Usage(format!("{flag}: `{v}` is not one"))),
    }
}

/// The home country as given: an unsupported one is kept as given (the
/// readiness check names it; dials are never blocked for it); a malformed
/// one is refused.
fn home_country(given: Option<&str>) -> Result<(Option<Country>, Option<String>), Failure> {
    match given.map(str::trim) {
        None => Ok((None, None)),
        Some(c) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Ok(match c.parse::<Country>() {
                Ok(supported) => (Some(supported), None),
                Err(_) => (None, Some(c.to_ascii_uppercase())),
            })
        }
        Some(c) => Err(Failure::Usage(format!(
            "--country: `{c}` is not an ISO 3166 alpha-2 code"
        ))),
    }
}

fn parse_agent(p: AgentPut, chat_hosts: &ChatHosts) -> Result<AgentProfile, Failure> {
    let (country, other_country) = home_country(p.country.as_deref())?;
    Ok(AgentProfile {
        id: p.id.parse().map_err(usage("--id"))?,
        name: {
            let n = p.name.trim().to_string();
            if n.is_empty() || n.len() > 200 {
                return Err(Failure::Usage("--name: must be 1 to 200 characters".into()));
            }
            n
        },
        email: p
            .email
            .map(|e| e.parse::<Email>())
            .transpose()
            .map_err(usage("--email"))?,
        country,
        other_country,
        outbound_profile: match p.outbound_profile.map(|o| o.trim().to_string()) {
            Some(o) if o.is_empty() || o.len() > 200 => {
                return Err(Failure::Usage(
                    "--outbound-profile: must be 1 to 200 characters".into(),
                ))
            }
            other => other,
        },
        platform: PlatformIds {
            connect_user_id: platform_id("--connect-user-id", p.connect_user_id, |c| {
                c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-:/_".contains(&b))
            })?,
            twilio_worker_sid: platform_id("--twilio-worker-sid", p.twilio_worker_sid, |w| {
                twilio_sid::is(w, twilio_sid::WORKER)
            })?,
        },
        source_number: p.source_number.parse().map_err(usage("--source-number"))?,
        number_type: p
            .number_type
            .parse::<NumberType>()
            .map_err(usage("--number-type"))?,
        recipients: Recipients::parse_with(&p.recipients, chat_hosts)
            .map_err(usage("--recipients"))?,
        fallback: p.fallback,
    })
}
