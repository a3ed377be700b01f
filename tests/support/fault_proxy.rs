//! A fault-injecting HTTP/1.1 proxy in front of DynamoDB Local.
//!
//! The SDK interceptors in `lifeline_aws::test_support` fail a request before
//! it leaves the client; they cannot show what happens when the *network*
//! fails after the write committed (the answer is lost or late), nor how the
//! SDK classifies DynamoDB's real error answers. This proxy sits on the wire:
//! point a client at [`FaultProxy::url`] and it forwards every request
//! (method, path, headers including the original `Host` that SigV4 signed,
//! body) to the upstream and relays the answer, unless a rule injects a
//! [`Fault`]. Rules match per request (not per connection), so they work with
//! the SDK's kept-alive connections. It runs as a task of the test's runtime
//! and stops when the [`FaultProxy`] is dropped.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Answer = Result<Response<Full<Bytes>>, BoxError>;

/// How long [`Fault::ForwardThenDrop`] holds a request whose client never
/// hangs up (hyper ends it sooner, as soon as the client closes).
const HOLD_AT_MOST: Duration = Duration::from_secs(120);

/// What the proxy does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forward (the upstream commits the write), then never answer: the
    /// request is held until the client gives up and closes the connection.
    ForwardThenDrop,
    /// Forward, then answer after this delay: the write commits, the answer is late.
    ForwardThenDelay(Duration),
    /// Wait this long, then forward normally (latency before the upstream sees it).
    Latency(Duration),
    /// Do not forward; answer as DynamoDB does, `{"__type":
    /// "com.amazonaws.dynamodb.v20120810#<error_type>","message":...}` with
    /// content-type `application/x-amz-json-1.0`, so the SDK maps it to its
    /// modeled error (see the constructors).
    Error {
        status: u16,
        error_type: String,
        message: String,
    },
    /// Do not forward; close the connection without answering.
    Reset,
}

impl Fault {
    /// A DynamoDB error answer: `error_type` is the bare name, e.g. `ValidationException`.
    pub fn error(status: u16, error_type: &str, message: &str) -> Fault {
        Fault::Error {
            status,
            error_type: error_type.into(),
            message: message.into(),
        }
    }

    /// 400; the SDK retries it as a throttling error.
    pub fn transaction_in_progress() -> Fault {
        Fault::error(
            400,
            "TransactionInProgressException",
            "Transaction is ongoing for the transaction token",
        )
    }

    /// 400; retried as throttling.
    pub fn throttling() -> Fault {
        Fault::error(
            400,
            "ThrottlingException",
            "Rate of requests exceeds the allowed throughput.",
        )
    }

    /// 400; retried as throttling.
    pub fn provisioned_throughput_exceeded() -> Fault {
        Fault::error(
            400,
            "ProvisionedThroughputExceededException",
            "The level of configured provisioned throughput for the table was exceeded.",
        )
    }

    /// 500; retried as a transient error (by status code).
    pub fn internal_server_error() -> Fault {
        Fault::error(500, "InternalServerError", "Internal server error")
    }
}

struct Rule {
    operation: String,
    fault: Fault,
    skip: usize,
    times: usize,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    seen: HashMap<String, usize>,
    total: usize,
}

impl State {
    fn count(&mut self, op: &str) {
        *self.seen.entry(op.to_string()).or_default() += 1;
        self.total += 1;
    }

    /// The fault of the first rule that applies to a request of `op` (a rule
    /// still skipping lets it through to later rules).
    fn take_fault(&mut self, op: &str) -> Option<Fault> {
        let mut fault = None;
        for rule in &mut self.rules {
            if rule.operation != "*" && rule.operation != op {
                continue;
            }
            if rule.skip > 0 {
                rule.skip -= 1;
                continue;
            }
            if rule.times != usize::MAX {
                rule.times -= 1;
            }
            fault = Some(rule.fault.clone());
            break;
        }
        self.rules.retain(|r| r.times > 0);
        fault
    }
}

