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
//! `BENCH_ONLY=burst` runs section 9 alone (a comma list of `calls`, `latency`,
//! `pools`, `concurrency`, `coldstart`, `sizes`, `adapters`, `burst`;
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
    row(
        "inbound callback",
        &r.calls,
        "1 read; then the mark that it came",
    );
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
        (k == lifeline_app::settings::table::LIFELINE_SCHEDULE_GROUP.name).then(|| group.clone())
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
            agent_id: None,
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
    burst::drop_and_settle(&r).await;
}

async fn section_latency(conf: &aws_config::SdkConfig, n: usize) {
    println!("## 2. Latency in-process against DynamoDB Local ({n} runs each)\n");
    let r = rig(conf, n + 10, n).await;
    let client = aws_sdk_dynamodb::Client::new(conf);
    let table = r.store.table().to_string();
    let key = |i: usize| rig::bare_item(format!("BENCH#{i}"));
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
        let put_of = |k: usize| rig::put_if_new(&table, key(k));
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
    // The same transaction of the dial's own items (copies, new keys).
    let shaped = stats(
        rig::dial_shaped_transactions(
            &r,
            "l-0",
            "b-0",
            numbers.first().map_or("", String::as_str),
            n,
        )
        .await,
    );
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
    row(
        "bare TransactWriteItems of the dial's own 3 items (copies)",
        &shaped,
        &base_tx,
        "3-item transaction",
    );
    row(
        "emergency dial (handler)",
        &em,
        &shaped,
        "the dial's own items, bare",
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
    burst::drop_and_settle(&r).await;
}

async fn section_pool_size(conf: &aws_config::SdkConfig, n: usize) {
    println!("## 3. Emergency dial vs pool size ({n} dials each)\n");
    println!("Each dial is ended and the clock moved 3 h after it, so a pool of 10 serves every dial (and a container's cache is stale by then). *cold*: the dial reads first (context, and the pool's listing: a `Query` of one page); *warm*: the container warmed up just before (untimed), so the dial is its one write. *bare Query*: that listing's page alone, the same number of times; *bare dial-shaped transaction*: the warm dial's own three items copied under new keys and written as one bare transaction after each warm dial. Both show what grows with the pool in DynamoDB Local itself. Ratios are of p50s.\n");
    println!("| pool size | cold p50 ms | cold p99 ms | warm p50 ms | warm p99 ms | bare Query p50 ms | bare dial-shaped transaction p50 ms | cold ratio to 10 | warm ratio to 10 | bare Query ratio to 10 | bare transaction ratio to 10 | warm / bare transaction |\n|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut first: Option<(f64, f64, f64, f64)> = None;
    for size in [10usize, 1_000, 10_000] {
        let r = rig(conf, size, 2 * n).await;
        let (mut cold, mut warm, mut query, mut shaped) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for i in 0..n {
            let t = Instant::now();
            r.dial(&format!("p-{i}"), &format!("b-{i}"), "911").await;
            cold.push(ms(t.elapsed()));
            r.end(&format!("p-{i}"), &format!("b-{i}")).await;
            r.clock.advance(Duration::hours(3));
            r.warm_up().await;
            let t = Instant::now();
            let answer = r
                .dial(&format!("q-{i}"), &format!("b-{}", n + i), "911")
                .await;
            warm.push(ms(t.elapsed()));
            let number = answer["callerId"].as_str().unwrap_or_default().to_string();
            shaped.extend(
                rig::dial_shaped_transactions(
                    &r,
                    &format!("q-{i}"),
                    &format!("b-{}", n + i),
                    &number,
                    1,
                )
                .await,
            );
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
        let (cold, warm, query, shaped) = (stats(cold), stats(warm), stats(query), stats(shaped));
        let (c0, w0, q0, s0) = *first.get_or_insert((cold.p50, warm.p50, query.p50, shaped.p50));
        println!(
            "| {size} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2}× | {:.2}× | {:.2}× | {:.2}× | {:.2}× |",
            cold.p50,
            cold.p99,
            warm.p50,
            warm.p99,
            query.p50,
            shaped.p50,
            cold.p50 / c0,
            warm.p50 / w0,
            query.p50 / q0,
            shaped.p50 / s0,
            warm.p50 / shaped.p50
        );
        // Leave DynamoDB Local as it was for what follows (deleted, and
        // answering promptly again).
        burst::drop_and_settle(&r).await;
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
    let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
    for (_, v) in answers.iter().filter(|(_, v)| v["degraded"] != false) {
        *reasons
            .entry(v["reason"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
    }
    let s = stats(answers.iter().map(|(l, _)| *l).collect());
    println!(
        "50 concurrent emergency dials, pool of 1 000, cold container: wall {wall:.0} ms, p50 {:.1} ms, p99 {:.1} ms, {leased} leased, {} distinct numbers, {} degraded {reasons:?}.\n",
        s.p50,
        s.p99,
        distinct.len(),
        50 - leased
    );
    let _ = s.n;
    burst::drop_and_settle(&r).await;
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
    // `BENCH_ONLY`: a comma list of sections (`calls`, `latency`, `pools`,
    // `concurrency`, `coldstart`, `sizes`, `adapters`, `burst`); unset: all.
    // `./infra/bench.sh` runs them in three groups, each on fresh emulators.
    let only = std::env::var("BENCH_ONLY").ok();
    let wants = |name: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|s| s.trim() == name))
    };
    if wants("calls") {
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
    }
    if wants("latency") {
        section_latency(&conf, n).await;
    }
    if wants("pools") {
        section_pool_size(&conf, n.min(100)).await;
    } else if wants("concurrency") {
        section_pool_size(&conf, 1).await;
    }
    if wants("coldstart") {
        runtime_api::section_cold_start(&conf).await;
    }
    if wants("sizes") {
        runtime_api::section_sizes();
    }
    if wants("adapters") {
        section_adapters(&conf, n).await;
    }
    if wants("burst") {
        burst::section_burst(&conf).await;
    }
}
