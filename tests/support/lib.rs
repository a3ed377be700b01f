//! End-to-end rig: a local runner (the same handlers the Lambdas run) on an
//! ephemeral 127.0.0.1 port, over a fresh table in DynamoDB Local. Each test
//! gets its own table, so tests run in parallel. `./infra/test.sh` starts the
//! emulators and exports their endpoints.

pub mod connect_stub;
pub mod contract;
pub mod fault_proxy;
pub mod sip;
pub mod stub_server;
pub mod taskrouter_stub;

use fault_proxy::FaultProxy;
use lifeline_app::ports::AdminStore;
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::scheduler::{parse_at, EventBridgeScheduler, SchedulerConfig};
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_aws::test_support::{
    counted_dynamodb_client, counted_scheduler_client, faulty_ses_client, CallCounter, FailFirst,
};
use lifeline_domain::call::AgentProfile;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::NumberType;
use lifeline_domain::types::{Recipients, E164};
use lifeline_edge::config::{Config, Mode};
use lifeline_edge::webhook::{Signed, WebhookSecret};
use lifeline_local::{serve, LocalSystem};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::oneshot;
use twilio_adapter::TwilioConfig;

pub const NOTIFY_FROM: &str = "lifeline@example.com";

pub const US_POOL: [&str; 5] = [
    "+14255550190",
    "+14255550191",
    "+14255550192",
    "+14255550193",
    "+14255550194",
];

