//! `lifeline-bench`: prints the figures BENCHMARKS.md records, measured in one
//! run against the local emulators (`./infra/bench.sh` starts them and builds
//! this in release). Not a test: it asserts nothing, it measures.
//!
//! 1. AWS requests per operation (SDK interceptor), per function.
//! 2. Handler latency in-process (p50/p99) next to bare GetItem/PutItem on the
//!    same DynamoDB Local, as ratios.
//! 3. Emergency-dial latency with pools of 10, 1 000 and 10 000 numbers, and
//!    50 concurrent dials.
//! 4. Cold-start proxy: process start → first event handled through a local
//!    Lambda Runtime API, per function binary.
//! 5. Release binary sizes.
//! 6. The voice-platform adapters next to the canonical webhooks: requests per
//!    operation and latency ratios.
//! 9. Mass-casualty burst: N concurrent emergency dials (`BENCH_BURST`,
//!    default `100,300,500`, `0` skips), pools of 2 × N and N (burst.rs).
//!
//! `BENCH_ONLY=burst` runs section 9 alone (also `concurrency`, `adapters`;
//! `coldstart` runs sections 4 and 5).

mod adapters;
mod burst;
mod rig;
mod runtime_api;

use chrono::{Duration, Utc};
use lifeline_app::clock::Clock;
use lifeline_app::ports::{CallbackStore, DialStore};
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::sdk::{aws_config_loader, ClientProfile};
use lifeline_aws::test_support::{counted_dynamodb_client, counted_scheduler_client, CallCounter};
use lifeline_edge::config::Mode;
use std::sync::Arc;
use std::time::Instant;

use adapters::section_adapters;
use rig::{fmt_calls, ms, rig, stats, Stats};

