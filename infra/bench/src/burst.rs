//! Section 9: the mass-casualty burst.
//!
//! N agents dial an emergency number at once: one tokio task per dial, as
//! concurrent Lambda invocations would be, each a distinct agent with a
//! distinct `callId`, against DynamoDB Local, three ways:
//! - **cold**: in-process through a new dial-intake handler (`Rig::dial`),
//!   nothing cached: every dial reads first;
//! - **warm**: the same handler warmed up before the clock starts (every
//!   agent's profile, the tenant's settings, the pool's candidates), as a
//!   container that has served for a while is;
//! - **http**: the local runner (`LocalSystem`, warmed up as its start does)
//!   on 127.0.0.1, one signed `POST /calls/outbound` per dial.
//!
//! Each N runs with a pool of 2 × N numbers and with a pool of exactly N, on
//! a fresh table per run; agents and numbers are seeded in concurrent batches
//! before the clock starts, and the request counter is reset after seeding
//! and warm-up; after each run its table is deleted and DynamoDB Local given
//! time to drain the requests the timed-out dials left queued.
//!
//! One markdown row per run: distinct callback numbers leased, degraded
//! answers by reason, numbers answered twice (must be 0), DynamoDB requests
//! per dial, p50/p99/max answer time, answers later than the dial budget,
//! and the call records the table holds once DynamoDB Local has drained.
//!
//! - `BENCH_BURST=100,300,500` (default): the N to run; `BENCH_BURST=0` skips.
//! - `BENCH_BURST_PATHS=cold,warm,http` (default): which of the three.
//! - `BENCH_ONLY=burst`: run only this section (no other section, no release
//!   binaries needed): `cargo run --release -p lifeline-bench` with the
//!   emulators' `export` lines sourced.

use crate::rig::{bare_item, dial_at_once, ms, put_if_new, rig, timed_at_once, Rig};
use futures::stream::{self, StreamExt};
use lifeline_app::clock::Clock;
use lifeline_app::ports::AdminStore;
use lifeline_domain::numbers::Country;
use lifeline_domain::types::E164;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

/// Seeding requests in flight at once (one `PutItem` each).
const SEED_CONCURRENCY: usize = 16;
/// Sequential dials before the first burst (not reported).
const WARM_UP: usize = 100;
/// Numbers per seeding batch.
const SEED_BATCH: usize = 25;

/// The N to run, from `BENCH_BURST` (comma list; `0` or empty skips).
pub(crate) fn burst_sizes() -> Vec<usize> {
    match std::env::var("BENCH_BURST") {
        Ok(v) => v
            .split(',')
            .filter_map(|s| s.trim().parse::<usize>().ok())
            .filter(|n| *n > 0)
            .collect(),
        Err(_) => vec![100, 300, 500],
    }
}

/// How the dials reach dial-intake.
#[derive(Clone, Copy, PartialEq)]
enum Path {
    Cold,
    Warm,
    Http,
}

impl Path {
    fn name(self) -> &'static str {
        match self {
            Path::Cold => "cold",
            Path::Warm => "warm",
            Path::Http => "http",
        }
    }
}

fn burst_paths() -> Vec<Path> {
    let v = std::env::var("BENCH_BURST_PATHS").unwrap_or_else(|_| "cold,warm,http".into());
    [Path::Cold, Path::Warm, Path::Http]
        .into_iter()
        .filter(|p| v.split(',').any(|s| s.trim() == p.name()))
        .collect()
}

/// The local runner over the rig's table and configuration, warmed up as
/// its start does, serving on 127.0.0.1 until `stop` is sent.
async fn runner(r: &Rig) -> (String, tokio::sync::oneshot::Sender<()>) {
    let system = lifeline_local::LocalSystem::new((*r.store).clone(), (*r.config).clone());
    system.warm_up().await.expect("runner warm-up");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(lifeline_local::serve(
        listener,
        Arc::new(system),
        async move {
            let _ = stopped.await;
        },
    ));
    (base, stop)
}

