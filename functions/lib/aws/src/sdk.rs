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
        .http_client(https_client())
        .timeout_config(timeouts)
        .retry_config(retries)
}

/// The one HTTP client every AWS client uses: hyper with rustls on ring,
/// the system's root certificates, http:// for the emulators.
pub fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
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

#[cfg(all(test, feature = "dynamodb"))]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// An https:// endpoint gets a TLS handshake from the shared client (rustls
    /// on ring): the first bytes on the wire are a TLS ClientHello.
    #[tokio::test]
    async fn https_endpoints_get_a_tls_handshake() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let hello = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut first = [0u8; 6];
            socket.read_exact(&mut first).await.expect("read");
            first
        });
        let conf = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "k", "s", None, None, "test",
            ))
            .endpoint_url(format!("https://127.0.0.1:{port}"))
            .http_client(https_client())
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .operation_timeout(StdDuration::from_secs(2))
                    .build(),
            )
            .build();
        let call = aws_sdk_dynamodb::Client::from_conf(conf)
            .list_tables()
            .send();
        let (answer, first) = tokio::join!(call, hello);
        assert!(answer.is_err(), "nothing answers TLS there");
        let first = first.expect("the server task");
        // A handshake record (22), TLS 1.x, then a ClientHello (1).
        assert_eq!((first[0], first[1], first[5]), (22, 3, 1), "{first:?}");
    }
}

/// What of a sender's SDK error may be kept: its code only. Providers'
/// messages can quote the recipient (SES: the address; SNS: the phone
/// number), so they are never logged or stored.
pub fn error_code<E: aws_smithy_types::error::metadata::ProvideErrorMetadata>(
    e: &SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
) -> lifeline_app::ports::ErrorCode {
    use lifeline_app::ports::ErrorCode;
    match e {
        SdkError::ServiceError(se) => match se.err().code() {
            Some(code) => ErrorCode::new(code),
            None => ErrorCode::new(match se.raw().status().as_u16() {
                429 => "Throttling",
                s if s >= 500 => "ServerError",
                _ => "ServiceError",
            }),
        },
        SdkError::TimeoutError(_) => ErrorCode::new("Timeout"),
        SdkError::DispatchFailure(d) if d.is_timeout() => ErrorCode::new("Timeout"),
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => ErrorCode::new("Transport"),
        SdkError::ConstructionFailure(_) => ErrorCode::new("Construction"),
        _ => ErrorCode::new("Unknown"),
    }
}