async fn section_calls(conf: &aws_config::SdkConfig) {
    println!("## 1. AWS requests per operation\n");
    println!(
        "Counted by an SDK interceptor on each function's own clients (retries would count too).\n"
    );
    println!("| operation | requests | target |\n|---|---|---|");
    let r = rig(conf, 5, 3).await;
    let row = |op: &str, calls: &CallCounter, target: &str| {
        println!("| {op} | {} | {target} |", fmt_calls(&calls.snapshot()));
        calls.reset();
    };
    r.dial("c-0", "b-0", "4255550123").await;
    row("ordinary dial", &r.calls, "0");
    let first = r.dial("c-1", "b-0", "9-911").await;
    row(
        "emergency dial, cold container (first dial)",
        &r.calls,
        "read, then 1 write",
    );
    r.dial("c-1", "b-0", "9-911").await;
    row(
        "emergency dial, repeated callId (warm)",
        &r.calls,
        "≤ 2 (the refused write returns the call)",
    );
    r.dial("c-2", "b-0", "9-911").await;
    row(
        "emergency dial, agent holds a live lease (warm)",
        &r.calls,
        "≤ 2 (refused claim, extension)",
    );
    r.dial("c-3", "b-1", "9-911").await;
    row(
        "emergency dial, agent not yet read, candidates queued",
        &r.calls,
        "1 read, 1 write",
    );
    r.warm_up().await;
    r.dial("c-4", "b-2", "9-911").await;
    row(
        "emergency dial, warm container (no lease, new callId)",
        &r.calls,
        "1 write, 0 reads",
    );
    let number = first["callerId"].as_str().unwrap_or_default().to_string();
    r.inbound(&number).await;
    row("inbound callback", &r.calls, "1 read");
    r.end("c-1", "b-0").await;
    row("call ended", &r.calls, "");

    // The stream side effects, each through its service with its own counted client.
    let side = CallCounter::new();
    let side_store = Arc::new(DynamoStore::new(
        counted_dynamodb_client(conf, &side),
        r.store.table(),
    ));
    let clock: Arc<dyn Clock> = Arc::new(r.clock.clone());
    let presence = lifeline_app::service::presence::PresenceService::new(
        side_store.clone(),
        clock.clone(),
        r.config.settings.presence,
    );
    let change = lifeline_edge::stream::CallChange::Started {
        agent: "b-1".parse().expect("a"),
        call: "c-9".parse().expect("c"),
        at: r.clock.now(),
    };
    let _ = presence.apply(&change).await;
    row("presence override (call start)", &side, "");
    let sched_calls = CallCounter::new();
    let group = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let scheduler_client = counted_scheduler_client(conf, &sched_calls);
    let _ = aws_sdk_scheduler::Client::new(conf)
        .create_schedule_group()
        .name(&group)
        .send()
        .await;
    let sched_config = lifeline_aws::scheduler::SchedulerConfig::from_lookup(Mode::Local, |k| {
        (k == "LIFELINE_SCHEDULE_GROUP").then(|| group.clone())
    })
    .expect("scheduler config");
    let lifecycle = lifeline_app::service::lease::LeaseLifecycle::new(
        side_store.clone(),
        Arc::new(lifeline_aws::scheduler::EventBridgeScheduler::new(
            scheduler_client,
            sched_config,
        )),
        clock.clone(),
    );
    let lease = side_store
        .lease_for_number(&number.parse().expect("n"))
        .await
        .ok()
        .flatten();
    side.reset();
    let _ = lifecycle.on_change(None, lease.as_ref()).await;
    println!(
        "| lease schedule (new lease) | {} | |",
        fmt_calls(&sched_calls.snapshot())
    );
    sched_calls.reset();
    if let Some(l) = &lease {
        let mut moved = l.clone();
        moved.hold_until += Duration::minutes(5);
        let _ = lifecycle.on_change(Some(l), Some(&moved)).await;
        println!(
            "| lease schedule (hold moved) | {} | |",
            fmt_calls(&sched_calls.snapshot())
        );
        r.clock.advance(Duration::hours(2));
        let expiry = lifeline_domain::expiry::LeaseExpiry {
            lease_id: l.lease_id.to_string(),
            number: l.number.to_string(),
            version: l.version,
        };
        side.reset();
        let _ = lifecycle.expire(&expiry).await;
        row("lease expiry (firing)", &side, "");
    }
    let ses = aws_sdk_sesv2::Client::new(conf);
    let _ = ses
        .create_email_identity()
        .email_identity("lifeline@example.com")
        .send()
        .await;
    let notify = lifeline_app::service::notify::NotifyService::new(
        side_store.clone(),
        Arc::new(lifeline_aws::ses::SesSender::new(ses)),
        clock,
        "lifeline@example.com".parse().expect("from"),
    );
    side.reset();
    let _ = notify
        .on_call_started(&"c-1".parse().expect("c"), &"b-0".parse().expect("a"))
        .await;
    println!(
        "| notification (call start) | {} + SES SendEmail 1 | |",
        fmt_calls(&side.snapshot())
    );
    println!();
}

