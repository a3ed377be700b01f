//! `lifeline template`: the message templates, one family per locale (for
//! each message kind an e-mail, an SMS and a chat text). An admin edits any
//! part of any locale; a part not edited is the built-in one.

use chrono::{DateTime, Utc};
use clap::Subcommand;
use lifeline_app::ports::{AdminStore, TemplateSaveError, TemplateStore};
use lifeline_app::settings::table::LIFELINE_CALLBACK_WINDOW_MINUTES;
use lifeline_aws::dynamo::DynamoStore;
use lifeline_domain::call::{AgentProfile, EmergencyCall};
use lifeline_domain::locale::Locale;
use lifeline_domain::notification::{
    notification_data, render_message, sample_for, validate_family, Channel, MessageKind, PartKey,
    RenderedMessage, TemplateFamily, TEMPLATE_NAME,
};
use lifeline_domain::recipient::Recipients;
use lifeline_domain::types::AgentId;

use super::context::Context;
use super::failure::{store_err, usage, Failure};
use super::output::{emit, note};

/// English's folder, as it always was; the other locales name theirs.
const ENGLISH_DIR: &str = "infra/templates/emergency-call-notification";

#[derive(Subcommand)]
pub enum TemplateCmd {
    /// Validate a locale's edited templates (every part of every message,
    /// by rendering sample data; each SMS within 2 segments) and save them
    /// as the locale's next version, in force at once. Nothing is saved if
    /// one fails.
    Push {
        /// The locale the templates are in.
        #[arg(long, default_value = "en", value_parser = parse_locale)]
        locale: Locale,
        /// Folder holding the edited parts: subject.txt, body.html,
        /// body.txt, sms.txt, chat.txt for the alert, the same in
        /// escalation/, follow-up/ and correction/ for the others. A part
        /// missing (or the same as the built-in one) is the built-in one.
        /// English's default: infra/templates/emergency-call-notification.
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
    /// Print a locale's templates in force (stored, or the built-in ones).
    Show {
        #[arg(long, default_value = "en", value_parser = parse_locale)]
        locale: Locale,
    },
    /// Write a locale's templates in force into a folder, to edit and push.
    Export {
        #[arg(long, default_value = "en", value_parser = parse_locale)]
        locale: Locale,
        #[arg(long)]
        dir: std::path::PathBuf,
    },
    /// Print the tenant's default message locale (for recipients without
    /// one), or set it with --set.
    DefaultLocale {
        #[arg(long, value_parser = parse_locale)]
        set: Option<Locale>,
    },
    /// Render a locale's message in force for an agent, with sample call
    /// data: the e-mail, the SMS (with its segments) and the chat text.
    Preview {
        /// The agent whose profile fills the message.
        #[arg(long)]
        agent: String,
        /// Render as a 933 test call.
        #[arg(long)]
        test: bool,
        /// The callback window the message states, as the notifier is
        /// configured (minutes after the call ends).
        #[arg(long, env = LIFELINE_CALLBACK_WINDOW_MINUTES.name, default_value_t = 60,
              value_parser = clap::value_parser!(i64).range(60..=1440))]
        window_minutes: i64,
        #[arg(long, default_value = "en", value_parser = parse_locale)]
        locale: Locale,
        /// alert, escalation, follow-up or correction.
        #[arg(long, default_value = "alert", value_parser = parse_kind)]
        kind: MessageKind,
    },
}

fn parse_locale(s: &str) -> Result<Locale, String> {
    s.parse()
        .map_err(|e: lifeline_domain::locale::UnknownLocale| e.to_string())
}

fn parse_kind(s: &str) -> Result<MessageKind, String> {
    MessageKind::ALL
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| format!("`{s}`: alert, escalation, follow-up or correction"))
}

pub async fn run(cmd: TemplateCmd, ctx: &Context) -> Result<(), Failure> {
    match cmd {
        TemplateCmd::Push { locale, dir } => push(&ctx.store, locale, dir, ctx.now).await,
        TemplateCmd::Show { locale } => {
            emit(&show_text(&in_force(&ctx.store, locale).await?));
            Ok(())
        }
        TemplateCmd::Export { locale, dir } => {
            export(&in_force(&ctx.store, locale).await?, &dir)?;
            note(&format!("{locale} templates written to {}", dir.display()));
            Ok(())
        }
        TemplateCmd::DefaultLocale { set } => {
            if let Some(locale) = set {
                ctx.store
                    .set_tenant_locale(locale, ctx.now)
                    .await
                    .map_err(store_err)?;
            }
            let stored = ctx.store.tenant_locale().await.map_err(store_err)?;
            emit(&default_locale_text(stored));
            Ok(())
        }
        TemplateCmd::Preview {
            agent,
            test,
            window_minutes,
            locale,
            kind,
        } => {
            let family = in_force(&ctx.store, locale).await?;
            preview(
                &ctx.store,
                &family,
                kind,
                &agent,
                test,
                window_minutes,
                ctx.now,
            )
            .await
        }
    }
}

fn default_locale_text(stored: Option<Locale>) -> String {
    match stored {
        Some(l) => format!("{l}\n"),
        None => format!("{} (not set: the default)\n", Locale::DEFAULT),
    }
}

