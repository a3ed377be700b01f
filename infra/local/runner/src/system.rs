//! The local system: every function's handler over the emulators, the
//! routes that reach them, and the clock and schedules the runner drives.

use bytes::Bytes;
use lambda_http::Body as LambdaBody;
use lifeline_app::clock::{Clock, OffsetClock};
use lifeline_aws::dynamo::sdk_error::DisplayErrorContext;
use lifeline_aws::dynamo::DynamoStore;
use lifeline_edge::config::Config;
use lifeline_edge::http::WebhookHandler;
use lifeline_edge::webhook::Problem;
use std::sync::Arc;

use crate::answers::{from_lambda, json, problem};
use crate::bus::{AsyncInvoker, FailureQueues, LocalBus, Registry};
use crate::invoke::{HttpFunction, Invocable, JsonFunction};

use call_events::CallEvents;
use callback_lease::CallbackLease;
use callback_router::CallbackRouter;
use connect_adapter::ConnectAdapter;
use dial_intake::DialIntake;
use lifeline_aws::scheduler::{parse_at, EventBridgeScheduler, SchedulerConfig};
use presence_api::PresenceApi;
use presence_override::PresenceOverride;
use twilio_adapter::{TwilioAdapter, TwilioConfig};

pub struct LocalSystem {
    pub clock: OffsetClock,
    pub store: Arc<DynamoStore>,
    dial: Arc<DialIntake<DynamoStore>>,
    ended: Arc<CallEvents<DynamoStore>>,
    callback: Arc<CallbackRouter<DynamoStore>>,
    presence: Arc<PresenceApi<DynamoStore>>,
    twilio: Arc<TwilioAdapter<DynamoStore>>,
    twilio_config: TwilioConfig,
    config: Arc<Config>,
    schedules: Option<Schedules>,
    /// The dial's outbox, once `with_outbox` set one.
    outbox: Option<crate::outbox::OutboxQueue>,
    /// Lambda's asynchronous invocations (bus rules, schedules), once
    /// `with_failure_queues` gave them somewhere to keep failures.
    invoker: Option<Arc<AsyncInvoker>>,
    /// Every function by invoke name, for `POST /_local/invoke/<name>`,
    /// Lambda's Invoke API path, the bus and the schedules.
    functions: Registry,
}

/// The emulator's schedules, and the function their firings invoke.
struct Schedules {
    /// Reads and deletes schedules as EventBridge Scheduler itself would.
    client: aws_sdk_scheduler::Client,
    config: SchedulerConfig,
    target: Arc<CallbackLease<DynamoStore, EventBridgeScheduler>>,
    /// One firing round at a time.
    firing: tokio::sync::Mutex<()>,
}

impl LocalSystem {
    pub fn new(store: DynamoStore, config: Config) -> Self {
        let store = Arc::new(store);
        let config = Arc::new(config);
        let clock = OffsetClock::new();
        let c: Arc<dyn Clock> = Arc::new(clock.clone());
        let dial = Arc::new(DialIntake::new(store.clone(), c.clone(), config.clone()));
        let ended = Arc::new(CallEvents::new(store.clone(), c.clone(), config.clone()));
        let callback = Arc::new(CallbackRouter::new(
            store.clone(),
            c.clone(),
            config.clone(),
        ));
        let presence = Arc::new(PresenceApi::new(store.clone(), c.clone(), config.clone()));
        let connect = Arc::new(ConnectAdapter::new(store.clone(), c, config.clone()));
        // Local defaults (token `local-twilio-token`, http://127.0.0.1:3000) until `with_twilio`.
        let twilio_config = TwilioConfig::from_lookup(lifeline_edge::config::Mode::Local, |_| None)
            .expect("the local Twilio defaults are valid");
        let system = LocalSystem {
            twilio: Arc::new(TwilioAdapter::new(
                store.clone(),
                Arc::new(clock.clone()),
                config.clone(),
                twilio_config.clone(),
            )),
            twilio_config,
            dial: dial.clone(),
            ended: ended.clone(),
            callback: callback.clone(),
            presence: presence.clone(),
            config,
            schedules: None,
            outbox: None,
            invoker: None,
            functions: Registry::default(),
            clock,
            store,
        };
        system.register("dial-intake", Arc::new(HttpFunction(dial)));
        system.register("call-events", Arc::new(HttpFunction(ended)));
        system.register("callback-router", Arc::new(HttpFunction(callback)));
        system.register("presence-api", Arc::new(HttpFunction(presence)));
        system.register(
            "twilio-adapter",
            Arc::new(HttpFunction(system.twilio.clone())),
        );
        system.register(
            "connect-adapter",
            Arc::new(JsonFunction(move |event| {
                let connect = connect.clone();
                async move { connect.invoke(event).await }
            })),
        );
        system
    }

