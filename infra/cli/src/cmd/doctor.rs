//! `lifeline doctor`: the readiness report (the checks are
//! [`lifeline_readiness`]'s); its exit code is the report's. What the
//! deployment is configured with is read here, from flags and the
//! environment, into the checks' [`Targets`](doctor::Targets).

use clap::Args;
use lifeline_domain::types::AgentId;

use super::context::Context;
use super::failure::{usage, Failure};
use super::output::{emit, print_json};
use lifeline_app::settings::table::{
    LIFELINE_CALL_PATH_RESERVED_CONCURRENCY, LIFELINE_NOTIFY_FROM, LIFELINE_POOL_LOW_WATER,
    LIFELINE_SCHEDULE_GROUP, LIFELINE_VOICE_PLATFORM, LIFELINE_WEBHOOK_SECRET_ARN,
};
use lifeline_readiness as doctor;

#[derive(Args)]
pub struct DoctorArgs {
    /// Only this agent (the deployment is always checked).
    #[arg(long)]
    agent: Option<String>,
    /// JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// The SES identity notifications are sent from.
    #[arg(
        long,
        env = LIFELINE_NOTIFY_FROM.name,
        default_value = "lifeline@example.com"
    )]
    notify_from: String,
    /// The lease-expiry schedule group.
    #[arg(long, env = LIFELINE_SCHEDULE_GROUP.name, default_value = LIFELINE_SCHEDULE_GROUP.default_text())]
    schedule_group: String,
    /// Low-water mark of free callback numbers ("2" or "US=5,*=2").
    #[arg(long, env = LIFELINE_POOL_LOW_WATER.name, default_value = LIFELINE_POOL_LOW_WATER.default_text())]
    low_water: String,
    /// The voice platform in front of Lifeline (webhook, connect, twilio):
    /// adds its own prerequisites (Twilio: emergency addresses).
    #[arg(long, env = LIFELINE_VOICE_PLATFORM.name, default_value = LIFELINE_VOICE_PLATFORM.default_text())]
    platform: String,
    /// The stack's CallPathReservedConcurrency (0: none): warned of when
    /// below the number of agents.
    #[arg(long, env = LIFELINE_CALL_PATH_RESERVED_CONCURRENCY.name,
          default_value = LIFELINE_CALL_PATH_RESERVED_CONCURRENCY.default_text())]
    call_path_reserved_concurrency: String,
    /// The webhook secret (ARN or name): its previous value still accepted
    /// more than a week after a rotation is warned of. Unset: not checked.
    #[arg(long, env = LIFELINE_WEBHOOK_SECRET_ARN.name)]
    webhook_secret_id: Option<String>,
}

/// Every flag checked before anything is looked up (exit 2 for a bad one).
fn targets(args: DoctorArgs) -> Result<(doctor::Targets, Option<AgentId>), Failure> {
    let low_water = lifeline_app::settings::LowWater::parse(&args.low_water)
        .map_err(|e| Failure::Usage(format!("--low-water: {e}")))?;
    let agent = args
        .agent
        .map(|a| a.parse::<AgentId>())
        .transpose()
        .map_err(usage("--agent"))?;
    let platform = args
        .platform
        .parse()
        .map_err(|e: String| Failure::Usage(format!("--platform: {e}")))?;
    // Within the bounds of the settings table (the template parameter's).
    let reserved = LIFELINE_CALL_PATH_RESERVED_CONCURRENCY
        .whole_number::<u32>(&|_: &str| Some(args.call_path_reserved_concurrency.clone()))
        .map_err(usage("--call-path-reserved-concurrency"))?;
    // As the deployment's functions read it; a bad value is the admin's to
    // fix (exit 2).
    let location_fresh_for = crate::location_fresh_for().map_err(Failure::Usage)?;
    let targets = doctor::Targets {
        from: args.notify_from,
        group: args.schedule_group,
        low_water,
        platform,
        call_path_reserved: reserved,
        webhook_secret: args
            .webhook_secret_id
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        location_fresh_for,
        // As the deployment has it (the same variable as the function's).
        twilio_last_resort: std::env::var(doctor::TWILIO_LAST_RESORT_VAR).ok(),
        // As the deployment has it (the same variables as platform-presence's).
        platform_presence: doctor::PlatformPresenceSetting::from_lookup(|name| {
            std::env::var(name).ok()
        }),
    };
    Ok((targets, agent))
}

pub async fn run(args: DoctorArgs, ctx: &Context) -> Result<(), Failure> {
    let json = args.json;
    let (targets, agent) = targets(args)?;
    let aws = doctor::AwsReadiness {
        store: &ctx.store,
        ses: &aws_sdk_sesv2::Client::new(&ctx.conf),
        scheduler: &aws_sdk_scheduler::Client::new(&ctx.conf),
        secrets: &aws_sdk_secretsmanager::Client::new(&ctx.conf),
    };
    let lookups = doctor::gather(&aws, &targets, agent.as_ref(), ctx.now)
        .await
        .map_err(Failure::Store)?;
    let report = doctor::report(&lookups, &targets.low_water, ctx.now);
    if json {
        print_json(&serde_json::json!({
            "checkedAt": report.checked_at,
            "exitCode": report.exit_code(),
            "findings": report.findings,
        }));
    } else {
        emit(&report.to_text());
    }
    Err(Failure::Exit(report.exit_code()))
}
