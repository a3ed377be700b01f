//! `lifeline-local`: the local runner (see the crate docs).
//! `lifeline-local [--token-file PATH]`: with `--token-file`, the run's token
//! (which `/_local/*` and Lambda's Invoke API path require) is written to a
//! new file at PATH, readable by its owner only, before the runner listens
//! (`run.sh` reads it into `infra/local/env.sh`); without, it is printed.

use lifeline_app::settings::table::LIFELINE_CONSOLE_ISSUER;
use lifeline_app::settings::table::{
    LIFELINE_LISTEN, LIFELINE_LOCAL_ASYNC_RETRY_DELAYS_MS, LIFELINE_OUTBOX_QUEUE_URL,
    LIFELINE_STAGE, LIFELINE_TWILIO_PUBLIC_URL,
};
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::scheduler::{EventBridgeScheduler, SchedulerConfig};
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_aws::ses::SesSender;
use lifeline_edge::config::{notify_from, Config, Mode};
use lifeline_local::bus::FailureQueues;
use lifeline_local::outbox::OutboxQueue;
use lifeline_local::{serve, AlertSenders, LocalSystem, LocalToken, TOKEN_HEADER};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use twilio_adapter::TwilioConfig;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    lifeline_edge::telemetry::init_text();
    let token_file = token_file_arg()?;
    let config = Config::from_env(Mode::Local)?;
    let env = |k: &str| std::env::var(k).ok();
    let listen: SocketAddr = LIFELINE_LISTEN
        .raw_or_default(&env)
        .parse()
        .map_err(|e| format!("{}: {e}", LIFELINE_LISTEN.name))?;
    let aws = load_aws_config(ClientProfile::CriticalPath).await;
    let store = DynamoStore::from_conf(&aws, &config.table);
    let schedules = SchedulerConfig::from_env(Mode::Local)?;
    // Locally always: its target is the runner's own notifier.
    let escalations = SchedulerConfig::for_escalations(Mode::Local, |k| std::env::var(k).ok())?;
    let from = notify_from(Mode::Local, |k| std::env::var(k).ok())?;
    let scheduler = aws_sdk_scheduler::Client::new(&aws);
    // Twilio signs the URL it calls: by default this runner's own address.
    let own_url = format!("http://{listen}");
    let twilio = TwilioConfig::from_lookup(Mode::Local, |k| {
        std::env::var(k)
            .ok()
            .or_else(|| (k == LIFELINE_TWILIO_PUBLIC_URL.name).then(|| own_url.clone()))
    })?;
    // The dial's outbox: LIFELINE_OUTBOX_QUEUE_URL, else a queue on the emulator.
    let sqs = aws_sdk_sqs::Client::new(&aws);
    let outbox_url = match LIFELINE_OUTBOX_QUEUE_URL.raw(&env) {
        Some(url) if !url.trim().is_empty() => url,
        _ => sqs
            .create_queue()
            .queue_name("lifeline-outbox")
            .send()
            .await
            .map_err(|e| {
                format!(
                    "creating the outbox queue: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(e)
                )
            })?
            .queue_url
            .ok_or("the emulator gave the outbox queue no URL")?,
    };
    // Failure queues lifeline-<stage>-<function>-failures on the emulator's SQS.
    let stage = LIFELINE_STAGE.raw(&env).unwrap_or_else(|| "local".into());
    let delays = retry_delays(LIFELINE_LOCAL_ASYNC_RETRY_DELAYS_MS.raw(&env))?;
    let mut system = LocalSystem::new(store.clone(), config)
        .with_failure_queues(FailureQueues::new(sqs.clone(), &stage), delays)
        .with_outbox(OutboxQueue {
            client: sqs,
            url: outbox_url,
        })
        .with_twilio(twilio)
        .with_schedules(
            scheduler.clone(),
            schedules.clone(),
            store.clone(),
            scheduler.clone(),
        );
    // The agent's status on the voice platform follows Lifeline's override
    // with LIFELINE_PLATFORM_PRESENCE=connect (the Connect API at
    // AWS_ENDPOINT_URL_CONNECT, or AWS's) or twilio (TaskRouter at
    // LIFELINE_TWILIO_TASKROUTER_URL, or Twilio's), from the Lambda's variables.
    let platform = std::env::var(platform_presence::PLATFORM_VAR).unwrap_or_default();
    if !matches!(platform.trim(), "" | "none") {
        match platform_presence::PlatformSettings::from_lookup(|k| std::env::var(k).ok())? {
            platform_presence::PlatformSettings::Connect(settings) => {
                system = system.with_platform_presence(
                    lifeline_aws::connect::ConnectPresence::new(
                        aws_sdk_connect::Client::new(&aws),
                        settings.instance,
                        settings.emergency_status,
                    ),
                    store.clone(),
                );
            }
            platform_presence::PlatformSettings::Twilio(settings) => {
                let token = settings.auth_token(&aws).await?;
                system = system.with_platform_presence(
                    platform_presence::twilio::TaskRouterPresence::new(&settings, &token)?,
                    store.clone(),
                );
            }
        }
    }
    // The console, once run.sh has made its user pool on the emulator (its
    // replays invoke through this runner's own Invoke API).
    if LIFELINE_CONSOLE_ISSUER
        .raw(&env)
        .is_some_and(|v| !v.trim().is_empty())
    {
        let console = console::ConsoleConfig::from_lookup(env)?;
        let invoke_api = format!(
            "http://{listen}{}{}",
            lifeline_local::SDK_PREFIX,
            system.local_token().reveal()
        );
        // The runner's own stage: its failure queues are the dead letters.
        let get = |k: &str| match k {
            console::dead_letters::LAMBDA_ENDPOINT_VAR => Some(invoke_api.clone()),
            k if k == LIFELINE_STAGE.name => Some(stage.clone()),
            _ => std::env::var(k).ok(),
        };
        let admin = load_aws_config(ClientProfile::Admin).await;
        system = system.with_console(&admin, console, &get).await?;
        tracing::info!("console: http://{listen}/console/");
    }
    match system.warm_up().await {
        Ok(agents) => tracing::info!(agents, "dial-intake warmed up"),
        Err(e) => {
            tracing::warn!(error = %e, "dial-intake warm-up failed; its first dials read first")
        }
    }
    let system = Arc::new(system);
    hand_out_token(system.local_token(), token_file)?;
    let streams = system.start_stream_consumers(
        aws_sdk_dynamodbstreams::Client::new(&aws),
        |_| store.clone(),
        Some(EventBridgeScheduler::new(scheduler.clone(), schedules)),
        Some({
            let senders = AlertSenders::local(
                SesSender::new(aws_sdk_sesv2::Client::new(&aws)),
                from,
                &aws,
                system.settings(),
            );
            match escalations {
                Some(config) => senders.escalating(EventBridgeScheduler::new(scheduler, config)),
                None => senders,
            }
        }),
    );
    let firing = system.start_scheduler(std::time::Duration::from_secs(1));
    let outbox = system.start_outbox_consumer(store.clone());
    let listener = tokio::net::TcpListener::bind(listen).await?;
    tracing::info!(%listen, "Lifeline local runner listening");
    serve(listener, system, shutdown_signal()).await?;
    streams.abort();
    firing.abort();
    if let Some(outbox) = outbox {
        outbox.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

/// `--token-file PATH`, if given; any other argument is an error.
fn token_file_arg() -> Result<Option<PathBuf>, String> {
    let mut args = std::env::args_os().skip(1);
    match (args.next(), args.next(), args.next()) {
        (None, _, _) => Ok(None),
        (Some(flag), Some(path), None) if flag == "--token-file" => Ok(Some(path.into())),
        _ => Err("usage: lifeline-local [--token-file PATH]".into()),
    }
}

/// The token to its file, or (run by hand) to the terminal: whoever drives
/// `/_local/*` needs it, and only they should have it.
fn hand_out_token(token: &LocalToken, file: Option<PathBuf>) -> Result<(), String> {
    match file {
        Some(path) => token
            .write_new(&path)
            .map_err(|e| format!("writing the local token to {}: {e}", path.display())),
        None => {
            eprintln!(
                "lifeline-local: /_local/* and Lambda's Invoke path need the header {TOKEN_HEADER}: {}",
                token.reveal()
            );
            Ok(())
        }
    }
}

/// The waits before Lambda's retries of a failed asynchronous invocation
/// (`2000,4000` ms by default; Lambda's own are about one and two minutes).
fn retry_delays(v: Option<String>) -> Result<Vec<std::time::Duration>, String> {
    let setting = LIFELINE_LOCAL_ASYNC_RETRY_DELAYS_MS;
    let v = v.unwrap_or_else(|| setting.default_text().into());
    v.split(',')
        .map(|ms| {
            ms.trim()
                .parse::<u64>()
                .map(std::time::Duration::from_millis)
                .map_err(|e| format!("{}: `{ms}`: {e}", setting.name))
        })
        .collect()
}

/// Ctrl-C or SIGTERM (what `run.sh` forwards).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
