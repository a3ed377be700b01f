//! What the platform API stubs share: an HTTP/1 server on 127.0.0.1 that
//! hands each request to the stub's handler and stops when its task is
//! aborted, and a JSON answer.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::Value;
use std::future::Future;

/// A stub's answer to one request.
pub type Answer = Result<Response<Full<Bytes>>, hyper::Error>;

/// Serves `handle` on a free port of 127.0.0.1: its base URL, and the task
/// to abort to stop it.
pub async fn serve<F, Fut>(handle: F) -> (String, tokio::task::JoinHandle<()>)
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Answer> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move {
        // Connections die with this task (the set is dropped with it).
        let mut conns = tokio::task::JoinSet::new();
        while let Ok((stream, _)) = listener.accept().await {
            while conns.try_join_next().is_some() {}
            let handle = handle.clone();
            conns.spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(
                        hyper_util::rt::TokioIo::new(stream),
                        hyper::service::service_fn(handle),
                    )
                    .await;
            });
        }
    });
    (url, server)
}

/// A JSON answer with `status`.
pub fn json_answer(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

/// Serves `html` for every GET on a free port of 127.0.0.1: its base URL,
/// and the task to abort to stop it.
pub async fn serve_html(html: String) -> (String, tokio::task::JoinHandle<()>) {
    let html = std::sync::Arc::new(html);
    serve(move |_req: Request<Incoming>| {
        let html = html.clone();
        async move {
            let mut r = Response::new(Full::new(Bytes::from(html.as_str().to_owned())));
            r.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("text/html; charset=utf-8"),
            );
            Ok(r)
        }
    })
    .await
}
