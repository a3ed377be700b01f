//! A local Lambda Runtime API (the protocol `lambda_runtime` speaks), enough
//! to time a function binary from process start to its first handled event,
//! and the release binaries' sizes.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lifeline_edge::webhook::WebhookSecret;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub const FUNCTIONS: [&str; 9] = [
    "dial-intake",
    "call-events",
    "callback-router",
    "presence-api",
    "presence-override",
    "callback-lease",
    "notifier",
    "connect-adapter",
    "twilio-adapter",
];

fn bin_dir() -> PathBuf {
    std::env::var_os("BENCH_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/release"))
}

/// The API Gateway HTTP API event for a signed `POST /calls/outbound`.
fn outbound_event(dialed: &str) -> String {
    let body = serde_json::json!({"callId": format!("cold-{}", uuid::Uuid::new_v4().simple()), "agentId": "b-0",
        "dialed": dialed, "from": "+14255550100", "location": {"country": "US"}})
    .to_string();
    let secret =
        WebhookSecret::new("local-secret").unwrap_or_else(|_| unreachable!("a valid secret"));
    let signed = lifeline_edge::webhook::Signed::post("/calls/outbound", body.as_bytes());
    let sig = secret.sign(chrono::Utc::now().timestamp(), signed);
    serde_json::json!({
        "version": "2.0", "routeKey": "POST /calls/outbound", "rawPath": "/calls/outbound", "rawQueryString": "",
        "headers": {"content-type": "application/json", "x-lifeline-signature": sig},
        "requestContext": {"accountId": "123456789012", "apiId": "bench", "domainName": "bench.local",
            "domainPrefix": "bench", "http": {"method": "POST", "path": "/calls/outbound", "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1", "userAgent": "bench"}, "requestId": "cold", "routeKey": "POST /calls/outbound",
            "stage": "$default", "time": "24/Nov/2026:05:00:00 +0000", "timeEpoch": 1795496400000u64},
        "body": body, "isBase64Encoded": false
    })
    .to_string()
}

/// Runs `bin` against a one-event Runtime API; the time to its response.
async fn first_event(
    bin: &PathBuf,
    event: String,
    table: &str,
) -> Result<(Duration, String), String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (tx, mut rx) = mpsc::channel::<String>(1);
    let served = Arc::new(AtomicBool::new(false));
    let server = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (tx, served, event) = (tx.clone(), served.clone(), event.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |req: hyper::Request<Incoming>| {
                    let (tx, served, event) = (tx.clone(), served.clone(), event.clone());
                    async move {
                        let path = req.uri().path().to_string();
                        let body = req
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        if path.ends_with("/invocation/next") {
                            if served.swap(true, Ordering::SeqCst) {
                                // One event only: the next poll waits until the process is stopped.
                                tokio::time::sleep(Duration::from_secs(3600)).await;
                            }
                            let deadline =
                                (chrono::Utc::now().timestamp_millis() + 30_000).to_string();
                            return Ok::<_, std::convert::Infallible>(
                                hyper::Response::builder()
                                    .header("lambda-runtime-aws-request-id", "bench-1")
                                    .header("lambda-runtime-deadline-ms", deadline)
                                    .header(
                                        "lambda-runtime-invoked-function-arn",
                                        "arn:aws:lambda:us-east-1:000000000000:function:bench",
                                    )
                                    .header(
                                        "lambda-runtime-trace-id",
                                        "Root=1-00000000-000000000000000000000000",
                                    )
                                    .body(Full::new(Bytes::from(event)))
                                    .unwrap_or_default(),
                            );
                        }
                        let outcome = if path.ends_with("/response") {
                            String::from_utf8_lossy(&body).to_string()
                        } else {
                            format!("error at {path}: {}", String::from_utf8_lossy(&body))
                        };
                        let _ = tx.send(outcome).await;
                        Ok(hyper::Response::builder()
                            .status(202)
                            .body(Full::new(Bytes::new()))
                            .unwrap_or_default())
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    let started = Instant::now();
    let mut child = tokio::process::Command::new(bin)
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .env("LIFELINE_WEBHOOK_SECRET", "local-secret")
        .env("LIFELINE_TABLE", table)
        .env("LIFELINE_OUTSIDE_LINE_PREFIX", "9")
        .env("RUST_LOG", "off")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let outcome = tokio::time::timeout(Duration::from_secs(20), rx.recv()).await;
    let took = started.elapsed();
    let _ = child.kill().await;
    server.abort();
    match outcome {
        Ok(Some(o)) => Ok((took, o)),
        _ => Err("no response within 20 s".into()),
    }
}

pub async fn section_cold_start(conf: &aws_config::SdkConfig) {
    println!("## 4. Cold-start proxy\n");
    println!("Process start → first event answered, through a local Lambda Runtime API (x86_64 release binary, median of 5).\n");
    let r = super::rig(conf, 50, 1).await;
    println!("| binary | event | median ms | answer |\n|---|---|---|---|");
    for (dialed, what) in [
        ("4255550123", "ordinary dial (no AWS call)"),
        ("911", "emergency dial (DynamoDB Local)"),
    ] {
        let bin = bin_dir().join("dial-intake");
        let mut times = Vec::new();
        let mut last = String::new();
        for _ in 0..5 {
            match first_event(&bin, outbound_event(dialed), r.store.table()).await {
                Ok((t, o)) => {
                    times.push(super::ms(t));
                    last = o;
                }
                Err(e) => {
                    last = e;
                    break;
                }
            }
        }
        if times.is_empty() {
            println!("| dial-intake | {what} | – | {last} |");
            continue;
        }
        let action = serde_json::from_str::<serde_json::Value>(&last)
            .ok()
            .and_then(|v| v.get("body").and_then(|b| b.as_str()).map(String::from))
            .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok())
            .map(|v| v["action"].to_string())
            .unwrap_or(last);
        println!(
            "| dial-intake | {what} | {:.1} | {action} |",
            super::stats(times).p50
        );
    }
    println!();
}

pub fn section_sizes() {
    println!("## 5. Release binary sizes (stripped, x86_64)\n");
    println!("| function | bytes | MB |\n|---|---|---|");
    let mut total = 0u64;
    for f in FUNCTIONS {
        match std::fs::metadata(bin_dir().join(f)) {
            Ok(m) => {
                total += m.len();
                println!(
                    "| {f} | {} | {:.2} |",
                    m.len(),
                    m.len() as f64 / 1_048_576.0
                );
            }
            Err(_) => println!("| {f} | not built | |"),
        }
    }
    println!(
        "| **all nine** | {total} | {:.2} |",
        total as f64 / 1_048_576.0
    );
    println!("\nTarget: ≤ 8 MB each.\n");
}