async fn section_latency(conf: &aws_config::SdkConfig, n: usize) {
    println!("## 2. Latency in-process against DynamoDB Local ({n} runs each)\n");
    let r = rig(conf, n + 10, n).await;
    let client = aws_sdk_dynamodb::Client::new(conf);
    let table = r.store.table().to_string();
    let key = |i: usize| {
        std::collections::HashMap::from([
            (
                "pk".to_string(),
                aws_sdk_dynamodb::types::AttributeValue::S(format!("BENCH#{i}")),
            ),
            (
                "sk".to_string(),
                aws_sdk_dynamodb::types::AttributeValue::S("X".into()),
            ),
        ])
    };
    let mut put = Vec::new();
    let mut get = Vec::new();
    for i in 0..n {
        let t = Instant::now();
        let _ = client
            .put_item()
            .table_name(&table)
            .set_item(Some(key(i)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        put.push(ms(t.elapsed()));
        let t = Instant::now();
        let _ = client
            .get_item()
            .table_name(&table)
            .set_key(Some(key(i)))
            .consistent_read(true)
            .send()
            .await;
        get.push(ms(t.elapsed()));
    }
    // The container warm, as one serving for a while is (section 1 counts
    // the cold container's dial): each dial below is its one write.
    r.warm_up().await;
    let (mut em, mut ord, mut cb, mut end) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut numbers = Vec::new();
    for i in 0..n {
        let t = Instant::now();
        let v = r.dial(&format!("l-{i}"), &format!("b-{i}"), "911").await;
        em.push(ms(t.elapsed()));
        numbers.push(v["callerId"].as_str().unwrap_or_default().to_string());
        let t = Instant::now();
        r.dial(&format!("o-{i}"), &format!("b-{i}"), "4255550123")
            .await;
        ord.push(ms(t.elapsed()));
    }
    for (i, num) in numbers.iter().enumerate() {
        let t = Instant::now();
        r.inbound(num).await;
        cb.push(ms(t.elapsed()));
        let t = Instant::now();
        r.end(&format!("l-{i}"), &format!("b-{i}")).await;
        end.push(ms(t.elapsed()));
    }
    // The write an emergency dial makes: a three-item transaction.
    let mut tx = Vec::new();
    for i in 0..n {
        let put_of = |k: usize| {
            aws_sdk_dynamodb::types::TransactWriteItem::builder()
                .put(
                    aws_sdk_dynamodb::types::Put::builder()
                        .table_name(&table)
                        .set_item(Some(key(k)))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .expect("put"),
                )
                .build()
        };
        let t = Instant::now();
        let _ = client
            .transact_write_items()
            .transact_items(put_of(10_000 + 3 * i))
            .transact_items(put_of(10_001 + 3 * i))
            .transact_items(put_of(10_002 + 3 * i))
            .send()
            .await;
        tx.push(ms(t.elapsed()));
    }
    let base_tx = stats(tx);
    let base_put = stats(put);
    let base_get = stats(get);
    println!("| operation | p50 ms | p99 ms | p50 ratio | baseline |\n|---|---|---|---|---|");
    let row = |name: &str, s: &Stats, base: &Stats, base_name: &str| {
        println!(
            "| {name} | {:.2} | {:.2} | {:.2}× | {base_name} |",
            s.p50,
            s.p99,
            s.p50 / base.p50
        );
    };
    row("bare conditional PutItem", &base_put, &base_put, "itself");
    row("bare consistent GetItem", &base_get, &base_get, "itself");
    row(
        "bare TransactWriteItems (3 conditional puts)",
        &base_tx,
        &base_put,
        "conditional PutItem",
    );
    let em = stats(em);
    row(
        "emergency dial (handler)",
        &em,
        &base_put,
        "conditional PutItem",
    );
    row(
        "emergency dial (handler)",
        &em,
        &base_tx,
        "3-item transaction",
    );
    row("ordinary dial (handler)", &stats(ord), &base_get, "GetItem");
    row(
        "inbound callback (handler)",
        &stats(cb),
        &base_get,
        "GetItem",
    );
    row(
        "call ended (handler)",
        &stats(end),
        &base_put,
        "conditional PutItem",
    );
    println!("\nTarget: emergency dial (warm container) ≤ 1.3× a bare 3-item TransactWriteItems (p50).\n");
}

async fn section_pool_size(conf: &aws_config::SdkConfig, n: usize) {
    println!("## 3. Emergency dial vs pool size ({n} dials each)\n");
    println!("Each dial is ended and the clock moved 3 h after it, so a pool of 10 serves every dial (and a container's cache is stale by then). *cold*: the dial reads first (context, and the pool's listing: a `Query` of one page); *warm*: the container warmed up just before (untimed), so the dial is its one write. *bare Query*: that listing's page alone, the same number of times: what grows with the pool in DynamoDB Local itself.\n");
    println!("| pool size | cold p50 ms | cold p99 ms | warm p50 ms | warm p99 ms | bare Query p50 ms | cold ratio to 10 (p50) | warm ratio to 10 (p50) | bare Query ratio to 10 (p50) |\n|---|---|---|---|---|---|---|---|---|");
    let mut first: Option<(f64, f64, f64)> = None;
    for size in [10usize, 1_000, 10_000] {
        let r = rig(conf, size, 2 * n).await;
        let (mut cold, mut warm, mut query) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..n {
            let t = Instant::now();
            r.dial(&format!("p-{i}"), &format!("b-{i}"), "911").await;
            cold.push(ms(t.elapsed()));
            r.end(&format!("p-{i}"), &format!("b-{i}")).await;
            r.clock.advance(Duration::hours(3));
            r.warm_up().await;
            let t = Instant::now();
            r.dial(&format!("q-{i}"), &format!("b-{}", n + i), "911")
                .await;
            warm.push(ms(t.elapsed()));
            r.end(&format!("q-{i}"), &format!("b-{}", n + i)).await;
            r.clock.advance(Duration::hours(3));
            let t = Instant::now();
            let _ = r
                .store
                .available_numbers(
                    lifeline_domain::numbers::Country::US,
                    r.clock.now(),
                    lifeline_app::service::dial::CANDIDATES,
                    None,
                )
                .await;
            query.push(ms(t.elapsed()));
        }
        let (cold, warm, query) = (stats(cold), stats(warm), stats(query));
        let (c0, w0, q0) = *first.get_or_insert((cold.p50, warm.p50, query.p50));
        println!(
            "| {size} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2}× | {:.2}× | {:.2}× |",
            cold.p50,
            cold.p99,
            warm.p50,
            warm.p99,
            query.p50,
            cold.p50 / c0,
            warm.p50 / w0,
            query.p50 / q0
        );
    }
    println!("\nTarget: 10 000 within 1.2× of 10 (p50).\n");
    // Each dial on a task of its own, as concurrent Lambda invocations are.
    let r = Arc::new(rig(conf, 1_000, 50).await);
    let ids = (0..50)
        .map(|i| (format!("k-{i}"), format!("b-{i}")))
        .collect();
    let (answers, wall) = rig::dial_at_once(&r, ids).await;
    let distinct: std::collections::HashSet<_> = answers
        .iter()
        .filter(|(_, v)| v["degraded"] == false)
        .map(|(_, v)| v["callerId"].to_string())
        .collect();
    let leased = answers
        .iter()
        .filter(|(_, v)| v["degraded"] == false)
        .count();
    let s = stats(answers.iter().map(|(l, _)| *l).collect());
    println!(
        "50 concurrent emergency dials, pool of 1 000: wall {wall:.0} ms, p50 {:.1} ms, p99 {:.1} ms, {leased} leased, {} distinct numbers, {} degraded.\n",
        s.p50,
        s.p99,
        distinct.len(),
        50 - leased
    );
    let _ = s.n;
    let _ = &r.conf;
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    if std::env::var_os("RUST_LOG").is_some() {
        lifeline_edge::telemetry::init_text();
    }
    let conf = aws_config_loader(ClientProfile::Admin).load().await;
    match std::env::var("BENCH_ONLY").as_deref() {
        Ok("concurrency") => return section_pool_size(&conf, 1).await,
        Ok("adapters") => return section_adapters(&conf, n).await,
        Ok("burst") => return burst::section_burst(&conf).await,
        Ok("coldstart") => {
            runtime_api::section_cold_start(&conf).await;
            return runtime_api::section_sizes();
        }
        _ => {}
    }
    println!("# Lifeline benchmark run\n");
    println!(
        "Machine: {} cores, `{}`; DynamoDB Local and moto on 127.0.0.1; release build; {}.\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        std::env::consts::ARCH,
        Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    section_calls(&conf).await;
    section_latency(&conf, n).await;
    section_pool_size(&conf, n.min(100)).await;
    runtime_api::section_cold_start(&conf).await;
    runtime_api::section_sizes();
    section_adapters(&conf, n).await;
    burst::section_burst(&conf).await;
}
