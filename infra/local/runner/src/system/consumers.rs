//! The stream's reader, the bus and the outbox: the functions invoked off the
//! request path, as their event source mappings and rules would.

use super::{event_function, lease_function, LocalSystem};
use crate::bus::LocalBus;
use crate::invoke::{Invocable, JsonFunction};
use callback_lease::CallbackLease;
use lifeline_app::clock::Clock;
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::scheduler::EventBridgeScheduler;
use presence_override::PresenceOverride;
use std::sync::Arc;

/// What the notifier sends with: e-mail from `from`, and SMS and chat when
/// given (without, those recipients are refused, as on AWS without them).
pub struct AlertSenders {
    pub email: lifeline_aws::ses::SesSender,
    pub from: lifeline_domain::types::Email,
    pub sms: Option<lifeline_aws::sns::SnsSms>,
    pub chat: Option<lifeline_chat::WebhookChat>,
    /// The escalation schedules (none: tier 1 only).
    pub escalations: Option<EventBridgeScheduler>,
}

impl AlertSenders {
    /// SES from `from`, SNS on `aws`, chat to the settings' allowed hosts.
    pub fn local(
        email: lifeline_aws::ses::SesSender,
        from: lifeline_domain::types::Email,
        aws: &aws_config::SdkConfig,
        settings: &lifeline_app::settings::Settings,
    ) -> Self {
        let hosts = settings.chat_allowed_hosts.clone();
        let chat = (!hosts.as_slice().is_empty())
            .then(|| lifeline_chat::WebhookChat::new(hosts))
            .and_then(|c| {
                c.map_err(|e| tracing::error!(error = %e, "no chat client"))
                    .ok()
            });
        AlertSenders {
            email,
            from,
            sms: Some(lifeline_aws::sns::SnsSms::from_conf(aws)),
            chat,
            escalations: None,
        }
    }

    /// Escalates through schedules made with `scheduler` (fired by the
    /// runner when they fall due on its clock).
    pub fn escalating(mut self, scheduler: EventBridgeScheduler) -> Self {
        self.escalations = Some(scheduler);
        self
    }
}

impl LocalSystem {
    /// Reads the table's stream with stream-events (as its event source
    /// mapping would) and delivers its events through the bus's rules to
    /// presence-override, incident-log, the notifier (only with `mail`) and callback-lease
    /// (only with a `scheduler`), until the returned task is aborted. Each is
    /// a function of its own with its own store, `store_for(name)`. Needs
    /// `with_failure_queues`.
    pub fn start_stream_consumers(
        &self,
        streams: aws_sdk_dynamodbstreams::Client,
        store_for: impl Fn(&'static str) -> DynamoStore,
        scheduler: Option<EventBridgeScheduler>,
        mail: Option<AlertSenders>,
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
        let incidents = Arc::new(incident_log::IncidentLog::new(
            store("incident-log"),
            clock.clone(),
            self.config.clone(),
        ));
        self.register("incident-log", event_function(incidents));
        if let Some(senders) = mail {
            let sms = senders
                .sms
                .map(|s| Arc::new(s) as Arc<dyn lifeline_app::ports::SmsSender>);
            let chat = senders
                .chat
                .map(|c| Arc::new(c) as Arc<dyn lifeline_app::ports::ChatSender>);
            let mut notifier = notifier::Notifier::new(
                store("notifier"),
                Arc::new(senders.email),
                clock.clone(),
                senders.from,
                &self.config.settings,
            )
            .with_channels(sms, chat)
            .with_timeline(store("notifier"), &self.config.settings)
            .with_steps(lifeline_app::service::notify::StepKeeping {
                steps: store("notifier"),
                acks: store("notifier"),
            });
            if let Some(scheduler) = senders.escalations {
                let steps = store("notifier");
                notifier = notifier.with_escalation(lifeline_app::service::notify::Escalating {
                    steps: steps.clone(),
                    schedules: Arc::new(scheduler),
                    acks: steps,
                });
            }
            if let Some(base) = &self.config.settings.ack_base_url {
                let links = lifeline_edge::webhook::SignedAckLinks {
                    secret: self.config.webhook_secret.clone(),
                    base: base.clone(),
                };
                notifier = notifier.with_ack_links(Arc::new(links), store("notifier"));
            }
            let notifier = Arc::new(notifier);
            self.register("notifier", event_function(notifier));
        }
        if let Some(scheduler) = scheduler {
            let lease = Arc::new(CallbackLease::new(
                store("callback-lease"),
                Arc::new(scheduler),
                clock.clone(),
                self.config.settings.presence,
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
}