/// `ids` dialing 911 at once through the runner at `base`, each on a task of
/// its own: each answer with its time (ms), and the wall time (ms).
async fn http_at_once(
    r: &Rig,
    base: &str,
    ids: Vec<(String, String)>,
) -> (Vec<(f64, serde_json::Value)>, f64) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(ids.len())
        .build()
        .expect("client");
    let requests: Vec<_> = ids
        .into_iter()
        .map(|(call, agent)| {
            let body = serde_json::json!({"callId": call, "agentId": agent, "dialed": "911",
                "from": "+14255550100", "location": {"country": "US"}})
            .to_string();
            let signed = lifeline_edge::webhook::Signed::post("/calls/outbound", body.as_bytes());
            let sig = r.secret.sign(chrono::Utc::now().timestamp(), signed);
            let req = client
                .post(format!("{base}/calls/outbound"))
                .header("content-type", "application/json")
                .header(lifeline_edge::webhook::SIGNATURE_HEADER, sig)
                .body(body);
            async move {
                match req.send().await {
                    // The runner's model of Lambda's concurrency: no environment free.
                    Ok(resp) if resp.status() == 429 => serde_json::json!({"throttled": true}),
                    Ok(resp) => resp.json::<serde_json::Value>().await.unwrap_or_default(),
                    Err(e) => serde_json::json!({"reason": format!("http: {e}")}),
                }
            }
        })
        .collect();
    timed_at_once(requests).await
}

/// DynamoDB Local's own limit: `n` bare 3-item `TransactWriteItems` (new
/// items, `attribute_not_exists` conditions, as a dial's write) sent at
/// once, each on a task of its own, to a fresh table: each one's time (ms)
/// and the wall time (ms).
async fn bare_transactions_at_once(conf: &aws_config::SdkConfig, n: usize) -> (Vec<f64>, f64) {
    let r = rig(conf, 0, 0).await;
    let client = aws_sdk_dynamodb::Client::new(conf);
    let table = r.store.table().to_string();
    let put = |k: usize| put_if_new(&table, bare_item(format!("BARE#{k}")));
    let transactions: Vec<_> = (0..n)
        .map(|i| {
            let req = client
                .transact_write_items()
                .transact_items(put(3 * i))
                .transact_items(put(3 * i + 1))
                .transact_items(put(3 * i + 2));
            async move {
                req.send()
                    .await
                    .err()
                    .map(|e| format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(e)))
            }
        })
        .collect();
    let (done, wall) = timed_at_once(transactions).await;
    let failed: Vec<&String> = done.iter().filter_map(|(_, e)| e.as_ref()).collect();
    if let Some(first) = failed.first() {
        eprintln!("bare burst N={n}: {} failed, e.g. {first}", failed.len());
    }
    let times = done.iter().map(|(t, _)| *t).collect();
    drop_and_settle(&r).await;
    (times, wall)
}

/// A fresh table seeded with `pool` US numbers and agents `b-0`..`b-{agents}`.
async fn seeded(conf: &aws_config::SdkConfig, pool: usize, agents: usize) -> Rig {
    let r = rig(conf, 0, 0).await;
    let t0 = r.clock.now() - chrono::Duration::hours(1);
    let numbers: Vec<E164> = (0..pool)
        .map(|i| format!("+1425{:07}", 1_000_000 + i).parse().expect("n"))
        .collect();
    // Batches of numbers side by side; each batch one `PutItem` per number.
    stream::iter(numbers.chunks(SEED_BATCH))
        .for_each_concurrent(SEED_CONCURRENCY, |chunk| {
            let store = r.store.clone();
            async move {
                store
                    .add_numbers(Country::US, chunk, t0)
                    .await
                    .expect("pool");
            }
        })
        .await;
    stream::iter(0..agents)
        .for_each_concurrent(SEED_CONCURRENCY, |i| {
            let store = r.store.clone();
            async move {
                store
                    .put_agent(&crate::rig::agent(&format!("b-{i}")))
                    .await
                    .expect("agent");
            }
        })
        .await;
    r.calls.reset();
    r
}

