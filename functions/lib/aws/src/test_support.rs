//! Test support (feature `test-support`, which no Lambda binary enables):
//! counts the AWS requests a client sends, per operation (retries included),
//! with an SDK interceptor, so that the figures in tests and benchmarks are
//! measured, not assumed; and fault injection.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<Mutex<BTreeMap<String, usize>>>);

impl CallCounter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests sent since the last reset, by operation name.
    pub fn snapshot(&self) -> BTreeMap<String, usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn total(&self) -> usize {
        self.snapshot().values().sum()
    }

    pub fn reset(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "LifelineCallCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = cfg
            .load::<Metadata>()
            .map_or_else(|| "unknown".to_string(), |m| m.name().to_string());
        *self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(op)
            .or_default() += 1;
        Ok(())
    }
}

/// A DynamoDB client whose requests `counter` counts.
#[cfg(feature = "dynamodb")]
pub fn counted_dynamodb_client(
    conf: &aws_config::SdkConfig,
    counter: &CallCounter,
) -> aws_sdk_dynamodb::Client {
    let c = aws_sdk_dynamodb::config::Builder::from(conf)
        .interceptor(counter.clone())
        .build();
    aws_sdk_dynamodb::Client::from_conf(c)
}

/// An EventBridge Scheduler client whose requests `counter` counts.
#[cfg(feature = "scheduler")]
pub fn counted_scheduler_client(
    conf: &aws_config::SdkConfig,
    counter: &CallCounter,
) -> aws_sdk_scheduler::Client {
    let c = aws_sdk_scheduler::config::Builder::from(conf)
        .interceptor(counter.clone())
        .build();
    aws_sdk_scheduler::Client::from_conf(c)
}

/// Fault injection: the first `n` requests of `operation` fail before they
/// are sent, as a broken network would.
#[derive(Debug, Clone)]
pub struct FailFirst {
    operation: &'static str,
    remaining: Arc<std::sync::atomic::AtomicUsize>,
}

impl FailFirst {
    pub fn new(operation: &'static str, n: usize) -> Self {
        FailFirst {
            operation,
            remaining: Arc::new(std::sync::atomic::AtomicUsize::new(n)),
        }
    }

    /// How many injected failures are left.
    pub fn remaining(&self) -> usize {
        self.remaining.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Intercept for FailFirst {
    fn name(&self) -> &'static str {
        "LifelineFailFirst"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        use std::sync::atomic::Ordering;
        if cfg
            .load::<Metadata>()
            .is_some_and(|m| m.name() == self.operation)
            && self
                .remaining
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            return Err(format!("injected fault in {}", self.operation).into());
        }
        Ok(())
    }
}

/// An SES v2 client whose first sends fail (fault tests).
#[cfg(feature = "sesv2")]
pub fn faulty_ses_client(conf: &aws_config::SdkConfig, fault: &FailFirst) -> aws_sdk_sesv2::Client {
    let c = aws_sdk_sesv2::config::Builder::from(conf)
        .interceptor(fault.clone())
        .build();
    aws_sdk_sesv2::Client::from_conf(c)
}

/// What a [`canned_ses_client`] answers every request with.
#[cfg(feature = "sesv2")]
#[derive(Debug, Clone)]
pub enum CannedAnswer {
    /// An HTTP answer: the status, the `x-amzn-ErrorType` header (the
    /// error's code) when given, and the JSON body.
    Http {
        status: u16,
        error_type: Option<String>,
        body: String,
    },
    /// No answer: the connection failed.
    ConnectionFailed,
}

#[cfg(feature = "sesv2")]
impl CannedAnswer {
    /// SES's answer to an accepted message.
    pub fn accepted() -> Self {
        CannedAnswer::Http {
            status: 200,
            error_type: None,
            body: r#"{"MessageId":"canned-1"}"#.into(),
        }
    }

    /// An SES error: `code` (`MessageRejected`) with `message`.
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        CannedAnswer::Http {
            status,
            error_type: Some(code.into()),
            body: serde_json::json!({ "message": message }).to_string(),
        }
    }
}

/// The canned connector: answers, and keeps the request bodies it got.
#[cfg(feature = "sesv2")]
#[derive(Debug, Clone)]
struct Canned {
    answer: CannedAnswer,
    requests: Arc<Mutex<Vec<String>>>,
}

#[cfg(feature = "sesv2")]
impl aws_smithy_runtime_api::client::http::HttpConnector for Canned {
    fn call(
        &self,
        request: aws_smithy_runtime_api::client::orchestrator::HttpRequest,
    ) -> aws_smithy_runtime_api::client::http::HttpConnectorFuture {
        use aws_smithy_runtime_api::client::http::HttpConnectorFuture;
        use aws_smithy_runtime_api::client::result::ConnectorError;
        let body = request
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(body);
        match &self.answer {
            CannedAnswer::ConnectionFailed => HttpConnectorFuture::ready(Err(ConnectorError::io(
                "connection refused (canned)".into(),
            ))),
            CannedAnswer::Http {
                status,
                error_type,
                body,
            } => {
                let mut r = aws_smithy_runtime_api::http::Response::new(
                    aws_smithy_runtime_api::http::StatusCode::try_from(*status)
                        .unwrap_or_else(|_| unreachable!("a valid status")),
                    aws_smithy_types::body::SdkBody::from(body.clone()),
                );
                r.headers_mut()
                    .insert("content-type", "application/json".to_string());
                if let Some(code) = error_type {
                    r.headers_mut().insert("x-amzn-ErrorType", code.clone());
                }
                HttpConnectorFuture::ready(Ok(r))
            }
        }
    }
}

#[cfg(feature = "sesv2")]
impl aws_smithy_runtime_api::client::http::HttpClient for Canned {
    fn http_connector(
        &self,
        _settings: &aws_smithy_runtime_api::client::http::HttpConnectorSettings,
        _components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
    ) -> aws_smithy_runtime_api::client::http::SharedHttpConnector {
        aws_smithy_runtime_api::client::http::SharedHttpConnector::new(self.clone())
    }
}

#[cfg(feature = "sesv2")]
#[derive(Debug)]
struct TokioSleep;

#[cfg(feature = "sesv2")]
impl aws_sdk_sesv2::config::AsyncSleep for TokioSleep {
    fn sleep(&self, d: std::time::Duration) -> aws_sdk_sesv2::config::Sleep {
        aws_sdk_sesv2::config::Sleep::new(tokio::time::sleep(d))
    }
}

/// An SES v2 client that never reaches the network: every request gets
/// `answer` at once (no retries). The request bodies it sent, as JSON text,
/// are in the returned list.
#[cfg(feature = "sesv2")]
pub fn canned_ses_client(answer: CannedAnswer) -> (aws_sdk_sesv2::Client, Arc<Mutex<Vec<String>>>) {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let conf = aws_sdk_sesv2::Config::builder()
        .behavior_version(aws_sdk_sesv2::config::BehaviorVersion::latest())
        .region(aws_sdk_sesv2::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sesv2::config::Credentials::new(
            "canned", "canned", None, None, "canned",
        ))
        .http_client(Canned {
            answer,
            requests: requests.clone(),
        })
        .sleep_impl(TokioSleep)
        .retry_config(aws_sdk_sesv2::config::retry::RetryConfig::disabled())
        .build();
    (aws_sdk_sesv2::Client::from_conf(conf), requests)
}
