//! The subcommands, one module each holding its clap definition and its
//! handler; [`run`] dispatches. Adding a subcommand: its module, one
//! [`Command`] variant and one arm in [`run`] (and the README's docs).

use clap::{Parser, Subcommand};
use lifeline_app::settings::table::LIFELINE_TABLE;

mod agent;
mod context;
mod dlq;
mod doctor;
mod escalation;
mod failure;
pub mod incident;
mod output;
pub mod pool;
mod secret;
mod table;
mod template;
mod tenant;

pub use context::Context;
pub use failure::Failure;

#[derive(Parser)]
#[command(
    name = "lifeline",
    version,
    about = "Administer Lifeline: agents, callback-number pools, tenant settings, dead letters"
)]
pub struct Cli {
    /// DynamoDB table.
    #[arg(
        long,
        env = LIFELINE_TABLE.name,
        default_value = LIFELINE_TABLE.default_text(),
        global = true
    )]
    table: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The shared table.
    #[command(subcommand)]
    Table(table::TableCmd),
    /// Agents: profile, source number, notification recipients.
    #[command(subcommand)]
    Agent(agent::AgentCmd),
    /// Callback-number pools, one per country.
    #[command(subcommand)]
    Pool(pool::PoolCmd),
    /// Tenant settings that decide the emergency route.
    #[command(subcommand)]
    Tenant(tenant::TenantCmd),
    /// The EmergencyCallNotification e-mail template.
    #[command(subcommand)]
    Template(template::TemplateCmd),
    /// The webhook secret in Secrets Manager: rotation with no refused window.
    #[command(subcommand)]
    Secret(secret::SecretCmd),
    /// Check that emergency calling will work, before an agent needs it.
    /// Exit 0: all good; 1: warnings only; 2: an error.
    Doctor(doctor::DoctorArgs),
    /// Who is alerted beyond the agent's recipients, and when nobody
    /// acknowledges: tiers, delays, drill recipients.
    #[command(subcommand)]
    Escalation(escalation::EscalationCmd),
    /// Emergency calls' incidents and their timelines.
    #[command(subcommand)]
    Incident(incident::IncidentCmd),
    /// Dead letters: failed side effects, and their replay.
    ///
    /// What failed in the asynchronous side effects (e-mail, presence, lease
    /// expiry, the outbox, the stream), and its replay through the same
    /// function once the cause is fixed.
    #[command(subcommand)]
    Dlq(dlq::DlqCmd),
}

/// Runs the parsed command against the deployment the environment names.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    let ctx = Context::load(cli.table).await;
    match cli.command {
        Command::Table(cmd) => table::run(cmd, &ctx).await,
        Command::Agent(cmd) => agent::run(cmd, &ctx).await,
        Command::Pool(cmd) => pool::run(cmd, &ctx).await,
        Command::Tenant(cmd) => tenant::run(cmd, &ctx).await,
        Command::Template(cmd) => template::run(cmd, &ctx).await,
        Command::Secret(cmd) => secret::run(cmd, &ctx).await,
        Command::Doctor(args) => doctor::run(args, &ctx).await,
        Command::Dlq(cmd) => dlq::run(cmd, &ctx).await,
        Command::Incident(cmd) => incident::run(cmd, &ctx).await,
        Command::Escalation(cmd) => escalation::run(cmd, &ctx).await,
    }
}