/// Call records in the run's table once DynamoDB Local has drained (a write
/// the dial gave up waiting for may still land): the dials that left a trace.
async fn settle_and_count_calls(r: &Rig) -> usize {
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let client = aws_sdk_dynamodb::Client::new(&r.conf);
    let mut count = 0usize;
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(r.store.table())
            .filter_expression("begins_with(pk, :p) AND sk = :s")
            .expression_attribute_values(
                ":p",
                aws_sdk_dynamodb::types::AttributeValue::S("CALL#".into()),
            )
            .expression_attribute_values(
                ":s",
                aws_sdk_dynamodb::types::AttributeValue::S("CALL".into()),
            )
            .select(aws_sdk_dynamodb::types::Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        count += page.count() as usize;
        match page.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => break,
        }
    }
    count
}

/// Deletes a run's table and waits until DynamoDB Local answers a cheap
/// request quickly again: an in-memory DynamoDB Local slows down as tables
/// pile up, and requests the dials gave up on are still queued in it; either
/// would leak into the next run.
pub(crate) async fn drop_and_settle(r: &Rig) {
    let client = aws_sdk_dynamodb::Client::new(&r.conf);
    let _ = client
        .delete_table()
        .table_name(r.store.table())
        .send()
        .await;
    let deadline = Instant::now() + std::time::Duration::from_secs(15);
    while Instant::now() < deadline {
        let t = Instant::now();
        let _ = client.list_tables().limit(1).send().await;
        if t.elapsed() < std::time::Duration::from_millis(20) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

struct Row {
    path: Path,
    n: usize,
    pool: usize,
    distinct: usize,
    degraded: BTreeMap<String, usize>,
    /// Refused by the runner's model of Lambda's concurrency (429): no
    /// answer from Lifeline at all, the platform fails open.
    throttled: usize,
    twice: usize,
    requests: BTreeMap<String, usize>,
    p50: f64,
    p99: f64,
    max: f64,
    late: usize,
    wall: f64,
    seed_s: f64,
    recorded: usize,
}

async fn run(
    conf: &aws_config::SdkConfig,
    path: Path,
    n: usize,
    pool: usize,
    budget_ms: f64,
) -> Row {
    let seed = Instant::now();
    let r = Arc::new(seeded(conf, pool, n).await);
    let seed_s = seed.elapsed().as_secs_f64();
    let ids = (0..n)
        .map(|i| (format!("mc-{n}-{pool}-{i}"), format!("b-{i}")))
        .collect();
    let (answers, wall) = match path {
        Path::Cold => dial_at_once(&r, ids).await,
        Path::Warm => {
            r.warm_up().await;
            dial_at_once(&r, ids).await
        }
        Path::Http => {
            let (base, stop) = runner(&r).await;
            r.calls.reset();
            let out = http_at_once(&r, &base, ids).await;
            let _ = stop.send(());
            out
        }
    };
    let requests = r.calls.snapshot();
    let mut degraded: BTreeMap<String, usize> = BTreeMap::new();
    let mut leased: HashMap<String, usize> = HashMap::new();
    let mut throttled = 0;
    for (_, v) in &answers {
        if v["throttled"] == true {
            throttled += 1;
        } else if v["degraded"] == false && v["callerId"].is_string() {
            *leased
                .entry(v["callerId"].as_str().unwrap_or_default().to_string())
                .or_default() += 1;
        } else {
            let reason = v["reason"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("other: {v}"));
            *degraded.entry(reason).or_default() += 1;
        }
    }
    // Tasks that panicked count as degraded too: every dial gets an answer.
    if answers.len() < n {
        *degraded.entry("task panicked".into()).or_default() += n - answers.len();
    }
    let recorded = settle_and_count_calls(&r).await;
    drop_and_settle(&r).await;
    let twice = leased.values().filter(|c| **c > 1).count();
    let mut lat: Vec<f64> = answers.iter().map(|(l, _)| *l).collect();
    lat.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| {
        lat.get(((lat.len().max(1) as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    Row {
        path,
        n,
        pool,
        distinct: leased.len(),
        degraded,
        throttled,
        twice,
        requests,
        p50: at(0.5),
        p99: at(0.99),
        max: lat.last().copied().unwrap_or(f64::NAN),
        late: lat.iter().filter(|l| **l > budget_ms).count(),
        wall,
        seed_s,
        recorded,
    }
}

pub(crate) async fn section_burst(conf: &aws_config::SdkConfig) {
    let sizes = burst_sizes();
    if sizes.is_empty() {
        return;
    }
    // The dial budget the handler is configured with (the rig's config), and
    // a warm-up of sequential dials so that DynamoDB Local's JIT is not
    // measured when this section runs alone.
    let warm = seeded(conf, WARM_UP, WARM_UP).await;
    let budget_ms = ms(warm.config.settings.dial_budget);
    for i in 0..WARM_UP {
        warm.dial(&format!("w-{i}"), &format!("b-{i}"), "911").await;
    }
    drop_and_settle(&warm).await;
    println!("## 9. Mass-casualty burst (one task per dial)\n");
    println!(
        "N agents dial 911 at once, each a distinct agent and callId; fresh table per run, seeded before the clock starts; {WARM_UP} sequential dials first as a warm-up of DynamoDB Local; dial budget {budget_ms:.0} ms. `cold`: a new dial-intake handler in-process (every dial reads first); `warm`: the same handler warmed up (profiles, tenant settings, candidates) before the clock starts; `http`: the local runner on 127.0.0.1, warmed up as its start does, one signed POST per dial, through its model of Lambda's concurrency at the template's defaults (dial-intake: 500 environments, one request each, no queue; the `throttled` column counts the 429s, answered by no Lifeline code). Writes per dial above 1 are retries (a number another dial took, a transaction conflict, the extension after a refused claim).\n"
    );
    println!(
        "| path | N | pool | distinct numbers leased | degraded (by reason) | throttled | same number twice | DynamoDB requests per dial | p50 ms | p99 ms | max ms | after budget | wall ms | call records |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let paths = burst_paths();
    let mut bare_rows = Vec::new();
    for n in sizes {
        let (mut times, wall) = bare_transactions_at_once(conf, n).await;
        times.sort_by(|a, b| a.total_cmp(b));
        let at = |q: f64| times[((times.len().max(1) as f64 - 1.0) * q).round() as usize];
        bare_rows.push(format!(
            "| bare 3-item TransactWriteItems | {n} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2} |",
            at(0.5),
            at(0.99),
            times.last().copied().unwrap_or(f64::NAN),
            wall,
            wall / n as f64
        ));
        for (path, pool) in paths.iter().flat_map(|p| [(*p, 2 * n), (*p, n)]) {
            let row = run(conf, path, n, pool, budget_ms).await;
            let degraded = if row.degraded.is_empty() {
                "0".to_string()
            } else {
                let total: usize = row.degraded.values().sum();
                let by = row
                    .degraded
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("{total} ({by})")
            };
            let total: usize = row.requests.values().sum();
            let per = |c: usize| c as f64 / row.n as f64;
            let by = row
                .requests
                .iter()
                .map(|(k, v)| format!("{k} {:.2}", per(*v)))
                .collect::<Vec<_>>()
                .join(", ");
            println!(
                "| {} | {} | {} | {} | {degraded} | {} | {} | {:.2} ({by}) | {:.0} | {:.0} | {:.0} | {} | {:.0} | {} |",
                row.path.name(),
                row.n,
                row.pool,
                row.distinct,
                row.throttled,
                row.twice,
                per(total),
                row.p50,
                row.p99,
                row.max,
                row.late,
                row.wall,
                row.recorded,
            );
            eprintln!(
                "burst {} N={} pool={}: seeded in {:.1} s",
                row.path.name(),
                row.n,
                row.pool,
                row.seed_s
            );
        }
    }
    println!("\nDynamoDB Local's own limit, in the same run: N bare 3-item transactions (a dial's write, nothing else) sent at once to a fresh table.\n");
    println!("| what | N | p50 ms | p99 ms | max ms | wall ms | wall ms per transaction |\n|---|---|---|---|---|---|---|");
    for row in bare_rows {
        println!("{row}");
    }
    println!();
}