    /// Makes dial-intake's container warm before its first dial, as one that
    /// has served for a while is: every agent's profile, the tenant's
    /// settings, and each country's candidate numbers.
    pub async fn warm_up(&self) -> Result<usize, lifeline_app::ports::StoreError> {
        use lifeline_app::ports::AdminStore;
        let profiles = self.store.list_agents().await?;
        let tenant = self.store.get_tenant().await?;
        let agents = profiles.len();
        // The countries its agents live in: the ones whose pools it serves.
        let mut countries: Vec<_> = profiles.iter().filter_map(|p| p.country).collect();
        countries.sort();
        countries.dedup();
        self.dial
            .service()
            .warm_up(profiles, tenant, &countries)
            .await;
        Ok(agents)
    }

    /// Serves `/twilio/*` with these settings (the public URL must be this
    /// runner's, or whatever tunnel Twilio reaches it through).
    pub fn with_twilio(mut self, twilio: TwilioConfig) -> Self {
        let clock: Arc<dyn Clock> = Arc::new(self.clock.clone());
        self.twilio = Arc::new(TwilioAdapter::new(
            self.store.clone(),
            clock,
            self.config.clone(),
            twilio.clone(),
        ));
        self.twilio_config = twilio;
        self.register(
            "twilio-adapter",
            Arc::new(HttpFunction(self.twilio.clone())),
        );
        self
    }

    /// dial-intake hands calls the table cannot take in time to `queue`
    /// (moto's SQS); `start_outbox_consumer` drains it.
    pub fn with_outbox(mut self, queue: crate::outbox::OutboxQueue) -> Self {
        let outbox = lifeline_aws::sqs::SqsOutbox::new(queue.client.clone(), queue.url.clone());
        let dial = Arc::new(
            DialIntake::new(
                self.store.clone(),
                Arc::new(self.clock.clone()),
                self.config.clone(),
            )
            .with_outbox(Arc::new(outbox)),
        );
        self.register("dial-intake", Arc::new(HttpFunction(dial.clone())));
        self.dial = dial;
        self.outbox = Some(queue);
        self
    }

    /// Asynchronous invocations (the bus's rules, the schedules' firings)
    /// are retried as Lambda retries them, `delays` apart, and then kept in
    /// `failures` (the stage's failure queues), where `lifeline dlq` reads them.
    pub fn with_failure_queues(
        mut self,
        failures: FailureQueues,
        delays: Vec<std::time::Duration>,
    ) -> Self {
        self.invoker = Some(Arc::new(AsyncInvoker::new(
            self.functions.clone(),
            failures,
            delays,
        )));
        self
    }

