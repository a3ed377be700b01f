//! A local Lambda Runtime API (the protocol `lambda_runtime` speaks), enough
//! to time a function binary from process start to its first handled event
//! (its init phases as it logs them), and the release binaries' sizes.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lifeline_app::settings::table::{
    LIFELINE_OUTBOX_QUEUE_URL, LIFELINE_OUTSIDE_LINE_PREFIX, LIFELINE_TABLE,
    LIFELINE_WEBHOOK_SECRET, LIFELINE_WEBHOOK_SECRET_ARN,
};
use lifeline_edge::webhook::WebhookSecret;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncBufReadExt;
use tokio::sync::{mpsc, oneshot};

/// The webhook secret the bench signs with, as a plain variable or as the
/// Secrets Manager secret's value.
const SECRET: &str = "local-secret";

/// The init phases `run_webhook` logs (`lifeline_edge::lambda`), in ms.
const PHASES: [&str; 5] = [
    "aws_config_ms",
    "config_ms",
    "secret_ms",
    "clients_ms",
    "init_ms",
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
    let secret = WebhookSecret::new(SECRET).unwrap_or_else(|_| unreachable!("a valid secret"));
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

/// One cold start as the bench saw it.
struct ColdStart {
    /// Process start → the event's response received.
    total: Duration,
    /// The response the function posted (or what went wrong).
    answer: String,
    /// The `run_webhook` init line's fields, and when it was read (from process start).
    init: Option<(Duration, serde_json::Value)>,
}

/// Runs `bin` against a one-event Runtime API with `env` (`RUST_LOG=info`,
/// stdout read for the init line); the time to its response.
async fn first_event(
    bin: &PathBuf,
    event: String,
    env: &[(&'static str, String)],
) -> Result<ColdStart, String> {
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
        .env_remove(LIFELINE_WEBHOOK_SECRET.name)
        .env_remove(LIFELINE_WEBHOOK_SECRET_ARN.name)
        .env_remove(LIFELINE_OUTBOX_QUEUE_URL.name)
        .env(LIFELINE_OUTSIDE_LINE_PREFIX.name, "9")
        // As deployed (template.yaml): the init line is an info line.
        .env("RUST_LOG", "info")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    // The JSON log lines, read as they come: the init line, timed on arrival.
    let (init_tx, init_rx) = oneshot::channel();
    let reader = child.stdout.take().map(|out| {
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(out).lines();
            let mut init_tx = Some(init_tx);
            while let Ok(Some(line)) = lines.next_line().await {
                let at = started.elapsed();
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                if phase(&v, "init_ms").is_some() {
                    if let Some(tx) = init_tx.take() {
                        let _ = tx.send((at, v));
                    }
                }
            }
        })
    });
    let outcome = tokio::time::timeout(Duration::from_secs(20), rx.recv()).await;
    let took = started.elapsed();
    // Logged before the runtime polls for the event: in hand already, or within moments.
    let init = tokio::time::timeout(Duration::from_secs(1), init_rx)
        .await
        .ok()
        .and_then(Result::ok);
    let _ = child.kill().await;
    server.abort();
    if let Some(r) = reader {
        r.abort();
    }
    match outcome {
        Ok(Some(answer)) => Ok(ColdStart {
            total: took,
            answer,
            init,
        }),
        _ => Err("no response within 20 s".into()),
    }
}

/// A field of a JSON log line (`tracing_subscriber`'s layout: under `fields`).
fn field<'a>(line: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    line.get("fields")
        .and_then(|f| f.get(name))
        .or_else(|| line.get(name))
}

fn phase(line: &serde_json::Value, name: &str) -> Option<f64> {
    field(line, name).and_then(|v| v.as_f64())
}

/// A Secrets Manager secret holding `value` on the emulator: its ARN.
async fn emulator_secret(conf: &aws_config::SdkConfig, value: &str) -> Result<String, String> {
    let name = format!("lifeline-bench/webhook-{}", uuid::Uuid::new_v4().simple());
    aws_sdk_secretsmanager::Client::new(conf)
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .map_err(|e| {
            format!(
                "CreateSecret: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(e)
            )
        })?
        .arn
        .ok_or_else(|| "CreateSecret: no ARN".to_string())
}

/// The dial's outbox queue on the emulator (as deployed: set, though a dial
/// the table takes never sends to it): its URL.
async fn emulator_queue(conf: &aws_config::SdkConfig) -> Result<String, String> {
    aws_sdk_sqs::Client::new(conf)
        .create_queue()
        .queue_name("lifeline-bench-outbox")
        .send()
        .await
        .map_err(|e| {
            format!(
                "CreateQueue: {}",
                aws_sdk_sqs::error::DisplayErrorContext(e)
            )
        })?
        .queue_url
        .ok_or_else(|| "CreateQueue: no QueueUrl".to_string())
}

/// The action a dial answered with, else its status (a refused signature).
fn answer_of(response: &str) -> String {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(response) else {
        return response.to_string();
    };
    let body = v["body"]
        .as_str()
        .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok());
    match body.as_ref().and_then(|b| b.get("action")) {
        Some(action) => action.to_string(),
        None => format!("status {}", v["statusCode"]),
    }
}

fn median(values: Vec<f64>) -> String {
    if values.is_empty() {
        return "–".into();
    }
    format!("{:.1}", super::stats(values).p50)
}

/// One row of the cold-start table: the runs' figures, in ms.
#[derive(Default)]
struct Runs {
    totals: Vec<f64>,
    before: Vec<f64>,
    phases: [Vec<f64>; PHASES.len()],
    first_dial: Vec<f64>,
    answer: String,
    checks: Vec<String>,
    failed: bool,
}

