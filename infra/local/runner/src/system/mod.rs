//! The local system: every function's handler over the emulators, the
//! routes that reach them, and the clock and schedules the runner drives.
//! Its parts: `consumers` (the stream, the bus, the outbox), `schedules`
//! (EventBridge Scheduler's firings), `routes` (the HTTP routes).

mod consumers;
pub use consumers::AlertSenders;
mod routes;
mod schedules;

use lifeline_app::clock::{Clock, OffsetClock};
use lifeline_aws::dynamo::DynamoStore;
use lifeline_edge::config::Config;
use lifeline_edge::http::WebhookHandler;
use lifeline_edge::registry;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::bus::{AsyncInvoker, FailureQueues, Registry};
use crate::invoke::{HttpFunction, Invocable, JsonFunction};

use ack::AckApi;
use call_events::CallEvents;
use callback_lease::CallbackLease;
use callback_router::CallbackRouter;
use connect_adapter::ConnectAdapter;
use dial_intake::DialIntake;
use lifeline_aws::scheduler::{EventBridgeScheduler, SchedulerConfig};
use presence_api::PresenceApi;
use twilio_adapter::{TwilioAdapter, TwilioConfig};

pub struct LocalSystem {
    pub clock: OffsetClock,
    pub store: Arc<DynamoStore>,
    /// dial-intake, for its warm-up.
    dial: Arc<DialIntake<DynamoStore>>,
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
    /// The HTTP functions by name, for their routes (`registry::serving`).
    webhooks: Webhooks,
    /// This run's token, which `/_local/*` and the Invoke API path require.
    token: crate::guard::LocalToken,
    /// Lambda's concurrency for the HTTP functions: beyond it, 429.
    concurrency: crate::concurrency::Concurrency,
}

/// The HTTP functions' handlers, by their registry name.
type Webhooks = std::sync::RwLock<BTreeMap<&'static str, Arc<dyn WebhookHandler>>>;

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
    /// The settings the functions were configured with.
    pub fn settings(&self) -> &lifeline_app::settings::Settings {
        &self.config.settings
    }

    /// Models Lambda's concurrency with `ceilings` instead of the template's
    /// defaults.
    pub fn with_concurrency(mut self, ceilings: crate::concurrency::Ceilings) -> Self {
        self.concurrency = crate::concurrency::Concurrency::new(ceilings);
        self
    }

    pub fn new(store: DynamoStore, config: Config) -> Self {
        let store = Arc::new(store);
        let config = Arc::new(config);
        let clock = OffsetClock::new();
        let c: Arc<dyn Clock> = Arc::new(clock.clone());
        let dial = Arc::new(DialIntake::new(store.clone(), c.clone(), config.clone()));
        let connect = Arc::new(ConnectAdapter::new(
            store.clone(),
            c.clone(),
            config.clone(),
        ));
        // Local defaults (token `local-twilio-token`, http://127.0.0.1:3000) until `with_twilio`.
        let twilio_config = TwilioConfig::from_lookup(lifeline_edge::config::Mode::Local, |_| None)
            .expect("the local Twilio defaults are valid");
        let system = LocalSystem {
            twilio_config: twilio_config.clone(),
            dial: dial.clone(),
            config: config.clone(),
            schedules: None,
            outbox: None,
            invoker: None,
            functions: Registry::default(),
            webhooks: Webhooks::default(),
            clock: clock.clone(),
            store: store.clone(),
            token: crate::guard::LocalToken::generate(),
            concurrency: crate::concurrency::Concurrency::new(Default::default()),
        };
        system.register_webhook("dial-intake", dial);
        system.register_webhook(
            "call-events",
            Arc::new(CallEvents::new(store.clone(), c.clone(), config.clone())),
        );
        system.register_webhook(
            "callback-router",
            Arc::new(CallbackRouter::new(
                store.clone(),
                c.clone(),
                config.clone(),
            )),
        );
        system.register_webhook(
            "presence-api",
            Arc::new(PresenceApi::new(store.clone(), c.clone(), config.clone())),
        );
        system.register_webhook(
            "ack",
            Arc::new(AckApi::new(store.clone(), c.clone(), config.clone())),
        );
        system.register_webhook(
            "twilio-adapter",
            Arc::new(TwilioAdapter::new(store, c, config, twilio_config)),
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
        self.register_webhook(
            "twilio-adapter",
            Arc::new(TwilioAdapter::new(
                self.store.clone(),
                clock,
                self.config.clone(),
                twilio.clone(),
            )),
        );
        self.twilio_config = twilio;
        self
    }

    /// Serves `/console/*` with the console on `aws`'s clients (the
    /// emulators) and the runner's clock; its pool's keys are read now.
    pub async fn with_console(
        self,
        aws: &aws_config::SdkConfig,
        console: console::ConsoleConfig,
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, console::StartError> {
        let clock: Arc<dyn Clock> = Arc::new(self.clock.clone());
        let function =
            console::ConsoleFunction::build(aws, self.config.clone(), console, clock, get).await?;
        self.register_webhook("console", Arc::new(function));
        Ok(self)
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
        self.register_webhook("dial-intake", dial.clone());
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
            self.config.settings.clone(),
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

    /// This run's token (made at `new`): clients of `/_local/*` and of
    /// Lambda's Invoke API path send it (see `guard`).
    pub fn local_token(&self) -> &crate::guard::LocalToken {
        &self.token
    }

    /// The URL Twilio calls this runner at (a tunnel's, possibly).
    pub(crate) fn twilio_public_url(&self) -> &str {
        // The runner's is always fixed (a default, or a tunnel).
        self.twilio_config.public_url.fixed().unwrap_or_default()
    }

    fn register(&self, name: &'static str, function: Arc<dyn Invocable>) {
        debug_assert!(registry::named(name).is_some(), "{name} is not registered");
        if let Ok(mut functions) = self.functions.write() {
            functions.insert(name, function);
        }
    }

    /// An HTTP function: invoked with API Gateway events, and serving its
    /// registry routes.
    fn register_webhook(&self, name: &'static str, handler: Arc<dyn WebhookHandler>) {
        self.register(name, Arc::new(HttpFunction(handler.clone())));
        if let Ok(mut webhooks) = self.webhooks.write() {
            webhooks.insert(name, handler);
        }
    }

    fn function(&self, name: &str) -> Option<Arc<dyn Invocable>> {
        let name = registry::named(name)?.name;
        self.functions.read().ok()?.get(name).cloned()
    }

    fn webhook(&self, name: &str) -> Option<Arc<dyn WebhookHandler>> {
        self.webhooks.read().ok()?.get(name).cloned()
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use lifeline_edge::config::Mode;

    /// Every registered HTTP function serves its routes in a new system: no
    /// route of the registry is answered "not running here". The console
    /// alone waits for its user pool (`with_console`: the e2e tests).
    #[tokio::test]
    async fn every_http_function_serves_its_routes() {
        let conf = lifeline_aws::sdk::aws_config_loader(lifeline_aws::sdk::ClientProfile::Admin)
            .load()
            .await;
        let config = Config::from_lookup(Mode::Local, |_| None).expect("local config");
        let system = LocalSystem::new(DynamoStore::from_conf(&conf, "lifeline"), config);
        for function in registry::FUNCTIONS {
            let serves_http = function.routes().next().is_some() && function.name != "console";
            assert_eq!(
                system.webhook(function.name).is_some(),
                serves_http,
                "{}",
                function.name
            );
        }
        assert!(system.function("connect-adapter").is_some());
    }
}
