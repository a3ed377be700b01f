//! The agents: each one's notification recipients (masked, as the CLI shows
//! them: a chat webhook's URL is a secret, a number personal), their
//! channels, the platform user ids, and the location they registered with
//! its freshness. The recipients are replaced as `lifeline agent recipients
//! set` replaces them, with its parser and the deployment's chat hosts.

use http::Response;
use maud::{html, Markup};

use lifeline_domain::call::AgentProfile;
use lifeline_domain::location::{spoken_lines, RegisteredLocation};
use lifeline_domain::recipient::Recipients;
use lifeline_domain::types::AgentId;

use crate::answer::{bad_input, done, fragment, not_found, unavailable};
use crate::app::ConsoleApp;
use crate::form::Form;
use crate::layout::{ago, clock};

/// An agent as the page lists it.
pub struct AgentRow {
    pub profile: AgentProfile,
    pub registered: Option<RegisteredLocation>,
}

impl ConsoleApp {
    pub(crate) async fn agents_view(&self) -> Response<String> {
        let mut agents = match self.ports.admin.agents().await {
            Ok(a) => a,
            Err(e) => return unavailable(&e),
        };
        agents.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        let mut rows = Vec::with_capacity(agents.len());
        for profile in agents {
            let registered = match self.ports.locations.registered_location(&profile.id).await {
                Ok((_, r)) => r,
                Err(e) => return unavailable(&e),
            };
            rows.push(AgentRow {
                profile,
                registered,
            });
        }
        fragment(render(
            &rows,
            self.clock.now(),
            self.settings.location_fresh_for,
        ))
    }

    /// `POST /console/api/agents/save`: `agent`, `recipients` (the whole
    /// list, `;`-separated, as the CLI takes it).
    pub(crate) async fn save_agent(&self, form: &Form) -> Response<String> {
        let id: AgentId = match form.get("agent").parse() {
            Ok(id) => id,
            Err(e) => return bad_input(format!("agent: {e}")),
        };
        let recipients =
            match Recipients::parse_with(form.get("recipients"), &self.settings.chat_hosts) {
                Ok(r) => r,
                Err(e) => return bad_input(format!("recipients: {e}")),
            };
        let mut agent = match self.ports.admin.get_agent(&id).await {
            Ok(Some(a)) => a,
            Ok(None) => return not_found(&format!("agent `{id}`")),
            Err(e) => return unavailable(&e),
        };
        agent.recipients = recipients;
        match self.ports.admin.put_agent(&agent).await {
            Ok(()) if agent.recipients.is_empty() => done(&format!(
                "Agent {id} saved with no recipients: nobody will be alerted for their emergency calls."
            )),
            Ok(()) => done(&format!(
                "Agent {id}: {} recipient(s) saved.",
                agent.recipients.len()
            )),
            Err(e) => unavailable(&e),
        }
    }
}

fn render(
    rows: &[AgentRow],
    now: chrono::DateTime<chrono::Utc>,
    fresh_for: chrono::Duration,
) -> Markup {
    html! {
        @if rows.is_empty() { p { "No agent yet: `lifeline agent put` adds one." } }
        @for row in rows {
            @let a = &row.profile;
            @let heading = format!("agent-{}", a.id);
            section.incident aria-labelledby=(heading) {
                h2 #(heading) { (a.name) " (" (a.id) ")" }
                dl {
                    dt { "Country" }
                    dd { (a.country.map(|c| c.code().to_string()).or_else(|| a.other_country.clone()).unwrap_or_else(|| "not set".into())) }
                    dt { "Recipients" }
                    dd {
                        @if a.recipients.is_empty() { strong.error { "none: nobody is alerted" } }
                        @else { (a.recipients.redacted()) }
                    }
                    dt { "Channels" }
                    dd { (channels(&a.recipients)) }
                    dt { "Platform user ids" }
                    dd {
                        "Amazon Connect: " (a.platform.connect_user_id.as_deref().unwrap_or("—"))
                        "; Twilio worker: " (a.platform.twilio_worker_sid.as_deref().unwrap_or("—"))
                    }
                    dt { "Registered location" }
                    dd {
                        @match &row.registered {
                            Some(r) => {
                                (spoken_lines(&r.location).join(", ")) br;
                                "registered " (ago(r.registered_at, now)) " ago at " (clock(r.registered_at))
                                @if r.is_fresh(now, fresh_for) { span.ok { " — fresh" } }
                                @else { strong.warning { " — stale: the agent should register again" } }
                            }
                            None => { "none registered" }
                        }
                    }
                }
                form data-api="/console/api/agents/save" {
                    input type="hidden" name="agent" value=(a.id);
                    p {
                        label for={ "recipients-" (a.id) } { "New recipients (replaces the list; separated by ;)" } br;
                        input #{ "recipients-" (a.id) } name="recipients" size="60"
                            placeholder="security@example.com; sms:+14155550100; chat:https://hooks.slack.com/…";
                    }
                    button type="submit" { "Save recipients" }
                }
            }
        }
    }
}

/// How many recipients each channel has: `e-mail 2, SMS 1`.
fn channels(recipients: &Recipients) -> String {
    use lifeline_domain::recipient::Channel;
    let count = |c: Channel| {
        recipients
            .entries()
            .iter()
            .filter(|r| r.channel() == c)
            .count()
    };
    let parts: Vec<String> = [
        (Channel::Email, "e-mail"),
        (Channel::Sms, "SMS"),
        (Channel::Chat, "chat"),
    ]
    .into_iter()
    .filter(|(c, _)| count(*c) > 0)
    .map(|(c, name)| format!("{name} {}", count(c)))
    .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}
