//! `lifeline template`: the EmergencyCallNotification e-mail template.

use chrono::{DateTime, Utc};
use clap::Subcommand;
use lifeline_app::ports::{AdminStore, TemplateSaveError, TemplateStore};
use lifeline_app::settings::table::LIFELINE_CALLBACK_WINDOW_MINUTES;
use lifeline_aws::dynamo::DynamoStore;
use lifeline_domain::call::{AgentProfile, EmergencyCall};
use lifeline_domain::notification::{
    notification_data, render, sample_data, validate, NotificationTemplate, TEMPLATE_NAME,
};
use lifeline_domain::types::{AgentId, Recipients};

use super::context::Context;
use super::failure::{store_err, usage, Failure};
use super::output::emit;

#[derive(Subcommand)]
pub enum TemplateCmd {
    /// Validate an edited template (by rendering sample data) and save it as
    /// the next version, in force at once. Nothing is saved if it fails.
    Push {
        /// Folder holding subject.txt, body.html and body.txt.
        #[arg(long, default_value = "infra/templates/emergency-call-notification")]
        dir: std::path::PathBuf,
    },
    /// Print the template in force (stored, or the built-in default).
    Show,
    /// Render the template in force for an agent, with sample call data.
    Preview {
        /// The agent whose profile fills the e-mail.
        #[arg(long)]
        agent: String,
        /// Render as a 933 test call.
        #[arg(long)]
        test: bool,
        /// The callback window the e-mail states, as the notifier is
        /// configured (minutes after the call ends).
        #[arg(long, env = LIFELINE_CALLBACK_WINDOW_MINUTES.name, default_value_t = 60,
              value_parser = clap::value_parser!(i64).range(60..=1440))]
        window_minutes: i64,
    },
}

pub async fn run(cmd: TemplateCmd, ctx: &Context) -> Result<(), Failure> {
    match cmd {
        TemplateCmd::Push { dir } => push(&ctx.store, &dir, ctx.now).await,
        TemplateCmd::Show => show(&ctx.store).await,
        TemplateCmd::Preview {
            agent,
            test,
            window_minutes,
        } => preview(&ctx.store, &agent, test, window_minutes, ctx.now).await,
    }
}

/// The template in force: the stored one, or the built-in default.
async fn in_force(store: &DynamoStore) -> Result<NotificationTemplate, Failure> {
    Ok(store
        .current_template()
        .await
        .map_err(store_err)?
        .unwrap_or_else(NotificationTemplate::builtin))
}

async fn push(
    store: &DynamoStore,
    dir: &std::path::Path,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .map_err(|e| Failure::Usage(format!("{}: {e}", dir.join(name).display())))
    };
    let current = store.current_template().await.map_err(store_err)?;
    let t = NotificationTemplate {
        subject: read("subject.txt")?,
        html: read("body.html")?,
        text: read("body.txt")?,
        version: current.map_or(1, |c| c.version + 1),
    };
    validate(&t).map_err(|e| Failure::Usage(format!("template not saved: {e}")))?;
    store.push_template(&t, now).await.map_err(|e| match e {
        TemplateSaveError::Store(e) => store_err(e),
        other => Failure::Usage(other.to_string()),
    })?;
    eprintln!(
        "template {TEMPLATE_NAME} version {} saved and in force",
        t.version
    );
    Ok(())
}

async fn show(store: &DynamoStore) -> Result<(), Failure> {
    let t = in_force(store).await?;
    let origin = if t.version == 0 {
        "built-in default".to_string()
    } else {
        format!("version {}", t.version)
    };
    emit(&format!(
        "# {TEMPLATE_NAME} ({origin})\n## subject.txt\n{}\n## body.html\n{}\n## body.txt\n{}\n",
        t.subject.trim_end(),
        t.html.trim_end(),
        t.text.trim_end()
    ));
    Ok(())
}

async fn preview(
    store: &DynamoStore,
    agent: &str,
    test: bool,
    window_minutes: i64,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    let id: AgentId = agent.parse().map_err(usage("--agent"))?;
    let profile = store
        .get_agent(&id)
        .await
        .map_err(store_err)?
        .ok_or_else(|| Failure::Usage(format!("no agent `{id}`")))?;
    let mut data = sample_data(test, true);
    let window = chrono::Duration::minutes(window_minutes);
    let sample = notification_data(&sample_call(&profile, test, now), Some(&profile), window);
    data.agent_name = sample.agent_name;
    data.agent_email = sample.agent_email;
    data.callback_window_minutes = sample.callback_window_minutes;
    let email =
        render(&in_force(store).await?, &data).map_err(|e| Failure::Usage(e.to_string()))?;
    emit(&format!(
        "To: {}\nSubject: {}\n\n{}\n--- HTML ---\n{}\n",
        preview_to(&profile.recipients),
        email.subject,
        email.text.trim_end(),
        email.html.trim_end()
    ));
    Ok(())
}

/// Who a preview says the e-mail goes to: one message per recipient.
fn preview_to(recipients: &Recipients) -> String {
    match recipients.as_slice() {
        [] => "(no recipients: nothing would be sent)".into(),
        [one] => one.as_str().to_string(),
        all => format!(
            "{} (one message to each; nobody sees the others)",
            all.iter()
                .map(|e| e.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A call of this agent's to fill a preview with.
fn sample_call(agent: &AgentProfile, test: bool, now: DateTime<Utc>) -> EmergencyCall {
    EmergencyCall {
        call_id: "preview"
            .parse()
            .unwrap_or_else(|_| unreachable!("a valid id")),
        agent_id: agent.id.clone(),
        dialed: if test { "933" } else { "911" }.into(),
        emergency_number: if test { "933" } else { "911" }.into(),
        test,
        country: agent.country,
        location: None,
        location_source: None,
        caller_id: agent.source_number.clone(),
        leased_number: None,
        lease_id: None,
        callback_expires_at: None,
        route: lifeline_domain::route::Route::DirectOffer,
        degraded: false,
        reason: None,
        dialed_at: now,
        desktop_time: None,
        ended_at: None,
    }
}

#[cfg(test)]
mod tests;
