//! The rig: a local runner over a fresh table, its stores and consumers.

use crate::fault_proxy::FaultProxy;
use crate::{agent, connect_stub, taskrouter_stub, NOTIFY_FROM, US_POOL};
use lifeline_app::ports::AdminStore;
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::scheduler::{EventBridgeScheduler, SchedulerConfig};
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_aws::test_support::{
    counted_dynamodb_client, counted_scheduler_client, faulty_ses_client, CallCounter, FailFirst,
};
use lifeline_domain::numbers::Country;
use lifeline_domain::route::NumberType;
use lifeline_domain::types::E164;
use lifeline_edge::config::{Config, Mode};
use lifeline_edge::webhook::WebhookSecret;
use lifeline_local::{serve, AlertSenders, LocalSystem};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::oneshot;
use twilio_adapter::TwilioConfig;

pub struct Local {
    pub base: String,
    /// The runner's token, which `/_local/*` and Lambda's Invoke path require.
    pub token: String,
    pub table: String,
    /// The stage its failure queues are named with (`lifeline-<stage>-…`).
    pub stage: String,
    /// The Amazon Connect API stub, with `LIFELINE_E2E_CONNECT_STUB`.
    pub connect: Option<connect_stub::ConnectStub>,
    /// The Twilio TaskRouter API stub, with `LIFELINE_E2E_TASKROUTER_STUB`.
    pub taskrouter: Option<taskrouter_stub::TaskRouterStub>,
    pub store: DynamoStore,
    pub secret: WebhookSecret,
    /// Counts every DynamoDB request the webhook handlers and the rig send.
    pub calls: CallCounter,
    /// Counts each stream consumer's DynamoDB requests, by function name.
    pub consumer_calls: BTreeMap<&'static str, CallCounter>,
    /// Counts callback-lease's EventBridge Scheduler requests.
    pub scheduler_calls: CallCounter,
    /// Reads the emulator's schedules (uncounted), in the group `table`.
    pub schedules: aws_sdk_scheduler::Client,
    /// The SES failures still to inject.
    pub ses_fault: FailFirst,
    /// The dial's outbox queue (with `LIFELINE_E2E_OUTBOX` set).
    pub outbox: Option<String>,
    pub system: Arc<LocalSystem>,
    pub(crate) http: reqwest::Client,
    pub(crate) stop: Option<oneshot::Sender<()>>,
}

impl Drop for Local {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn require_emulator() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok() || std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "end-to-end tests need DynamoDB Local: run ./infra/test.sh (it starts the emulators and sets AWS_ENDPOINT_URL_DYNAMODB)"
    );
}

/// Adds `numbers` to the US pool, added an hour ago: available now whatever
/// the clock.
pub async fn seed_pool(store: &DynamoStore, numbers: &[E164]) {
    store
        .add_numbers(
            Country::US,
            numbers,
            chrono::Utc::now() - chrono::Duration::hours(1),
        )
        .await
        .expect("seed pool");
}

/// A runner over a new table holding agents a-42 (US, calling plan), a-43 (US,
/// direct routing) and a US pool of `pool` numbers from [`US_POOL`].
pub async fn start(pool: usize) -> Local {
    start_with(pool, &[]).await
}

pub async fn start_with(pool: usize, env: &[(&str, &str)]) -> Local {
    start_rig(pool, env, None).await
}

/// As [`start_with`], but the webhook handlers reach DynamoDB Local through
/// a [`FaultProxy`], with the Lambda's critical-path client settings (its
/// timeouts and retries). The stream consumers and the rig's own `store` stay
/// direct, so presence and e-mail follow from the stream as on AWS.
pub async fn start_behind_proxy(pool: usize, env: &[(&str, &str)]) -> (Local, FaultProxy) {
    require_emulator();
    let upstream = crate::dynamodb_endpoint();
    let proxy = FaultProxy::start(&upstream).await.expect("proxy starts");
    let local = start_rig(pool, env, Some(&proxy)).await;
    (local, proxy)
}

