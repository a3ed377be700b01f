//! Lifeline's event bus and Lambda's asynchronous invocations, locally: the
//! rules of `lifeline_edge::events::RULES` (the template's patterns) deliver
//! each event to their function as an asynchronous invocation; a failing
//! invocation is retried as Lambda retries it (`ASYNC_DELIVERY`: its retry
//! count and maximum event age) and then kept, in Lambda's failure-record
//! shape with its payload, in the function's failure queue on the emulator's
//! SQS (`lifeline-<stage>-<function>-failures`), where `lifeline dlq` reads it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use lifeline_app::ports::{BusEntry, EventPublisher, PublishError};
use lifeline_edge::events::{pattern_matches, Delivery, ASYNC_DELIVERY, RULES};
use serde_json::{json, Value};

use crate::activity::Activity;
use crate::invoke::Invocable;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "000000000000";

/// Every function by invoke name (shared with the system's registry).
pub type Registry = Arc<RwLock<BTreeMap<&'static str, Arc<dyn Invocable>>>>;

/// The failure queues of one stage on the emulator's SQS.
#[derive(Clone, Debug)]
pub struct FailureQueues {
    client: aws_sdk_sqs::Client,
    /// `lifeline-<stage>-`.
    prefix: String,
    urls: Arc<tokio::sync::Mutex<HashMap<String, String>>>,
}

impl FailureQueues {
    pub fn new(client: aws_sdk_sqs::Client, stage: &str) -> Self {
        FailureQueues {
            client,
            prefix: format!("lifeline-{stage}-"),
            urls: Arc::default(),
        }
    }

    /// The queue where `function`'s failures are kept (as the template names it).
    pub fn name(&self, function: &str) -> String {
        format!("{}{function}-failures", self.prefix)
    }

    /// A function's deployed name (`lifeline-<stage>-<function>`).
    pub fn function_name(&self, function: &str) -> String {
        format!("{}{function}", self.prefix)
    }

    pub fn function_arn(&self, function: &str) -> String {
        format!(
            "arn:aws:lambda:{REGION}:{ACCOUNT}:function:{}",
            self.function_name(function)
        )
    }

    /// The queue's URL, creating it on first use (CreateQueue is idempotent).
    pub async fn url(&self, function: &str) -> Result<String, String> {
        let name = self.name(function);
        let mut urls = self.urls.lock().await;
        if let Some(url) = urls.get(&name) {
            return Ok(url.clone());
        }
        let url = self
            .client
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?
            .queue_url
            .ok_or_else(|| format!("no URL for queue {name}"))?;
        urls.insert(name, url.clone());
        Ok(url)
    }

    /// Keeps a failure record in `function`'s queue.
    pub async fn keep(&self, function: &str, record: &Value) -> Result<(), String> {
        let url = self.url(function).await?;
        self.client
            .send_message()
            .queue_url(url)
            .message_body(record.to_string())
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
        Ok(())
    }

    /// The SQS client (for the stream reader's own failure queue).
    pub fn client(&self) -> &aws_sdk_sqs::Client {
        &self.client
    }
}

/// Lambda's asynchronous invocation, locally.
pub struct AsyncInvoker {
    functions: Registry,
    failures: FailureQueues,
    /// Waits before each retry: Lambda's are about a minute, then two; the
    /// runner's are shorter (`LIFELINE_LOCAL_ASYNC_RETRY_DELAYS_MS`) so that
    /// a give-up is seen in seconds. The count is the template's.
    delays: Vec<Duration>,
    delivery: Delivery,
    /// Invocations in flight (retries included), for `LocalSystem::settled`.
    activity: Arc<Activity>,
}

impl AsyncInvoker {
    pub fn new(functions: Registry, failures: FailureQueues, delays: Vec<Duration>) -> Self {
        AsyncInvoker {
            functions,
            failures,
            delays,
            delivery: ASYNC_DELIVERY,
            activity: Arc::default(),
        }
    }

    pub fn activity(&self) -> &Arc<Activity> {
        &self.activity
    }

    pub fn failures(&self) -> &FailureQueues {
        &self.failures
    }

    fn function(&self, name: &str) -> Option<Arc<dyn Invocable>> {
        self.functions.read().ok()?.get(name).cloned()
    }

    /// Whether this system runs `function` (a rule whose target the
    /// template's conditions leave out, e.g. platform-presence, is absent).
    pub fn runs(&self, function: &str) -> bool {
        self.function(function).is_some()
    }

    /// Queues an invocation of `function` with `payload` and returns at once,
    /// as Lambda's `InvocationType: Event` does.
    pub fn invoke_async(self: &Arc<Self>, function: &'static str, payload: Value) {
        let me = self.clone();
        let in_flight = self.activity.begin();
        tokio::spawn(async move {
            me.deliver(function, payload, 0).await;
            drop(in_flight);
        });
    }