    /// Lifeline's override reaches the agent's status on the voice platform
    /// (`connect`: the Connect API, `twilio`: TaskRouter, or a stub of
    /// either), through the bus's platform rule, as platform-presence does.
    pub fn with_platform_presence<P: lifeline_app::ports::PlatformPresence + 'static>(
        self,
        platform: P,
        store: DynamoStore,
    ) -> Self {
        let handler = Arc::new(platform_presence::PlatformPresenceHandler::new(
            Arc::new(store),
            Arc::new(platform),
            Arc::new(self.clock.clone()),
        ));
        self.register("platform-presence", event_function(handler));
        self
    }

    /// Drains the outbox into `store` with call-outbox (as its SQS event
    /// source mapping would) until the task is aborted; `None` without one.
    pub fn start_outbox_consumer(&self, store: DynamoStore) -> Option<tokio::task::JoinHandle<()>> {
        let queue = self.outbox.clone()?;
        let handler = Arc::new(call_outbox::CallOutbox::new(
            Arc::new(store),
            Arc::new(self.clock.clone()),
        ));
        let invoked = handler.clone();
        self.register(
            "call-outbox",
            Arc::new(JsonFunction(move |event: serde_json::Value| {
                let handler = invoked.clone();
                async move {
                    let event =
                        serde_json::from_value(event).map_err(|e| lambda_runtime::Diagnostic {
                            error_type: "InvalidEvent".into(),
                            error_message: e.to_string(),
                        })?;
                    serde_json::to_value(handler.handle(event).await).map_err(|e| {
                        lambda_runtime::Diagnostic {
                            error_type: "SerializationError".into(),
                            error_message: e.to_string(),
                        }
                    })
                }
            })),
        );
        Some(queue.pump(handler, std::time::Duration::from_millis(200)))
    }

    fn register(&self, name: &'static str, function: Arc<dyn Invocable>) {
        if let Ok(mut functions) = self.functions.write() {
            functions.insert(name, function);
        }
    }

    fn function(&self, name: &str) -> Option<Arc<dyn Invocable>> {
        let name = crate::invoke::canonical_name(name)?;
        self.functions.read().ok()?.get(name).cloned()
    }

    /// Fires the emulator's schedules when they fall due on this runner's
    /// clock (EventBridge Scheduler's part; moto stores schedules but never
    /// fires them). `client` reads and deletes them; the callback-lease
    /// function they target uses `store` and `scheduler`.
    pub fn with_schedules(
        mut self,
        client: aws_sdk_scheduler::Client,
        config: SchedulerConfig,
        store: DynamoStore,
        scheduler: aws_sdk_scheduler::Client,
    ) -> Self {
        let clock: Arc<dyn Clock> = Arc::new(self.clock.clone());
        let target = Arc::new(CallbackLease::new(
            Arc::new(store),
            Arc::new(EventBridgeScheduler::new(scheduler, config.clone())),
            clock,
        ));
        self.register("callback-lease", lease_function(target.clone()));
        self.schedules = Some(Schedules {
            client,
            config,
            target,
            firing: tokio::sync::Mutex::new(()),
        });
        self
    }

    /// Fires every schedule due by the runner's clock, as the scheduler would
    /// (then deletes it: `ActionAfterCompletion: DELETE`). A firing whose
    /// invocation fails stays for the next round (the retry policy). The
    /// number of firings.
    pub async fn fire_due_schedules(&self) -> usize {
        let Some(s) = &self.schedules else { return 0 };
        let _one_at_a_time = s.firing.lock().await;
        let now = self.clock.now();
        let mut names = Vec::new();
        let mut token = None;
        loop {
            match s
                .client
                .list_schedules()
                .group_name(&s.config.group)
                .set_next_token(token)
                .send()
                .await
            {
                Ok(page) => {
                    names.extend(
                        page.schedules()
                            .iter()
                            .filter_map(|x| x.name().map(String::from)),
                    );
                    match page.next_token() {
                        Some(t) => token = Some(t.to_string()),
                        None => break,
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %DisplayErrorContext(&e), "cannot list schedules");
                    return 0;
                }
            }
        }
        let mut fired = 0;
        for name in names {
            let Ok(sched) = s
                .client
                .get_schedule()
                .group_name(&s.config.group)
                .name(&name)
                .send()
                .await
            else {
                continue;
            };
            let due = sched
                .schedule_expression()
                .and_then(parse_at)
                .is_some_and(|at| at <= now);
            let input = sched.target().and_then(|t| t.input()).unwrap_or("{}");
            if !due {
                continue;
            }
            let payload: serde_json::Value = serde_json::from_str(input).unwrap_or_default();
            // The scheduler hands the firing to Lambda as an asynchronous
            // invocation and is done with it (then deletes the schedule:
            // `ActionAfterCompletion: DELETE`); Lambda retries a failure and
            // keeps it in callback-lease's failure queue. Without failure
            // queues, the runner invokes directly and retries next round.
            let handed_over = match &self.invoker {
                Some(invoker) => {
                    let released = invoker.invoke_first("callback-lease", payload).await;
                    tracing::info!(schedule = %name, first_attempt_ok = released, "schedule fired");
                    true
                }
                None => match s.target.invoke(payload).await {
                    Ok(out) => {
                        tracing::info!(schedule = %name, result = %out, "schedule fired");
                        true
                    }
                    Err(e) => {
                        tracing::warn!(schedule = %name, error = %e, "schedule firing failed; retried next round");
                        false
                    }
                },
            };
            if handed_over {
                fired += 1;
                let _ = s
                    .client
                    .delete_schedule()
                    .group_name(&s.config.group)
                    .name(&name)
                    .send()
                    .await;
            }
        }
        fired
    }

    /// Fires due schedules every `every` until the task is aborted.
    pub fn start_scheduler(
        self: &Arc<Self>,
        every: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                me.fire_due_schedules().await;
                tokio::time::sleep(every).await;
            }
        })
    }

    /// Reads the table's stream with stream-events (as its event source
    /// mapping would) and delivers its events through the bus's rules to
    /// presence-override, the notifier (only with `mail`) and callback-lease
    /// (only with a `scheduler`), until the returned task is aborted. Each is
    /// a function of its own with its own store, `store_for(name)`. Needs
    /// `with_failure_queues`.
    pub fn start_stream_consumers(
        &self,
        streams: aws_sdk_dynamodbstreams::Client,
        store_for: impl Fn(&'static str) -> DynamoStore,
        scheduler: Option<EventBridgeScheduler>,
        mail: Option<(lifeline_aws::ses::SesSender, lifeline_domain::types::Email)>,
    ) -> tokio::task::JoinHandle<()> {
        let table = self.store.table().to_string();
        let clock: Arc<dyn Clock> = Arc::new(self.clock.clone());
        let store = |name| Arc::new(store_for(name));
        let presence = Arc::new(PresenceOverride::new(
            store("presence-override"),
            clock.clone(),
            self.config.clone(),
        ));
        self.register("presence-override", event_function(presence));
        if let Some((sender, from)) = mail {
            let notifier = Arc::new(notifier::Notifier::new(
                store("notifier"),
                Arc::new(sender),
                clock.clone(),
                from,
                &self.config.settings,
            ));
            self.register("notifier", event_function(notifier));
        }
        if let Some(scheduler) = scheduler {
            let lease = Arc::new(CallbackLease::new(
                store("callback-lease"),
                Arc::new(scheduler),
                clock.clone(),
            ));
            if self.schedules.is_none() {
                self.register("callback-lease", lease_function(lease));
            }
        }
        let Some(invoker) = self.invoker.clone() else {
            tracing::error!("no failure queues (with_failure_queues): the stream is not read");
            return tokio::spawn(async {});
        };
        let me_register = {
            let functions = self.functions.clone();
            move |name: &'static str, f: Arc<dyn Invocable>| {
                if let Ok(mut all) = functions.write() {
                    all.insert(name, f);
                }
            }
        };
        tokio::spawn(async move {
            let failures = invoker.failures().clone();
            let url = loop {
                match failures.url("stream-events").await {
                    Ok(url) => break url,
                    Err(e) => {
                        tracing::warn!(error = %e, "waiting for stream-events' failure queue");
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    }
                }
            };
            let reader = Arc::new(stream_events::StreamEvents::new(
                Arc::new(LocalBus::new(invoker.clone())),
                Arc::new(lifeline_aws::sqs::SqsFailureQueue::new(
                    failures.client().clone(),
                    url,
                )),
                clock,
            ));
            let arn = failures.function_arn("stream-events");
            let function: Arc<dyn Invocable> = Arc::new(JsonFunction(move |event| {
                let reader = reader.clone();
                let arn = arn.clone();
                async move { reader.invoke(event, &arn).await }
            }));
            me_register("stream-events", function.clone());
            crate::stream::pump(
                streams,
                table,
                crate::stream::StreamReader {
                    function,
                    delivery: lifeline_edge::events::STREAM_DELIVERY,
                    failures,
                    activity: invoker.activity().clone(),
                },
                std::time::Duration::from_millis(200),
            )
            .await
        })
    }

    /// Waits until nothing more will happen on its own: the stream read to
    /// its end and every asynchronous invocation (retries included) finished
    /// or given up on. `false` after `within`, or without failure queues
    /// (no stream is read then).
    pub async fn settled(&self, within: std::time::Duration) -> bool {
        match &self.invoker {
            Some(invoker) => invoker.activity().settled(within).await,
            None => false,
        }
    }

    /// Answers one HTTP request.
    pub async fn handle(&self, req: http::Request<Bytes>) -> http::Response<Bytes> {
        let (parts, body) = req.into_parts();
        let path = parts.uri.path().to_string();
        let to_lambda = || {
            let mut r = lambda_http::Request::new(if body.is_empty() {
                LambdaBody::Empty
            } else {
                LambdaBody::Binary(body.to_vec())
            });
            *r.method_mut() = parts.method.clone();
            *r.uri_mut() = parts.uri.clone();
            *r.headers_mut() = parts.headers.clone();
            r
        };
        let resp = match (parts.method.as_str(), path.as_str()) {
            (_, "/calls/outbound") => self.dial.handle(to_lambda()).await,
            (_, "/calls/ended") => self.ended.handle(to_lambda()).await,
            (_, "/calls/inbound") => self.callback.handle(to_lambda()).await,
            (_, p)
                if p.starts_with("/agents/")
                    && (p.ends_with("/presence") || p.ends_with("/location")) =>
            {
                self.presence.handle(to_lambda()).await
            }
            (_, "/twilio/outbound" | "/twilio/inbound" | "/twilio/status") => {
                self.twilio.handle(to_lambda()).await
            }
            ("GET", "/_local/health") => return self.health().await,
            ("POST", p) if p.starts_with("/_local/invoke/") => {
                let name = &p["/_local/invoke/".len()..];
                let resign = parts
                    .uri
                    .query()
                    .is_some_and(|q| q.split('&').any(|kv| kv == "resign=true" || kv == "resign"));
                return self.invoke(name, &body, resign).await;
            }
            ("POST", "/_local/clock") => {
                let resp = self.move_clock(&body);
                if resp.status().is_success() {
                    // What fell due on the new clock fires before the answer.
                    let fired = self.fire_due_schedules().await;
                    let now = lifeline_domain::call::rfc3339(self.clock.now());
                    return json(
                        200,
                        &serde_json::json!({"now": now, "schedulesFired": fired}),
                    );
                }
                return resp;
            }
            // Lambda's Invoke API (`lifeline dlq replay` through AWS_ENDPOINT_URL_LAMBDA).
            ("POST", p) if p.starts_with(INVOKE_API) && p.ends_with("/invocations") => {
                let name = &p[INVOKE_API.len()..p.len() - "/invocations".len()];
                return self
                    .invoke(&crate::invoke::percent_decoded(name), &body, false)
                    .await;
            }
            ("GET", "/_local/clock") => {
                return json(
                    200,
                    &serde_json::json!({"now": lifeline_domain::call::rfc3339(self.clock.now())}),
                )
            }
            _ => {
                return problem(&Problem::new(
                    404,
                    "not-found",
                    "Not found",
                    format!("no route {} {path}", parts.method),
                ))
            }
        };
        from_lambda(resp)
    }

    /// Runs one function on a raw event (see [`invoke`]). With `resign`, a
    /// webhook event's signature is made afresh first, as the platform would
    /// at send time (the samples in `events/` carry signatures of their own
    /// moment, which the five-minute window has long refused).
    pub async fn invoke(&self, name: &str, event: &[u8], resign: bool) -> http::Response<Bytes> {
        let Some(function) = self.function(name) else {
            let known: Vec<_> = crate::invoke::FUNCTIONS.iter().map(|(n, _)| *n).collect();
            return problem(&Problem::new(
                404,
                "unknown-function",
                "Function not found",
                format!("no function `{name}` here; functions: {}", known.join(", ")),
            ));
        };
        let event = if resign {
            self.resign(event)
        } else {
            event.to_vec()
        };
        let (error, value) = match function.invoke(&event).await {
            Ok(out) => (false, out),
            Err(d) => {
                tracing::warn!(function = name, error_type = %d.error_type, "invocation failed");
                (true, serde_json::to_value(&d).unwrap_or_default())
            }
        };
        let mut resp = json(200, &value);
        if error {
            resp.headers_mut().insert(
                "x-amz-function-error",
                http::HeaderValue::from_static("Unhandled"),
            );
        }
        resp
    }

    /// A copy of an HTTP API event with its signature made afresh: Lifeline's
    /// (now, with this runner's secret) or Twilio's (this runner's token and
    /// public URL).
    fn resign(&self, event: &[u8]) -> Vec<u8> {
        let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(event) else {
            return event.to_vec();
        };
        let body = v
            .get("body")
            .and_then(|b| b.as_str())
            .unwrap_or_default()
            .to_string();
        // The URL Twilio would have signed: this runner's public URL + the path.
        let raw = |k: &str| v.get(k).and_then(|p| p.as_str()).unwrap_or_default();
        let url = match raw("rawQueryString") {
            "" => format!("{}{}", self.twilio_config.public_url, raw("rawPath")),
            q => format!("{}{}?{q}", self.twilio_config.public_url, raw("rawPath")),
        };
        // A Lifeline signature covers the route the event names: its method and rawPath.
        let path = raw("rawPath").to_string();
        let method = v
            .pointer("/requestContext/http/method")
            .and_then(|m| m.as_str())
            .unwrap_or("POST")
            .to_string();
        if let Some(headers) = v.get_mut("headers").and_then(|h| h.as_object_mut()) {
            if headers.contains_key(lifeline_edge::webhook::SIGNATURE_HEADER) {
                let t = chrono::Utc::now().timestamp();
                headers.insert(lifeline_edge::webhook::SIGNATURE_HEADER.into(), {
                    let signed =
                        lifeline_edge::webhook::Signed::new(&method, &path, body.as_bytes());
                    self.config.webhook_secret.sign(t, signed).into()
                });
            }
            if headers.contains_key(twilio_adapter::twilio::SIGNATURE_HEADER) {
                if let Ok(form) = twilio_adapter::twilio::Form::parse(body.as_bytes()) {
                    let signature = twilio_adapter::twilio::expected_signature(
                        &self.twilio_config.auth_token,
                        &url,
                        &form,
                    );
                    headers.insert(
                        twilio_adapter::twilio::SIGNATURE_HEADER.into(),
                        signature.into(),
                    );
                }
            }
        }
        serde_json::to_vec(&v).unwrap_or_else(|_| event.to_vec())
    }

    async fn health(&self) -> http::Response<Bytes> {
        match self
            .store
            .client()
            .describe_table()
            .table_name(self.store.table())
            .send()
            .await
        {
            Ok(_) => json(
                200,
                &serde_json::json!({"status": "ok", "table": self.store.table()}),
            ),
            Err(e) => problem(&Problem::new(
                503,
                "not-ready",
                "Not ready",
                format!("table {}: {}", self.store.table(), DisplayErrorContext(&e)),
            )),
        }
    }

    fn move_clock(&self, body: &[u8]) -> http::Response<Bytes> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Advance {
            advance_minutes: i64,
        }
        match serde_json::from_slice::<Advance>(body) {
            Ok(a) if (0..=60 * 24 * 30).contains(&a.advance_minutes) => {
                let now = self
                    .clock
                    .advance(chrono::Duration::minutes(a.advance_minutes));
                tracing::info!(advanced_minutes = a.advance_minutes, now = %now, "local clock moved");
                json(
                    200,
                    &serde_json::json!({"now": lifeline_domain::call::rfc3339(now)}),
                )
            }
            _ => {
                let mut p = Problem::invalid_field(
                    "advanceMinutes",
                    "`advanceMinutes` must be a whole number from 0 to 43200",
                );
                p.status = 400;
                problem(&p)
            }
        }
    }
}

/// Lambda's Invoke API path, up to the function's name.
const INVOKE_API: &str = "/2015-03-31/functions/";

/// A function invoked asynchronously with JSON events.
fn event_function<H: lifeline_edge::lambda::EventHandler + 'static>(
    handler: Arc<H>,
) -> Arc<dyn Invocable> {
    Arc::new(JsonFunction(move |event| {
        let handler = handler.clone();
        async move { handler.invoke(event).await }
    }))
}

fn lease_function(
    lease: Arc<CallbackLease<DynamoStore, EventBridgeScheduler>>,
) -> Arc<dyn Invocable> {
    Arc::new(JsonFunction(move |event| {
        let lease = lease.clone();
        async move { lease.invoke(event).await }
    }))
}
