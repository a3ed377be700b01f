//! The runner's HTTP server: hyper on a loopback listener, each request
//! handed to [`LocalSystem::handle`].

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lifeline_edge::webhook::Problem;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

use crate::answers::problem;
use crate::system::LocalSystem;

/// Largest request the runner reads (the handlers refuse more than 16 KiB).
const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Serves until `shutdown` completes. Only loopback listeners are accepted.
pub async fn serve(
    listener: TcpListener,
    system: Arc<LocalSystem>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("the local runner listens on loopback only, not {addr}"),
        ));
    }
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => return Ok(()),
        };
        let system = system.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req: hyper::Request<Incoming>| {
                let system = system.clone();
                async move { Ok::<_, std::convert::Infallible>(answer(&system, req).await) }
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await
            {
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
}

async fn answer(
    system: &LocalSystem,
    req: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let resp = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(b) => {
            system
                .handle(http::Request::from_parts(parts, b.to_bytes()))
                .await
        }
        Err(_) => problem(&Problem::new(
            413,
            "body-too-large",
            "Body too large",
            format!("at most {MAX_REQUEST_BYTES} bytes"),
        )),
    };
    let (parts, bytes) = resp.into_parts();
    hyper::Response::from_parts(parts, Full::new(bytes))
}