impl Runs {
    /// Adds one run; `source` is the secret's source the init line should name.
    fn add(&mut self, run: Result<ColdStart, String>, source: &str) {
        let run = match run {
            Ok(run) => run,
            Err(e) => {
                self.answer = e;
                self.failed = true;
                return;
            }
        };
        self.totals.push(super::ms(run.total));
        self.answer = answer_of(&run.answer);
        let Some((seen, line)) = run.init else {
            self.checks.push("no init line".into());
            return;
        };
        for (values, name) in self.phases.iter_mut().zip(PHASES) {
            if let Some(v) = phase(&line, name) {
                values.push(v);
            }
        }
        if let Some(init) = phase(&line, "init_ms") {
            self.before.push(super::ms(seen) - init);
        }
        self.first_dial.push(super::ms(run.total) - super::ms(seen));
        if field(&line, "secret").and_then(|v| v.as_str()) != Some(source) {
            self.checks
                .push(format!("secret from {:?}", field(&line, "secret")));
        }
        if field(&line, "secret_set").and_then(|v| v.as_bool()) != Some(true) {
            self.checks.push("no secret at init".into());
        }
    }

    /// The row's cells after the event and secret columns.
    fn cells(mut self) -> String {
        self.checks.sort();
        self.checks.dedup();
        let mut answer = self.answer;
        if !self.checks.is_empty() {
            answer = format!("{answer} ({})", self.checks.join(", "));
        }
        let [aws, config, secret, clients, init] = self.phases.map(median);
        format!(
            "{} | {} | {aws} | {config} | {secret} | {clients} | {init} | {} | {answer}",
            median(self.totals),
            median(self.before),
            median(self.first_dial),
        )
    }
}

pub async fn section_cold_start(conf: &aws_config::SdkConfig) {
    println!("## 4. Cold-start proxy\n");
    println!("Process start → first event answered, through a local Lambda Runtime API (x86_64 release binary, `RUST_LOG=info` as deployed; 5 runs, the two secret sources alternating; median per column, so a row's columns need not add up).\n");
    let r = super::rig(conf, 50, 1).await;
    // The secret as deployed: by ARN, one bounded read at cold start (moto).
    let arn = emulator_secret(conf, SECRET).await;
    let outbox = emulator_queue(conf).await;
    if let Err(e) = &arn {
        println!("Secrets Manager secret not created: {e}\n");
    }
    if let Err(e) = &outbox {
        println!("Outbox queue not created (LIFELINE_OUTBOX_QUEUE_URL unset): {e}\n");
    }
    println!("Init phases as `run_webhook` logs them (`cold start: init done`): AWS config, configuration read and validated, webhook secret (Secrets Manager client and first read), clients and handler; *init* is `run_webhook`'s whole init. *Before init* = the init line's arrival − init: exec, runtime start and `main`'s own setup (dial-intake loads its own AWS config for the outbox client). *First dial* = total − the init line's arrival.\n");
    println!("| event | secret | total ms | before init | aws config | config | secret | clients | init | first dial | answer |\n|---|---|---|---|---|---|---|---|---|---|---|");
    let bin = bin_dir().join("dial-intake");
    let mut common = vec![(LIFELINE_TABLE.name, r.store.table().to_string())];
    if let Ok(url) = &outbox {
        common.push((LIFELINE_OUTBOX_QUEUE_URL.name, url.clone()));
    }
    // (what the init line names, the row's label, the secret's variable)
    let variants = [
        (
            "plain",
            "plain variable",
            Ok((LIFELINE_WEBHOOK_SECRET.name, SECRET.to_string())),
        ),
        (
            "secrets-manager",
            "Secrets Manager (ARN)",
            arn.as_ref()
                .map(|a| (LIFELINE_WEBHOOK_SECRET_ARN.name, a.clone()))
                .map_err(|_| ()),
        ),
    ];
    for (dialed, what) in [
        ("4255550123", "ordinary dial (no AWS call)"),
        ("911", "emergency dial (DynamoDB Local)"),
    ] {
        let mut rows: [Runs; 2] = Default::default();
        for _ in 0..5 {
            for ((source, _, secret), runs) in variants.iter().zip(rows.iter_mut()) {
                let Ok(secret) = secret else { continue };
                if runs.failed {
                    continue;
                }
                let mut env = common.clone();
                env.push(secret.clone());
                runs.add(
                    first_event(&bin, outbound_event(dialed), &env).await,
                    source,
                );
            }
        }
        for ((_, label, secret), runs) in variants.iter().zip(rows) {
            match secret {
                Ok(_) => println!("| {what} | {label} | {} |", runs.cells()),
                Err(()) => println!("| {what} | {label} | – | | | | | | | | no secret |"),
            }
        }
    }
    println!();
}

pub fn section_sizes() {
    println!("## 5. Release binary sizes (stripped, x86_64)\n");
    println!("| function | bytes | MB |\n|---|---|---|");
    let (mut total, mut built) = (0u64, 0);
    let functions = lifeline_edge::registry::FUNCTIONS;
    for f in functions.iter().map(|f| f.name) {
        match std::fs::metadata(bin_dir().join(f)) {
            Ok(m) => {
                total += m.len();
                built += 1;
                println!(
                    "| {f} | {} | {:.2} |",
                    m.len(),
                    m.len() as f64 / 1_048_576.0
                );
            }
            Err(_) => println!("| {f} | not built | |"),
        }
    }
    let all = match built {
        n if n == functions.len() => format!("all {n}"),
        n => format!("all {} ({n} built)", functions.len()),
    };
    println!(
        "| **{all}** | {total} | {:.2} |",
        total as f64 / 1_048_576.0
    );
    println!("\nTarget: ≤ 8 MB each.\n");
}
