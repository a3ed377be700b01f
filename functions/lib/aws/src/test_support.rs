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
