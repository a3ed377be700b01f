//! Figures for the hostile-internet defences (issue 29). The review's attack
//! on the signature check: `t=<now>,` followed by ~95 000 empty `v2=` values,
//! with a 16 KiB body — one HMAC-SHA256 over the whole body per value per key
//! before the check was bounded.
//!
//! 1. In process: the time `WebhookSecret::verify` takes to refuse that
//!    header (p50/p99 of `SECURITY_RUNS`), beside what the unbounded check
//!    would have spent on it (one MAC over 16 KiB, measured, × 95 000 × 2
//!    keys during a rotation).
//! 2. Through the local runner: the same request posted to
//!    `/calls/outbound` (an emergency-looking dial: it fails open) — its
//!    answer and time — and `/_local/health`'s latency alone, then while
//!    four clients send the attack in a loop.
//!
//! Markdown on stdout.
//! `source infra/local/emulators.sh && ll_export_local_env && cargo run -p lifeline-e2e --features figures --example security_figures`

use hmac::{Hmac, Mac};
use lifeline_e2e::{percentile, start, Local};
use lifeline_edge::webhook::{Signed, WebhookSecret};
use sha2::Sha256;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const STUFFED_VALUES: usize = 95_000;
const BODY_BYTES: usize = 16 * 1024;

fn runs() -> usize {
    std::env::var("SECURITY_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

/// An emergency-looking dial padded to 16 KiB (an ignored field).
fn attack_body() -> String {
    let head = r#"{"callId":"atk-1","agentId":"a-42","dialed":"911","from":"+14255550100","pad":""#;
    let pad = "x".repeat(BODY_BYTES - head.len() - 2);
    format!("{head}{pad}\"}}")
}

fn stuffed_header() -> String {
    format!(
        "t={},{}",
        chrono::Utc::now().timestamp(),
        "v2=,".repeat(STUFFED_VALUES)
    )
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

fn us(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1_000_000.0)
}

/// The same attack within API Gateway's 10 KiB header limit (~2 500 values).
fn aws_sized_header() -> String {
    format!(
        "t={},{}",
        chrono::Utc::now().timestamp(),
        "v2=,".repeat(2_500)
    )
}

/// The refusal in process, and what one MAC over the body costs.
fn in_process(body: &str, header: &str) {
    let secret = WebhookSecret::new("a-webhook-secret-of-32-bytes-ok!").expect("secret");
    let req = Signed::post("/calls/outbound", body.as_bytes());
    let mut refusals = Vec::new();
    for _ in 0..runs() {
        let started = Instant::now();
        let refused = secret.verify(Some(header), req, chrono::Utc::now());
        refusals.push(started.elapsed());
        assert!(refused.is_err());
    }
    let mut macs = Vec::new();
    for _ in 0..runs() {
        let started = Instant::now();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"key").expect("any key");
        mac.update(body.as_bytes());
        std::hint::black_box(mac.finalize());
        macs.push(started.elapsed());
    }
    let one_mac = percentile(&mut macs, 0.5).unwrap_or_default();
    let unbounded = one_mac * (STUFFED_VALUES as u32) * 2;
    println!("## In process: `WebhookSecret::verify` on the stuffed header\n");
    println!(
        "{} `v2=` values, {} KiB body, {} runs.\n",
        STUFFED_VALUES,
        BODY_BYTES / 1024,
        runs()
    );
    println!("| | p50 µs | p99 µs |\n|---|---|---|");
    println!(
        "| refused (bounded check) | {} | {} |",
        us(percentile(&mut refusals, 0.5).unwrap_or_default()),
        us(percentile(&mut refusals, 0.99).unwrap_or_default())
    );
    println!(
        "| one HMAC-SHA256 over the body | {} | {} |",
        us(one_mac),
        us(percentile(&mut macs, 0.99).unwrap_or_default())
    );
    println!(
        "| the unbounded check: one MAC per value per key (2 keys), estimated | {} | — |\n",
        us(unbounded)
    );
}

/// One attack request through the runner: its status and time.
async fn attack_once(
    http: &reqwest::Client,
    base: &str,
    body: &str,
    header: &str,
) -> (u16, Duration) {
    let started = Instant::now();
    let status = http
        .post(format!("{base}/calls/outbound"))
        .header("content-type", "application/json")
        .header("x-lifeline-signature", header)
        .body(body.to_string())
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    (status, started.elapsed())
}

async fn health_latencies(l: &Local, http: &reqwest::Client, n: usize) -> Vec<Duration> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let r = http
            .get(format!("{}/_local/health", l.base))
            .header(lifeline_local::TOKEN_HEADER, &l.token)
            .send()
            .await
            .expect("health answers");
        assert!(r.status().is_success(), "{}", r.status());
        out.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    out
}

async fn through_the_runner(body: String, header: String) {
    let l = start(5).await;
    let http = reqwest::Client::new();
    println!("## Through the local runner\n");
    println!("| request to `/calls/outbound` | answer | p50 ms | p99 ms |\n|---|---|---|---|");
    for (name, h) in [
        ("95 000 values (~380 KB header)", header.clone()),
        (
            "2 500 values (API Gateway's 10 KiB limit)",
            aws_sized_header(),
        ),
    ] {
        let mut statuses = std::collections::BTreeSet::new();
        let mut times = Vec::new();
        for _ in 0..runs() {
            let (status, took) = attack_once(&http, &l.base, &body, &h).await;
            statuses.insert(status);
            times.push(took);
        }
        println!(
            "| {name} | {statuses:?} | {} | {} |",
            ms(percentile(&mut times, 0.5).unwrap_or_default()),
            ms(percentile(&mut times, 0.99).unwrap_or_default())
        );
    }
    println!(
        "\n431: the runner refuses a request head over 16 KiB before any handler; 200: \
         dial-intake's fail-open answer (`unauthenticated`, nothing written) after the bounded check.\n"
    );
    let n = runs();
    let mut alone = health_latencies(&l, &http, n).await;
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let mut attackers = Vec::new();
    for _ in 0..4 {
        let (stop, sent, http) = (stop.clone(), sent.clone(), http.clone());
        let (base, body, header) = (l.base.clone(), body.clone(), header.clone());
        attackers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                attack_once(&http, &base, &body, &header).await;
                sent.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let started = Instant::now();
    let mut under = health_latencies(&l, &http, n).await;
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for a in attackers {
        let _ = a.await;
    }
    let attacks_sent = sent.load(Ordering::Relaxed);
    println!("`/_local/health`, {n} requests each:\n");
    println!("| | p50 ms | p99 ms |\n|---|---|---|");
    for (name, v) in [
        ("alone", &mut alone),
        ("while 4 clients send the attack", &mut under),
    ] {
        println!(
            "| {name} | {} | {} |",
            ms(percentile(v, 0.5).unwrap_or_default()),
            ms(percentile(v, 0.99).unwrap_or_default())
        );
    }
    println!(
        "\nThe attackers sent {attacks_sent} stuffed requests meanwhile ({:.0} a second).",
        attacks_sent as f64 / elapsed.as_secs_f64()
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let body = attack_body();
    let header = stuffed_header();
    println!("# Security figures\n");
    in_process(&body, &header);
    through_the_runner(body, header).await;
}
