//! What every adapter shares: the AWS configuration each client is built
//! from, and what a conditional request's outcome means.

use aws_smithy_runtime_api::client::result::SdkError;
use std::time::Duration as StdDuration;

/// How patient a client is: the dial path answers within its budget, the
/// admin CLI can wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientProfile {
    CriticalPath,
    Admin,
}

/// Loads the shared AWS configuration (region, credentials, and endpoints from
/// `AWS_ENDPOINT_URL*` only) with timeouts and retries fit for `profile`.
pub async fn load_aws_config(profile: ClientProfile) -> aws_config::SdkConfig {
    aws_config_loader(profile).load().await
}

/// The loader behind [`load_aws_config`], for callers that add settings.
pub fn aws_config_loader(profile: ClientProfile) -> aws_config::ConfigLoader {
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    let (timeouts, retries) = match profile {
        ClientProfile::CriticalPath => (
            TimeoutConfig::builder()
                .connect_timeout(StdDuration::from_millis(300))
                .operation_attempt_timeout(lifeline_app::settings::DIAL_ATTEMPT_TIMEOUT)
                .operation_timeout(StdDuration::from_millis(2000))
                .build(),
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(StdDuration::from_millis(20)),
        ),
        ClientProfile::Admin => (
            TimeoutConfig::builder()
                .connect_timeout(StdDuration::from_secs(3))
                .operation_timeout(StdDuration::from_secs(30))
                .build(),
            RetryConfig::standard().with_max_attempts(4),
        ),
    };
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(timeouts)
        .retry_config(retries)
}

/// A conditional request's outcome: `Ok(true)` when it was applied,
/// `Ok(false)` when the service refused it the way `refused` recognises (a
/// failed condition, an existing or missing resource), the SDK error otherwise.
pub fn applied<T, E, R>(
    result: Result<T, SdkError<E, R>>,
    refused: impl FnOnce(&E) -> bool,
) -> Result<bool, SdkError<E, R>> {
    match result {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().is_some_and(refused) => Ok(false),
        Err(e) => Err(e),
    }
}
