//! The user pool's signing keys, read once at cold start (bounded): a
//! Cognito pool keeps its keys, and a container that could not read them
//! fails its start, which Lambda retries at the next request.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use lifeline_edge::console::Jwks;

const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// A pool's JWKS is two keys: a few kilobytes.
const MAX_JWKS_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("no system root certificates: {0}")]
    Roots(std::io::Error),
    #[error("the JWKS URL is not one: {0}")]
    Url(String),
    #[error("the JWKS did not answer within {FETCH_TIMEOUT:?}")]
    Timeout,
    #[error("the JWKS could not be read: {0}")]
    Transport(String),
    #[error("the JWKS answered {0}")]
    Status(u16),
    #[error("{0}")]
    Keys(String),
}

/// Reads and parses the keys at `url` (https; plain http for the local
/// emulator).
pub async fn fetch(url: &str) -> Result<Jwks, JwksError> {
    let uri: http::Uri = url.parse().map_err(|_| JwksError::Url(url.into()))?;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(JwksError::Roots)?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let read = async {
        let response = client
            .get(uri)
            .await
            .map_err(|e| JwksError::Transport(e.to_string()))?;
        if !response.status().is_success() {
            return Err(JwksError::Status(response.status().as_u16()));
        }
        let body = Limited::new(response.into_body(), MAX_JWKS_BYTES)
            .collect()
            .await
            .map_err(|e| JwksError::Transport(e.to_string()))?
            .to_bytes();
        let text = String::from_utf8_lossy(&body);
        Jwks::parse(&text).map_err(JwksError::Keys)
    };
    tokio::time::timeout(FETCH_TIMEOUT, read)
        .await
        .map_err(|_| JwksError::Timeout)?
}
