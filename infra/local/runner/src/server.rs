//! The runner's HTTP server: hyper on a loopback listener; each request
//! admitted by the guard (`crate::guard`), then handed to
//! [`LocalSystem::handle`].

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use lifeline_edge::webhook::Problem;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

use crate::answers::problem;
use crate::guard::{check_media_type, Guard, Refusal};
use crate::system::LocalSystem;

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;

/// Largest request the runner reads (the handlers refuse more than 16 KiB).
const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Largest request head (start line and headers) hyper reads: more is 431.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// How the server treats its connections.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// A client must have sent a request's whole head within this (a
    /// connection trickling its headers, slowloris, is closed); an idle
    /// kept-alive connection is closed after it too.
    pub header_read_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_read_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves until `shutdown` completes, with the default [`ServeOptions`].
/// Only loopback listeners are accepted.
pub async fn serve(
    listener: TcpListener,
    system: Arc<LocalSystem>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(listener, system, ServeOptions::default(), shutdown).await
}

/// Serves until `shutdown` completes. Only loopback listeners are accepted.
pub async fn serve_with(
    listener: TcpListener,
    system: Arc<LocalSystem>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("the local runner listens on loopback only, not {addr}"),
        ));
    }
    let guard = Arc::new(Guard::new(
        system.local_token().clone(),
        addr.ip(),
        system.twilio_public_url(),
    ));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_header_size(MAX_HEAD_BYTES);
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => return Ok(()),
        };
        let (system, guard, http) = (system.clone(), guard.clone(), http.clone());
        tokio::spawn(async move {
            let svc = service_fn(move |req: hyper::Request<Incoming>| {
                let (system, guard) = (system.clone(), guard.clone());
                async move { Ok::<_, std::convert::Infallible>(answer(&system, &guard, req).await) }
            });
            if let Err(e) = http.serve_connection(TokioIo::new(stream), svc).await {
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
}

async fn answer(
    system: &LocalSystem,
    guard: &Guard,
    req: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (mut parts, body) = req.into_parts();
    let resp = match guard.admit(&mut parts) {
        Err(refusal) => refused(&parts, &refusal),
        Ok(()) => match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
            Ok(b) => {
                let body = b.to_bytes();
                match check_media_type(&parts, &body) {
                    Err(refusal) => refused(&parts, &refusal),
                    Ok(()) => system.handle(http::Request::from_parts(parts, body)).await,
                }
            }
            Err(_) => problem(&Problem::new(
                413,
                "body-too-large",
                "Body too large",
                format!("at most {MAX_REQUEST_BYTES} bytes"),
            )),
        },
    };
    let (parts, bytes) = resp.into_parts();
    hyper::Response::from_parts(parts, Full::new(bytes))
}

/// The refusal's problem, and a line in the log saying why (a developer's
/// curl without the token finds out here too).
fn refused(parts: &http::request::Parts, refusal: &Refusal) -> http::Response<Bytes> {
    let p = refusal.problem();
    tracing::warn!(method = %parts.method, path = parts.uri.path(), status = p.status, reason = %refusal, "request refused");
    problem(&p)
}