/// The webhook handlers' store: the rig's own, or one through `proxy` with
/// the critical-path settings (the endpoint set on the DynamoDB client
/// itself: `AWS_ENDPOINT_URL_DYNAMODB` would win over the shared config's).
/// Either way `calls` counts its requests.
async fn handlers_store(
    store: &DynamoStore,
    proxy: Option<&FaultProxy>,
    calls: &CallCounter,
) -> DynamoStore {
    let Some(proxy) = proxy else {
        return store.clone();
    };
    let conf = load_aws_config(ClientProfile::CriticalPath).await;
    let client = aws_sdk_dynamodb::config::Builder::from(&conf)
        .endpoint_url(proxy.url())
        .interceptor(calls.clone())
        .build();
    DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(client), store.table())
}

async fn start_rig(pool: usize, env: &[(&str, &str)], proxy: Option<&FaultProxy>) -> Local {
    require_emulator();
    if std::env::var_os("RUST_LOG").is_some() {
        lifeline_edge::telemetry::init_text(); // RUST_LOG=info shows the runner's logs
    }
    let conf = load_aws_config(ClientProfile::Admin).await;
    let calls = CallCounter::new();
    let table = format!("e2e-{}", uuid::Uuid::new_v4().simple());
    let store = DynamoStore::new(counted_dynamodb_client(&conf, &calls), &table);
    store
        .create_table()
        .await
        .expect("create table in DynamoDB Local");
    store
        .put_agent(&agent(
            "a-42",
            Country::US,
            NumberType::CallingPlan,
            "+14255550100",
        ))
        .await
        .expect("seed");
    store
        .put_agent(&agent(
            "a-43",
            Country::US,
            NumberType::DirectRouting,
            "+14255550101",
        ))
        .await
        .expect("seed");
    let numbers: Vec<_> = US_POOL[..pool]
        .iter()
        .map(|n| n.parse().expect("number"))
        .collect();
    seed_pool(&store, &numbers).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    // Alerts' acknowledgement links point at this runner.
    let vars: BTreeMap<String, String> = [
        ("LIFELINE_TABLE", table.as_str()),
        ("LIFELINE_OUTSIDE_LINE_PREFIX", "9"),
        ("LIFELINE_ACK_BASE_URL", base.as_str()),
        // The local chat sinks the tests start.
        ("LIFELINE_CHAT_ALLOWED_HOSTS", "127.0.0.1"),
    ]
    .iter()
    .chain(env.iter())
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = Config::from_lookup(Mode::Local, |k| vars.get(k).cloned()).expect("config");
    let secret = config.webhook_secret.clone();
    // Each test has its own schedule group on moto, named like its table.
    let schedules = aws_sdk_scheduler::Client::new(&conf);
    let _ = schedules.create_schedule_group().name(&table).send().await;
    let sched_config = SchedulerConfig::from_lookup(Mode::Local, |k| {
        (k == "LIFELINE_SCHEDULE_GROUP").then(|| table.clone())
    })
    .expect("scheduler config");
    let escalation_config = SchedulerConfig::for_escalations(Mode::Local, |k| {
        (k == "LIFELINE_SCHEDULE_GROUP").then(|| table.clone())
    })
    .expect("escalation config")
    .expect("local: always");
    let scheduler_calls = CallCounter::new();
    // A broken Scheduler endpoint, for the fault tests.
    let lease_conf = match vars.get("LIFELINE_E2E_SCHEDULER_ENDPOINT") {
        Some(url) => {
            lifeline_aws::sdk::aws_config_loader(ClientProfile::CriticalPath)
                .endpoint_url(url)
                .load()
                .await
        }
        None => conf.clone(),
    };
    let lease_scheduler = counted_scheduler_client(&lease_conf, &scheduler_calls);
    // Twilio signs the URL it calls: this runner's.
    let twilio = TwilioConfig::from_lookup(Mode::Local, |k| match k {
        "LIFELINE_TWILIO_PUBLIC_URL" => Some(base.clone()),
        _ => vars.get(k).cloned(),
    })
    .expect("twilio config");
    // Failure queues of their own (stage = the table's name), with short
    // waits between Lambda's retries so that a give-up shows in a second.
    // (A stage is at most 20 characters, as the template's.)
    let stage = format!("e2e-{}", &table[4..16]);
    let failures = lifeline_local::bus::FailureQueues::new(aws_sdk_sqs::Client::new(&conf), &stage);
    let mut system = LocalSystem::new(handlers_store(&store, proxy, &calls).await, config)
        .with_failure_queues(
            failures,
            vec![
                std::time::Duration::from_millis(200),
                std::time::Duration::from_millis(400),
            ],
        );
    // Lambda's concurrency with other ceilings than the template's defaults.
    if let Some(spec) = vars.get("LIFELINE_E2E_CONCURRENCY") {
        let ceilings = lifeline_local::concurrency::Ceilings::parse(spec).expect("ceilings");
        system = system.with_concurrency(ceilings);
    }
    // The dial's outbox, when the test asks for it: a queue of its own on moto.
    let outbox = match vars.get("LIFELINE_E2E_OUTBOX") {
        Some(_) => {
            let sqs = aws_sdk_sqs::Client::new(&conf);
            let url = sqs
                .create_queue()
                .queue_name(&table)
                .send()
                .await
                .expect("an outbox queue on moto")
                .queue_url
                .expect("its URL");
            system = system.with_outbox(lifeline_local::outbox::OutboxQueue {
                client: sqs,
                url: url.clone(),
            });
            Some(url)
        }
        None => None,
    };
    // Amazon Connect (a stub of its API), when the test asks for it: the
    // agent's status there follows Lifeline's override.
    let connect = match vars.get("LIFELINE_E2E_CONNECT_STUB") {
        Some(_) => {
            let stub = connect_stub::ConnectStub::start(&[
                ("st-available", "Available"),
                ("st-emergency", "Emergency call"),
                ("st-break", "Break"),
            ])
            .await;
            let client = aws_sdk_connect::Client::from_conf(
                aws_sdk_connect::config::Builder::from(&conf)
                    .endpoint_url(&stub.url)
                    .build(),
            );
            system = system.with_platform_presence(
                lifeline_aws::connect::ConnectPresence::new(
                    client,
                    connect_stub::INSTANCE,
                    "st-emergency",
                ),
                DynamoStore::from_conf(&conf, &table),
            );
            Some(stub)
        }
        None => None,
    };
    // Twilio TaskRouter (a stub of its API), when the test asks for it: the
    // agent's worker activity follows Lifeline's override, with the settings
    // the function reads at cold start.
    let taskrouter = match vars.get("LIFELINE_E2E_TASKROUTER_STUB") {
        Some(_) => {
            let stub = taskrouter_stub::TaskRouterStub::start().await;
            let settings = platform_presence::PlatformSettings::from_lookup(|k| match k {
                "LIFELINE_PLATFORM_PRESENCE" => Some("twilio".into()),
                "LIFELINE_TWILIO_ACCOUNT_SID" => Some(taskrouter_stub::ACCOUNT_SID.into()),
                "LIFELINE_TWILIO_WORKSPACE_SID" => Some(taskrouter_stub::WORKSPACE_SID.into()),
                "LIFELINE_TWILIO_EMERGENCY_ACTIVITY_SID" => Some(taskrouter_stub::EMERGENCY.into()),
                "LIFELINE_TWILIO_TASKROUTER_URL" => Some(stub.url.clone()),
                "LIFELINE_TWILIO_AUTH_TOKEN" => Some(taskrouter_stub::AUTH_TOKEN.into()),
                _ => None,
            })
            .expect("TaskRouter settings");
            let platform_presence::PlatformSettings::Twilio(settings) = settings else {
                panic!("twilio settings");
            };
            let token = settings.auth_token(&conf).await.expect("auth token");
            system = system.with_platform_presence(
                platform_presence::twilio::TaskRouterPresence::new(&settings, &token)
                    .expect("TaskRouter client"),
                DynamoStore::from_conf(&conf, &table),
            );
            Some(stub)
        }
        None => None,
    };
    // The console, when the test gives it a user pool (LIFELINE_CONSOLE_*):
    // the rig's stage's dead letters, replayed through this runner.
    if vars.contains_key("LIFELINE_CONSOLE_ISSUER") {
        let console =
            console::ConsoleConfig::from_lookup(|k| vars.get(k).cloned()).expect("console config");
        let invoke_api = format!(
            "{base}{}{}",
            lifeline_local::SDK_PREFIX,
            system.local_token().reveal()
        );
        let get = |k: &str| match k {
            console::dead_letters::LAMBDA_ENDPOINT_VAR => Some(invoke_api.clone()),
            "LIFELINE_STAGE" => Some(stage.clone()),
            "LIFELINE_NOTIFY_FROM" => Some(NOTIFY_FROM.into()),
            "LIFELINE_SCHEDULE_GROUP" => Some(table.clone()),
            _ => vars.get(k).cloned(),
        };
        system = system
            .with_console(&conf, console, &get)
            .await
            .expect("the console starts");
    }
    let system = Arc::new(system.with_twilio(twilio).with_schedules(
        schedules.clone(),
        sched_config.clone(),
        DynamoStore::from_conf(&conf, &table),
        lease_scheduler.clone(),
    ));
    let (tx, rx) = oneshot::channel();
    // The stream consumers are functions of their own: their requests are not
    // counted with the webhooks'.
    let consumer_calls: BTreeMap<&'static str, CallCounter> = [
        "presence-override",
        "notifier",
        "callback-lease",
        "incident-log",
    ]
    .into_iter()
    .map(|n| (n, CallCounter::new()))
    .collect();
    // The notifier sends through the SES emulator, from the local identity.
    let ses_fault = FailFirst::new(
        "SendEmail",
        vars.get("LIFELINE_E2E_SES_FAIL_FIRST")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
    );
    let ses = faulty_ses_client(&conf, &ses_fault);
    let _ = ses
        .create_email_identity()
        .email_identity(NOTIFY_FROM)
        .send()
        .await;
    let consumers = system.start_stream_consumers(
        aws_sdk_dynamodbstreams::Client::new(&conf),
        |name| {
            DynamoStore::new(
                counted_dynamodb_client(&conf, &consumer_calls[name]),
                &table,
            )
        },
        Some(EventBridgeScheduler::new(lease_scheduler, sched_config)),
        Some(
            AlertSenders::local(
                lifeline_aws::ses::SesSender::new(ses),
                NOTIFY_FROM.parse().expect("from"),
                &conf,
                system.settings(),
            )
            .escalating(EventBridgeScheduler::new(
                schedules.clone(),
                escalation_config,
            )),
        ),
    );
    // Straight to DynamoDB Local, as the stream consumers.
    let outbox_consumer = system.start_outbox_consumer(DynamoStore::from_conf(&conf, &table));
    tokio::spawn(serve(listener, system.clone(), async move {
        let _ = rx.await;
        consumers.abort();
        if let Some(c) = outbox_consumer {
            c.abort();
        }
    }));
    calls.reset();
    Local {
        base,
        token: system.local_token().reveal().to_string(),
        table,
        stage,
        connect,
        taskrouter,
        store,
        secret,
        calls,
        consumer_calls,
        scheduler_calls,
        schedules,
        ses_fault,
        outbox,
        system,
        http: reqwest::Client::new(),
        stop: Some(tx),
    }
}