pub struct Local {
    pub base: String,
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
    http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
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

pub fn agent(id: &str, country: Country, number_type: NumberType, source: &str) -> AgentProfile {
    AgentProfile {
        id: id.parse().expect("agent id"),
        name: format!("Agent {id}"),
        email: "agent@example.com".parse().ok(),
        country: Some(country),
        source_number: source.parse().expect("source number"),
        number_type,
        recipients: Recipients::parse("sup@example.com; security@example.com").expect("recipients"),
        fallback: vec![],
        other_country: None,
        outbound_profile: Some("OVP-emergency".into()),
        platform: Default::default(),
    }
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
    let upstream = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .expect("DynamoDB Local's endpoint");
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
    let vars: BTreeMap<String, String> = [
        ("LIFELINE_TABLE", table.as_str()),
        ("LIFELINE_OUTSIDE_LINE_PREFIX", "9"),
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
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
    let system = Arc::new(system.with_twilio(twilio).with_schedules(
        schedules.clone(),
        sched_config.clone(),
        DynamoStore::from_conf(&conf, &table),
        lease_scheduler.clone(),
    ));
    let (tx, rx) = oneshot::channel();
    // The stream consumers are functions of their own: their requests are not
    // counted with the webhooks'.
    let consumer_calls: BTreeMap<&'static str, CallCounter> =
        ["presence-override", "notifier", "callback-lease"]
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
        Some((
            lifeline_aws::ses::SesSender::new(ses),
            NOTIFY_FROM.parse().expect("from"),
        )),
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

pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub json: Value,
}

/// The local Twilio auth token the runner checks signatures with.
pub const TWILIO_TOKEN: &str = "local-twilio-token";

/// A TwiML answer.
pub struct TwimlReply {
    pub status: u16,
    pub content_type: String,
    pub text: String,
}

impl Local {
    /// Until nothing more happens on its own: the stream read to its end,
    /// every asynchronous delivery (retries included) done or given up on.
    /// What a test waits for before it checks that something did NOT happen.
    pub async fn settled(&self) {
        assert!(
            self.system
                .settled(std::time::Duration::from_secs(30))
                .await,
            "the runner did not settle within 30 s"
        );
    }

    /// `POST /_local/invoke/<function>` with a raw event: the output (or the
    /// runtime's error document) and whether it is a function error.
    pub async fn invoke(&self, function: &str, event: &Value) -> (Value, bool) {
        let resp = self
            .http
            .post(format!(
                "{}/_local/invoke/{function}?resign=true",
                self.base
            ))
            .json(event)
            .send()
            .await
            .expect("runner answers");
        assert_eq!(resp.status(), 200, "invoke {function}");
        let error = resp.headers().contains_key("x-amz-function-error");
        (resp.json().await.expect("JSON output"), error)
    }

    /// A form POST to a `/twilio/*` route, signed as Twilio signs it for
    /// `url_base` (this runner's base URL for a genuine request).
    pub async fn twilio(
        &self,
        path_and_query: &str,
        params: &[(&str, &str)],
        token: &str,
        url_base: &str,
    ) -> TwimlReply {
        let signature = twilio_signature(path_and_query, params, token, url_base);
        let body = twilio_adapter::twilio::Form::from_pairs(params.iter().copied()).to_body();
        self.twilio_post(path_and_query, body, &signature).await
    }

    /// A form POST to a `/twilio/*` route with this body and signature.
    pub async fn twilio_post(
        &self,
        path_and_query: &str,
        body: String,
        signature: &str,
    ) -> TwimlReply {
        let resp = self
            .http
            .post(format!("{}{path_and_query}", self.base))
            .header("x-twilio-signature", signature)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("runner answers");
        let (status, content_type) = status_and_type(&resp);
        TwimlReply {
            status,
            content_type,
            text: resp.text().await.unwrap_or_default(),
        }
    }

    /// A signed request with any method (a GET signs an empty body).
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Reply {
        let raw = body.map(Value::to_string).unwrap_or_default();
        let signed = Signed::new(method.as_str(), path, raw.as_bytes());
        let sig = self.secret.sign(chrono::Utc::now().timestamp(), signed);
        let resp = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-lifeline-signature", sig)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .expect("runner answers");
        let (status, content_type) = status_and_type(&resp);
        let json = resp.json().await.unwrap_or(Value::Null);
        Reply {
            status,
            content_type,
            json,
        }
    }

    /// The schedules in this test's group: name → when it fires.
    pub async fn schedule_times(&self) -> BTreeMap<String, chrono::DateTime<chrono::Utc>> {
        let mut out = BTreeMap::new();
        let page = self
            .schedules
            .list_schedules()
            .group_name(&self.table)
            .send()
            .await
            .expect("list schedules");
        for name in page.schedules().iter().filter_map(|s| s.name()) {
            let s = self
                .schedules
                .get_schedule()
                .group_name(&self.table)
                .name(name)
                .send()
                .await
                .expect("get");
            if let Some(at) = s.schedule_expression().and_then(parse_at) {
                out.insert(name.to_string(), at);
            }
        }
        out
    }

    /// Polls until the schedules satisfy `ok` (the stream is asynchronous).
    pub async fn wait_for_schedules(
        &self,
        what: &str,
        ok: impl Fn(&BTreeMap<String, chrono::DateTime<chrono::Utc>>) -> bool,
    ) -> BTreeMap<String, chrono::DateTime<chrono::Utc>> {
        let started = std::time::Instant::now();
        loop {
            let s = self.schedule_times().await;
            if ok(&s) {
                return s;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "schedules never {what}: {s:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// The runner's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        use lifeline_app::clock::Clock;
        self.system.clock.now()
    }

    pub async fn presence(&self, agent: &str) -> Value {
        self.request(
            reqwest::Method::GET,
            &format!("/agents/{agent}/presence"),
            None,
        )
        .await
        .json
    }

    /// Polls the presence until `status` (at most `limit`); how long it took.
    pub async fn wait_for_status(
        &self,
        agent: &str,
        status: &str,
        limit: std::time::Duration,
    ) -> std::time::Duration {
        let started = std::time::Instant::now();
        loop {
            let v = self.presence(agent).await;
            if v["status"] == status {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < limit,
                "{agent} still {v} after {limit:?}, waiting for {status}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// A signed webhook, as the voice platform sends it.
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        let raw = body.to_string();
        let sig = self.secret.sign(
            chrono::Utc::now().timestamp(),
            Signed::post(path, raw.as_bytes()),
        );
        self.post_raw(path, &raw, Some(&sig)).await
    }

    pub async fn post_raw(&self, path: &str, raw: &str, signature: Option<&str>) -> Reply {
        self.send_raw(reqwest::Method::POST, path, raw, signature)
            .await
    }

    /// Any method, exactly these bytes and this signature header (replays).
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        raw: &str,
        signature: Option<&str>,
    ) -> Reply {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(raw.to_string());
        if let Some(s) = signature {
            req = req.header("x-lifeline-signature", s);
        }
        let resp = req.send().await.expect("runner answers");
        let (status, content_type) = status_and_type(&resp);
        let text = resp.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            content_type,
            json,
        }
    }

    /// Moves the runner's clock; how many schedules fired.
    /// dial-intake's container made warm as the runner's start makes it:
    /// every profile, the tenant's settings, each country's candidates.
    pub async fn warm_up(&self) {
        self.system.warm_up().await.expect("warm-up reads");
    }

    pub async fn advance(&self, minutes: i64) -> u64 {
        let r = self
            .http
            .post(format!("{}/_local/clock", self.base))
            .body(serde_json::json!({ "advanceMinutes": minutes }).to_string())
            .send()
            .await
            .expect("clock");
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("clock answer");
        v["schedulesFired"].as_u64().unwrap_or(0)
    }

    pub async fn get(&self, path: &str) -> Reply {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("runner answers");
        let status = resp.status().as_u16();
        let json = resp.json().await.unwrap_or(Value::Null);
        Reply {
            status,
            content_type: String::new(),
            json,
        }
    }
}

/// `X-Twilio-Signature` of these parameters POSTed to `url_base` + `path_and_query`.
pub fn twilio_signature(
    path_and_query: &str,
    params: &[(&str, &str)],
    token: &str,
    url_base: &str,
) -> String {
    use twilio_adapter::twilio::{expected_signature, Form, TwilioAuthToken};
    let form = Form::from_pairs(params.iter().copied());
    let token = TwilioAuthToken::new(token).expect("token");
    expected_signature(&token, &format!("{url_base}{path_and_query}"), &form)
}

fn status_and_type(resp: &reqwest::Response) -> (u16, String) {
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (resp.status().as_u16(), content_type)
}

pub fn dial(call: &str, agent: &str, dialed: &str) -> Value {
    serde_json::json!({"callId": call, "agentId": agent, "dialed": dialed, "from": "+14255550100",
        "location": {"country": "US", "address": "1 Main St, Redmond WA", "lat": 47.6, "lon": -122.1},
        "timestamp": chrono::Utc::now().to_rfc3339()})
}

pub fn inbound(to: &str) -> Value {
    serde_json::json!({"callId": "c-in", "to": to, "from": "+12065550911", "sipPriority": "psap-callback"})
}

pub fn ended(call: &str, agent: &str) -> Value {
    serde_json::json!({"callId": call, "agentId": agent, "timestamp": chrono::Utc::now().to_rfc3339()})
}

/// A runner whose DynamoDB endpoint is broken (`127.0.0.1:<port>`), with the
/// Lambda's critical-path client settings; requests go straight to its handler.
pub struct Broken {
    system: LocalSystem,
    secret: WebhookSecret,
}

impl Broken {
    pub async fn at_port(port: u16) -> Broken {
        let conf = lifeline_aws::sdk::aws_config_loader(ClientProfile::CriticalPath)
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .load()
            .await;
        let config = Config::from_lookup(Mode::Local, |k| {
            (k == "LIFELINE_OUTSIDE_LINE_PREFIX").then(|| "9".to_string())
        })
        .expect("config");
        let secret = config.webhook_secret.clone();
        let system = LocalSystem::new(DynamoStore::from_conf(&conf, "lifeline"), config);
        Broken { system, secret }
    }

    /// A runner on DynamoDB Local's `table` whose listed operations fail every
    /// time, as throttling that outlasts the SDK's retries would.
    pub async fn failing(table: &str, operations: &[&'static str]) -> Broken {
        let conf = lifeline_aws::sdk::aws_config_loader(ClientProfile::CriticalPath)
            .load()
            .await;
        let mut builder = aws_sdk_dynamodb::config::Builder::from(&conf);
        for op in operations {
            builder = builder.interceptor(FailFirst::new(op, usize::MAX));
        }
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(builder.build()), table);
        let config = Config::from_lookup(Mode::Local, |k| match k {
            "LIFELINE_OUTSIDE_LINE_PREFIX" => Some("9".to_string()),
            "LIFELINE_TABLE" => Some(table.to_string()),
            _ => None,
        })
        .expect("config");
        let secret = config.webhook_secret.clone();
        Broken {
            system: LocalSystem::new(store, config),
            secret,
        }
    }

    /// Answers a signed webhook; the status, the JSON and how long it took.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value, std::time::Duration) {
        let raw = body.to_string();
        let mut req = http::Request::new(bytes::Bytes::from(raw.clone()));
        *req.method_mut() = http::Method::POST;
        *req.uri_mut() = path.parse().expect("uri");
        let sig = self.secret.sign(
            chrono::Utc::now().timestamp(),
            Signed::post(path, raw.as_bytes()),
        );
        req.headers_mut()
            .insert("x-lifeline-signature", sig.parse().expect("header"));
        let started = std::time::Instant::now();
        let resp = self.system.handle(req).await;
        let took = started.elapsed();
        let json = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
        (resp.status().as_u16(), json, took)
    }
}

/// One e-mail the SES emulator accepted.
#[derive(Debug, Clone)]
pub struct SentEmail {
    pub to: Vec<String>,
    pub source: String,
    pub subject: String,
    /// moto keeps one body: the HTML part when there is one.
    pub body: String,
}

/// What moto's SES received, addressed to `recipient`.
pub async fn emails_to(recipient: &str) -> Vec<SentEmail> {
    try_emails_to(recipient).await.expect("moto answers")
}

/// As [`emails_to`], an error when moto does not answer (for polling loops
/// that try again).
pub async fn try_emails_to(recipient: &str) -> Result<Vec<SentEmail>, reqwest::Error> {
    let base = std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into());
    let data: Value = reqwest::get(format!("{base}/moto-api/data.json"))
        .await?
        .json()
        .await?;
    Ok(data["ses"]["Message"]
        .as_array()
        .map(|msgs| {
            msgs.iter()
                .filter_map(|m| {
                    let to: Vec<String> = m["destinations"]["ToAddresses"]
                        .as_array()?
                        .iter()
                        .filter_map(|a| a.as_str().map(String::from))
                        .collect();
                    to.iter().any(|a| a == recipient).then(|| SentEmail {
                        to,
                        source: m["source"].as_str().unwrap_or("").into(),
                        subject: m["subject"].as_str().unwrap_or("").into(),
                        body: m["body"].as_str().unwrap_or("").into(),
                    })
                })
                .collect()
        })
        .unwrap_or_default())
}

impl Local {
    /// The admin CLI's dead-letter clients for this system: the emulator's
    /// SQS and S3, and Lambda's Invoke API served by this runner.
    pub async fn dead_letter_clients(&self) -> lifeline_aws::dlq::DeadLetterClients {
        let conf = lifeline_aws::sdk::load_aws_config(ClientProfile::Admin).await;
        let mut clients = lifeline_aws::dlq::DeadLetterClients::from_conf(&conf);
        clients.lambda = aws_sdk_lambda::Client::from_conf(
            aws_sdk_lambda::config::Builder::from(&conf)
                .endpoint_url(&self.base)
                .build(),
        );
        clients
    }

    /// `lifeline dlq list --json` for this system's stage.
    pub async fn dead_letters(&self) -> Vec<Value> {
        let places = lifeline_cli::dlq::Places {
            stage: lifeline_cli::dlq::Stage::parse(&self.stage).expect("stage"),
            failure_bucket: None,
            only: None,
        };
        let letters = lifeline_cli::dlq::gather(&self.dead_letter_clients().await, &places)
            .await
            .expect("gather dead letters")
            .letters;
        serde_json::from_str::<Value>(&lifeline_cli::dlq::list_json(&letters))
            .ok()
            .and_then(|v| {
                v.as_array()
                    .cloned()
                    .or_else(|| v["deadLetters"].as_array().cloned())
            })
            .unwrap_or_default()
    }

    /// `lifeline dlq replay --all`: (replayed, failed again) and its output.
    pub async fn replay_dead_letters(&self) -> (lifeline_cli::dlq::ReplaySummary, String) {
        let clients = self.dead_letter_clients().await;
        let places = lifeline_cli::dlq::Places {
            stage: lifeline_cli::dlq::Stage::parse(&self.stage).expect("stage"),
            failure_bucket: None,
            only: None,
        };
        let letters = lifeline_cli::dlq::gather(&clients, &places)
            .await
            .expect("gather dead letters")
            .letters;
        let chosen = lifeline_cli::dlq::select(&letters, &[], true).expect("select");
        let mut out = Vec::new();
        let summary = lifeline_cli::dlq::replay(&clients, &chosen, &mut out).await;
        (summary, String::from_utf8_lossy(&out).into_owned())
    }
}

/// The nearest-rank percentile `p` (0..=1) of `values` (sorted here): the
/// figures examples' one definition.
pub fn percentile(values: &mut [std::time::Duration], p: f64) -> Option<std::time::Duration> {
    values.sort();
    let rank = ((p * values.len() as f64).ceil() as usize).max(1);
    values.get(rank - 1).copied()
}