struct Shared {
    upstream: String,
    http: reqwest::Client,
    state: Mutex<State>,
    refusing: AtomicBool,
    refused: AtomicUsize,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The proxy: an HTTP/1.1 server on `127.0.0.1:<ephemeral>`; dropping it
/// aborts the accept loop and with it every open connection.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Starts a proxy forwarding to `upstream` (e.g. `http://127.0.0.1:8000`).
    pub async fn start(upstream: &str) -> std::io::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        // No system proxy (HTTP_PROXY) between us and the upstream, no pool:
        // each forwarded request gets a fresh upstream connection.
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .build()
            .map_err(std::io::Error::other)?;
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            http,
            state: Mutex::default(),
            refusing: AtomicBool::new(false),
            refused: AtomicUsize::new(0),
        });
        let task = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(FaultProxy { addr, shared, task })
    }

    /// `http://127.0.0.1:<port>`, for a client's `endpoint_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next `times` requests of `operation` (the name after
    /// `DynamoDB_20120810.` in `X-Amz-Target`, matched exactly so that
    /// `GetItem` does not catch `BatchGetItem`; `"*"` for any) get `fault`;
    /// `usize::MAX` means always. Earlier rules win.
    pub fn inject(&self, operation: &str, fault: Fault, times: usize) {
        self.inject_after(operation, 0, fault, times);
    }

    /// As [`inject`](Self::inject), after letting the first `skip` matching requests through.
    pub fn inject_after(&self, operation: &str, skip: usize, fault: Fault, times: usize) {
        if times > 0 {
            self.shared.state().rules.push(Rule {
                operation: operation.to_string(),
                fault,
                skip,
                times,
            });
        }
    }

    /// Removes every rule (the counts stay).
    pub fn clear(&self) {
        self.shared.state().rules.clear();
    }

    /// Requests of `operation` received so far, faulted or not (`"*"`: all).
    pub fn seen(&self, operation: &str) -> usize {
        let state = self.shared.state();
        match operation {
            "*" => state.total,
            op => state.seen.get(op).copied().unwrap_or(0),
        }
    }

    /// While on, every new connection is reset (RST) as soon as it is
    /// accepted, unread, and a request arriving on a kept-alive connection is
    /// answered by closing it: the client sees a connection error at once.
    pub fn refuse(&self, on: bool) {
        self.shared.refusing.store(on, Ordering::SeqCst);
    }

    /// Connections reset by [`refuse`](Self::refuse) so far.
    pub fn refused_connections(&self) -> usize {
        self.shared.refused.load(Ordering::SeqCst)
    }
}

/// Accepts connections; each is served on a task of `conns`, which dies with
/// this loop (aborted on drop).
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut conns = JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // e.g. out of file descriptors: wait rather than spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        while conns.try_join_next().is_some() {}
        if shared.refusing.load(Ordering::SeqCst) {
            shared.refused.fetch_add(1, Ordering::SeqCst);
            let _ = stream.set_zero_linger(); // close sends RST, not FIN
            drop(stream);
            continue;
        }
        let shared = shared.clone();
        conns.spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(shared.clone(), req));
            let io = hyper_util::rt::TokioIo::new(stream);
            // An error here is a client hanging up or an injected close.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

/// One request. An `Err` makes hyper close the connection without answering.
async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Answer {
    let (parts, body) = req.into_parts();
    // Read the whole body first, as the real service does, whatever the fault.
    let body = body.collect().await?.to_bytes();
    let op = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(|t| t.rsplit('.').next().unwrap_or(t).to_string())
        .unwrap_or_default();
    let fault = {
        let mut state = shared.state();
        state.count(&op);
        if shared.refusing.load(Ordering::SeqCst) {
            return Err("refusing".into()); // counted, no rule spent
        }
        state.take_fault(&op)
    };
    match fault {
        None => forward(&shared, &parts, body).await,
        Some(Fault::Latency(d)) => {
            tokio::time::sleep(d).await;
            forward(&shared, &parts, body).await
        }
        Some(Fault::ForwardThenDelay(d)) => {
            let answer = forward(&shared, &parts, body).await;
            tokio::time::sleep(d).await;
            answer
        }
        Some(Fault::ForwardThenDrop) => {
            let _ = forward(&shared, &parts, body).await;
            // hyper drops this future when the client closes the connection.
            tokio::time::sleep(HOLD_AT_MOST).await;
            Err("answer dropped".into())
        }
        Some(Fault::Error {
            status,
            error_type,
            message,
        }) => {
            let json = serde_json::json!({
                "__type": format!("com.amazonaws.dynamodb.v20120810#{error_type}"),
                "message": message,
            });
            let mut resp = Response::new(Full::new(Bytes::from(json.to_string())));
            *resp.status_mut() = StatusCode::from_u16(status)?;
            resp.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-amz-json-1.0"),
            );
            resp.headers_mut().insert(
                "x-amzn-requestid",
                HeaderValue::from_str(&uuid::Uuid::new_v4().simple().to_string())?,
            );
            Ok(resp)
        }
        Some(Fault::Reset) => Err("reset".into()),
    }
}

/// Sends the request upstream with its headers as received (the `Host` too:
/// reqwest only adds one when absent) and relays the answer; a 502 when the
/// upstream cannot be reached.
async fn forward(shared: &Shared, parts: &http::request::Parts, body: Bytes) -> Answer {
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let sent = shared
        .http
        .request(parts.method.clone(), format!("{}{path}", shared.upstream))
        .headers(end_to_end(&parts.headers))
        .body(body)
        .send()
        .await;
    let upstream = match sent {
        Ok(r) => r,
        Err(e) => {
            let mut resp = Response::new(Full::new(Bytes::from(format!("upstream: {e}"))));
            *resp.status_mut() = StatusCode::BAD_GATEWAY;
            return Ok(resp);
        }
    };
    let status = upstream.status();
    let headers = end_to_end(upstream.headers());
    let bytes = upstream.bytes().await?;
    let mut resp = Response::new(Full::new(bytes));
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    Ok(resp)
}

/// The headers without the hop-by-hop ones (and the length, which the body sets).
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    const HOP: [&str; 9] = [
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    ];
    let mut out = headers.clone();
    for name in HOP {
        out.remove(HeaderName::from_static(name));
    }
    out
}