/// A locale's family in force: the stored one, or the built-in one.
async fn in_force(store: &DynamoStore, locale: Locale) -> Result<TemplateFamily, Failure> {
    Ok(store
        .current_family(locale)
        .await
        .map_err(store_err)?
        .unwrap_or_else(|| TemplateFamily::builtin(locale)))
}

async fn push(
    store: &DynamoStore,
    locale: Locale,
    dir: Option<std::path::PathBuf>,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    let dir = match (dir, locale) {
        (Some(d), _) => d,
        (None, Locale::En) => ENGLISH_DIR.into(),
        (None, other) => {
            return Err(Failure::Usage(format!(
                "--dir: the folder of the {other} templates (`lifeline template export --locale {other} --dir DIR` writes one to edit)"
            )))
        }
    };
    let current = store.current_family(locale).await.map_err(store_err)?;
    let family = family_from_dir(&dir, locale, current.map_or(1, |c| c.version + 1))?;
    check(&family)?;
    store.push_family(&family, now).await.map_err(|e| match e {
        TemplateSaveError::Store(e) => store_err(e),
        other => Failure::Usage(other.to_string()),
    })?;
    note(&format!(
        "template {TEMPLATE_NAME} {locale} version {} saved and in force ({})",
        family.version,
        edited_names(&family)
    ));
    Ok(())
}

/// The family a folder holds: each part present and not the built-in one.
fn family_from_dir(
    dir: &std::path::Path,
    locale: Locale,
    version: u64,
) -> Result<TemplateFamily, Failure> {
    if !dir.is_dir() {
        return Err(Failure::Usage(format!("{}: not a folder", dir.display())));
    }
    let mut sources = Vec::new();
    for key in PartKey::all() {
        let path = dir.join(key.path());
        if !path.exists() {
            continue;
        }
        let source = std::fs::read_to_string(&path)
            .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
        sources.push((key, source));
    }
    let found = sources.len();
    let family = TemplateFamily::with_sources(locale, version, sources);
    if found == 0 {
        return Err(Failure::Usage(format!(
            "{}: no template file (subject.txt, body.html, body.txt, sms.txt, chat.txt, …)",
            dir.display()
        )));
    }
    Ok(family)
}

/// The checks a push makes: the same guard as every render, every sample,
/// every SMS within two segments.
fn check(family: &TemplateFamily) -> Result<(), Failure> {
    validate_family(family).map_err(|e| Failure::Usage(format!("template not saved: {e}")))
}

/// The parts a family edits, by file, or that it edits none.
fn edited_names(family: &TemplateFamily) -> String {
    if family.edited.is_empty() {
        return "every part the built-in one".into();
    }
    let names: Vec<String> = family.edited.keys().map(|k| k.path()).collect();
    format!("edited: {}", names.join(", "))
}

fn show_text(family: &TemplateFamily) -> String {
    let origin = if family.version == 0 {
        "built-in default".to_string()
    } else {
        format!("version {}; {}", family.version, edited_names(family))
    };
    let mut out = format!("# {TEMPLATE_NAME} {} ({origin})\n", family.locale);
    for key in PartKey::all() {
        let whose = if family.edited.contains_key(&key) {
            ""
        } else {
            " (built-in)"
        };
        out.push_str(&format!(
            "## {}{whose}\n{}\n",
            key.path(),
            family.source(key).trim_end()
        ));
    }
    out
}

/// Every part, as the files a push reads.
fn export(family: &TemplateFamily, dir: &std::path::Path) -> Result<(), Failure> {
    for key in PartKey::all() {
        let path = dir.join(key.path());
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, family.source(key).as_bytes()));
        written.map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
    }
    Ok(())
}

async fn preview(
    store: &DynamoStore,
    family: &TemplateFamily,
    kind: MessageKind,
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
    let mut data = sample_for(kind, test, true);
    let window = chrono::Duration::minutes(window_minutes);
    let sample = notification_data(&sample_call(&profile, test, now), Some(&profile), window);
    data.agent_name = sample.agent_name;
    data.agent_email = sample.agent_email;
    data.callback_window_minutes = sample.callback_window_minutes;
    emit(&preview_text(family, kind, &data, &profile.recipients)?);
    Ok(())
}

/// A message on every channel, as a preview prints it.
fn preview_text(
    family: &TemplateFamily,
    kind: MessageKind,
    data: &lifeline_domain::notification::NotificationData,
    recipients: &Recipients,
) -> Result<String, Failure> {
    let mut out = String::new();
    for channel in Channel::ALL {
        let message = render_message(family, kind, channel, data)
            .map_err(|e| Failure::Usage(e.to_string()))?;
        out.push_str(&match message {
            RenderedMessage::Email(email) => format!(
                "To: {}\nSubject: {}\n\n{}\n--- HTML ---\n{}\n",
                preview_to(recipients),
                email.subject,
                email.text.trim_end(),
                email.html.trim_end()
            ),
            RenderedMessage::Sms(sms) => format!(
                "--- SMS ({} segment(s), {}, {} units) ---\n{}\n",
                sms.segments.segments,
                sms.segments.encoding.as_str(),
                sms.segments.units,
                sms.text
            ),
            RenderedMessage::Chat(text) => format!("--- Chat ---\n{text}\n"),
        });
    }
    Ok(out)
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