    /// Runs the first attempt now and, if it fails, the retries in the
    /// background (a schedule's firing: the scheduler hands it over at once).
    pub async fn invoke_first(self: &Arc<Self>, function: &'static str, payload: Value) -> bool {
        let in_flight = self.activity.begin();
        match self.attempt(function, &payload).await {
            Ok(_) => true,
            Err(error) => {
                tracing::warn!(function, error_type = %error.error_type, "asynchronous invocation failed; Lambda retries");
                let me = self.clone();
                tokio::spawn(async move {
                    me.retry(function, payload, 1, error).await;
                    drop(in_flight);
                });
                false
            }
        }
    }

    async fn deliver(&self, function: &'static str, payload: Value, done: u32) {
        match self.attempt(function, &payload).await {
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(function, error_type = %error.error_type, "asynchronous invocation failed; Lambda retries");
                self.retry(function, payload, done + 1, error).await
            }
        }
    }

    async fn retry(
        &self,
        function: &'static str,
        payload: Value,
        mut attempts: u32,
        mut error: lambda_runtime::Diagnostic,
    ) {
        let started = std::time::Instant::now();
        while attempts <= self.delivery.max_retries {
            let wait = self
                .delays
                .get(attempts as usize - 1)
                .or(self.delays.last())
                .copied()
                .unwrap_or(Duration::from_secs(1));
            tokio::time::sleep(wait).await;
            if started.elapsed().as_secs() > self.delivery.max_age_secs {
                break;
            }
            attempts += 1;
            match self.attempt(function, &payload).await {
                Ok(_) => {
                    tracing::info!(
                        function,
                        attempts,
                        "asynchronous invocation succeeded on retry"
                    );
                    return;
                }
                Err(e) => error = e,
            }
        }
        let condition = if attempts > self.delivery.max_retries {
            "RetriesExhausted"
        } else {
            "EventAgeExceeded"
        };
        let record = json!({
            "version": "1.0",
            "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "requestContext": {
                "requestId": uuid_like(),
                "functionArn": format!("{}:$LATEST", self.failures.function_arn(function)),
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "requestPayload": payload,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "responsePayload": {"errorType": error.error_type, "errorMessage": error.error_message},
        });
        match self.failures.keep(function, &record).await {
            Ok(()) => tracing::error!(function, condition, queue = %self.failures.name(function),
                "asynchronous invocation given up on; kept with its payload"),
            Err(e) => tracing::error!(function, condition, error = %e,
                "asynchronous invocation given up on and NOT kept: the failure queue is unreachable"),
        }
    }

    async fn attempt(
        &self,
        function: &str,
        payload: &Value,
    ) -> Result<Value, lambda_runtime::Diagnostic> {
        let Some(f) = self.function(function) else {
            return Err(lifeline_edge::lambda::failure(
                "ResourceNotFoundException",
                format!("no function {function} in this runner"),
            ));
        };
        let bytes = serde_json::to_vec(payload).unwrap_or_default();
        // A panic is a function error, as the Lambda runtime reports it.
        let invoked = tokio::spawn(async move { f.invoke(&bytes).await }).await;
        match invoked {
            Ok(result) => result,
            Err(e) => Err(lifeline_edge::lambda::failure("Runtime.Panic", e)),
        }
    }
}

fn uuid_like() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The bus: each event to every rule whose pattern it matches, as an
/// asynchronous invocation of the rule's function.
pub struct LocalBus {
    invoker: Arc<AsyncInvoker>,
}

impl LocalBus {
    pub fn new(invoker: Arc<AsyncInvoker>) -> Self {
        LocalBus { invoker }
    }
}

#[async_trait]
impl EventPublisher for LocalBus {
    async fn publish(&self, entries: &[BusEntry]) -> Result<(), PublishError> {
        for (index, entry) in entries.iter().enumerate() {
            let detail: Value = serde_json::from_str(&entry.detail).map_err(|e| PublishError {
                first_failed: index,
                reason: format!("detail is not JSON: {e}"),
            })?;
            let event = json!({
                "version": "0",
                "id": uuid_like(),
                "detail-type": entry.detail_type,
                "source": lifeline_domain::events::SOURCE,
                "account": ACCOUNT,
                "time": lifeline_domain::call::rfc3339(chrono::Utc::now()),
                "region": REGION,
                "resources": [],
                "detail": detail,
            });
            for rule in RULES
                .iter()
                .filter(|r| self.invoker.runs(r.function) && pattern_matches(r.pattern, &event))
            {
                self.invoker.invoke_async(rule.function, event.clone());
            }
        }
        Ok(())
    }
}
