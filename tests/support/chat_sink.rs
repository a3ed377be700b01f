//! A chat webhook for tests: an HTTP server on 127.0.0.1 that keeps every
//! POST's body and answers the status it is told (200 at first). It stops
//! when dropped.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Response, StatusCode};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use crate::stub_server::serve;

pub struct ChatSink {
    base: String,
    /// Each POST's body, with when it arrived.
    bodies: Arc<Mutex<Vec<(std::time::Instant, String)>>>,
    status: Arc<AtomicU16>,
    server: tokio::task::JoinHandle<()>,
}

impl ChatSink {
    pub async fn start() -> ChatSink {
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let (kept, answer) = (bodies.clone(), status.clone());
        let (base, server) = serve(move |req: hyper::Request<hyper::body::Incoming>| {
            let (kept, answer) = (kept.clone(), answer.clone());
            async move {
                let is_post = req.method() == hyper::Method::POST;
                let body = req.into_body().collect().await?.to_bytes();
                if is_post {
                    kept.lock().unwrap_or_else(|p| p.into_inner()).push((
                        std::time::Instant::now(),
                        String::from_utf8_lossy(&body).into_owned(),
                    ));
                }
                let status = StatusCode::from_u16(answer.load(Ordering::SeqCst))
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let mut r = Response::new(Full::new(Bytes::from_static(b"ok")));
                *r.status_mut() = status;
                Ok(r)
            }
        })
        .await;
        ChatSink {
            base,
            bodies,
            status,
            server,
        }
    }

    /// A webhook URL on the sink (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Every later request is answered `status`.
    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// The bodies of the POSTs received, in order.
    pub fn bodies(&self) -> Vec<String> {
        self.arrivals().into_iter().map(|(_, b)| b).collect()
    }

    /// The POSTs' bodies with when each arrived, in order.
    pub fn arrivals(&self) -> Vec<(std::time::Instant, String)> {
        self.bodies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The bodies, as JSON (`Null` for one that is not).
    pub fn posts(&self) -> Vec<serde_json::Value> {
        self.bodies()
            .iter()
            .map(|b| serde_json::from_str(b).unwrap_or(serde_json::Value::Null))
            .collect()
    }
}

impl Drop for ChatSink {
    fn drop(&mut self) {
        self.server.abort();
    }
}
