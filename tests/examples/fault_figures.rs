//! Figures for the emergency dial under DynamoDB faults on the wire (the
//! cases of `tests/e2e/faults.rs`, a–f): for each, `FAULT_RUNS` dials (20 by
//! default), each by a fresh agent with a distinct callId, and a markdown
//! table of how fast the answer came, why it was degraded, when the call
//! record and the supervisor's e-mail appeared (from the dial's start), and
//! whether the answer, the record and the e-mail name the same number.
//!
//! `source /tmp/ll-env.sh && cargo run -p lifeline-e2e --example fault_figures`

use lifeline_app::ports::{AdminStore, DialStore};
use lifeline_aws::dynamo::DynamoStore;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::NumberType;
use lifeline_e2e::fault_proxy::{Fault, FaultProxy};
use lifeline_e2e::{agent, dial, percentile, start_behind_proxy, try_emails_to};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SUPERVISOR: &str = "sup@example.com";
/// The `from` of every dial (`lifeline_e2e::dial`), each agent's own number.
const OWN: &str = "+14255550100";
/// How long a record or an e-mail is waited for.
const WAIT: Duration = Duration::from_secs(15);

struct Case {
    key: &'static str,
    label: &'static str,
    /// Sets the fault up before each dial (it is cleared after).
    arm: fn(&FaultProxy),
}

const CASES: [Case; 7] = [
    Case {
        key: "fa",
        label: "a. reads refused (500 on every BatchGetItem)",
        arm: |p| p.inject("BatchGetItem", Fault::internal_server_error(), usize::MAX),
    },
    Case {
        key: "fb",
        label: "b. reads slower than the budget (4 s on BatchGetItem)",
        arm: |p| {
            p.inject(
                "BatchGetItem",
                Fault::Latency(Duration::from_secs(4)),
                usize::MAX,
            )
        },
    },
    Case {
        key: "fc",
        label: "c. lease committed, answer lost (TransactWriteItems forwarded then dropped, once)",
        arm: |p| p.inject("TransactWriteItems", Fault::ForwardThenDrop, 1),
    },
    Case {
        key: "fd",
        label: "d. lease committed late (1.5 s), SDK retry gets TransactionInProgress",
        arm: |p| {
            p.inject(
                "TransactWriteItems",
                Fault::ForwardThenDelay(Duration::from_millis(1500)),
                1,
            );
            p.inject("TransactWriteItems", Fault::transaction_in_progress(), 1);
        },
    },
    Case {
        key: "fe",
        label: "e. throttling on every TransactWriteItems",
        arm: |p| p.inject("TransactWriteItems", Fault::throttling(), usize::MAX),
    },
    Case {
        key: "ff",
        label: "f. DynamoDB refusing connections (recorded via the outbox)",
        arm: |p| p.refuse(true),
    },
    Case {
        key: "fg",
        label: "g. DynamoDB answering nothing for 10 s (recorded via the outbox)",
        arm: |p| p.inject("*", Fault::Latency(Duration::from_secs(10)), usize::MAX),
    },
];

/// One dial's outcome: its answer, and when its record and e-mail appeared.
struct Run {
    answered: Duration,
    caller_id: String,
    reason: Option<String>,
    record: Record,
    email: Option<(Duration, String)>,
}

/// The record's watch: still running while the dials go on, then its result.
enum Record {
    Watching(tokio::task::JoinHandle<Option<(Duration, String)>>),
    Seen(Option<(Duration, String)>),
}

impl Record {
    fn seen(&self) -> Option<&(Duration, String)> {
        match self {
            Record::Seen(got) => got.as_ref(),
            Record::Watching(_) => None,
        }
    }
}

/// The first time each awaited subject was seen in moto's outbox, with the
/// e-mail's callback number: subject → (dial start, seen).
type Seen = Arc<Mutex<HashMap<String, (Instant, Option<(Duration, String)>)>>>;

/// Polls moto's outbox every 50 ms and notes when each awaited e-mail appears.
fn watch_emails(seen: Seen) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            // A busy moto may drop a request: the next round asks again.
            let emails = try_emails_to(SUPERVISOR).await.unwrap_or_default();
            let now = Instant::now();
            if let Ok(mut seen) = seen.lock() {
                for e in emails {
                    if let Some((started, got @ None)) = seen.get_mut(&e.subject) {
                        let number = callback_number(&e.body).unwrap_or_default();
                        *got = Some((now - *started, number));
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
}

/// Polls the call's record (directly, not through the proxy) from the dial's
/// start: when it appeared, and the number it presents.
fn watch_record(
    store: DynamoStore,
    call: String,
    agent: String,
    started: Instant,
) -> tokio::task::JoinHandle<Option<(Duration, String)>> {
    tokio::spawn(async move {
        let (call, agent) = (
            call.parse().expect("call id"),
            agent.parse().expect("agent"),
        );
        while started.elapsed() < WAIT {
            if let Ok(ctx) = store.dial_context(&call, &agent).await {
                if let Some(c) = ctx.call {
                    return Some((started.elapsed(), c.caller_id.to_string()));
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    })
}

/// The number in the e-mail's "Callback number" cell.
fn callback_number(body: &str) -> Option<String> {
    let cell = &body[body.find(">Callback number<")?..];
    let value = &cell[cell.find("font-weight:700;\">")? + "font-weight:700;\">".len()..];
    Some(value[..value.find('<')?].trim().to_string())
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

fn p50_cell(mut values: Vec<Duration>, n: usize) -> String {
    let k = values.len();
    match percentile(&mut values, 0.5) {
        Some(p) => format!("{} ({k}/{n})", ms(p)),
        None => format!("— (0/{n})"),
    }
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("FAULT_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    // With the outbox: a call the dial cannot record goes there, and call-outbox records it.
    let (l, proxy) = start_behind_proxy(0, &[("LIFELINE_E2E_OUTBOX", "1")]).await;
    let tag = l.table[4..12].to_string();
    // A number for every dial that may lease one, and a fresh agent per dial.
    let pool: Vec<_> = (0..CASES.len() * n)
        .map(|i| format!("+1206555{i:04}").parse().expect("number"))
        .collect();
    lifeline_e2e::seed_pool(&l.store, &pool).await;
    let seen: Seen = Arc::default();
    let watcher = watch_emails(seen.clone());
    let mut results: Vec<(&Case, Vec<(String, Run)>)> = Vec::new();
    for case in &CASES {
        eprintln!("{} ({n} dials)", case.label);
        let mut runs = Vec::new();
        for i in 0..n {
            let agent_id = format!("{}-{i}", case.key);
            let call = format!("{}-{tag}-{i}", case.key);
            let mut profile = agent(&agent_id, Country::US, NumberType::CallingPlan, OWN);
            profile.name = format!("Agent {agent_id} {tag}");
            l.store.put_agent(&profile).await.expect("agent");
            let subject = format!("Emergency call to 911 by {}", profile.name);
            (case.arm)(&proxy);
            let started = Instant::now();
            if let Ok(mut seen) = seen.lock() {
                seen.insert(subject.clone(), (started, None));
            }
            let record = watch_record(l.store.clone(), call.clone(), agent_id.clone(), started);
            let answer = l
                .post("/calls/outbound", &dial(&call, &agent_id, "911"))
                .await;
            let answered = started.elapsed();
            proxy.clear();
            proxy.refuse(false);
            runs.push((
                subject,
                Run {
                    answered,
                    caller_id: answer.json["callerId"].as_str().unwrap_or("").into(),
                    reason: answer.json["reason"].as_str().map(String::from),
                    record: Record::Watching(record),
                    email: None,
                },
            ));
        }
        results.push((case, runs));
    }
    for (_, runs) in &mut results {
        for (_, run) in runs.iter_mut() {
            if let Record::Watching(watch) = &mut run.record {
                run.record = Record::Seen(watch.await.ok().flatten());
            }
        }
    }
    // The e-mails of recorded calls, waited for (from the last record).
    let last = Instant::now();
    loop {
        let pending = results
            .iter()
            .flat_map(|(_, runs)| runs)
            .filter(|(subject, run)| {
                run.record.seen().is_some()
                    && seen
                        .lock()
                        .map(|s| s.get(subject).is_some_and(|(_, got)| got.is_none()))
                        .unwrap_or(false)
            })
            .count();
        if pending == 0 || last.elapsed() > WAIT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    watcher.abort();
    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();

    println!(
        "\n{n} dials per fault; the webhook handlers' DynamoDB client goes through the fault proxy"
    );
    println!("with the Lambda's critical-path settings (attempt 900 ms, 2 attempts); dial budget 2500 ms.");
    println!("Times from the dial's start; record and e-mail: p50 over the calls that got one (count/N).\n");
    println!("| fault | answers p50 / p99 (ms) | degraded reason(s) | call record present after (p50 ms) | e-mail to {SUPERVISOR} after (p50 ms) | answer == record == e-mail callback number |");
    println!("|---|---|---|---|---|---|");
    for (case, runs) in &mut results {
        for (subject, run) in runs.iter_mut() {
            run.email = seen.get(subject).and_then(|(_, got)| got.clone());
        }
        let mut answers: Vec<Duration> = runs.iter().map(|(_, r)| r.answered).collect();
        let p50 = percentile(&mut answers, 0.5).map_or(0, ms);
        let p99 = percentile(&mut answers, 0.99).map_or(0, ms);
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        for (_, r) in runs.iter() {
            let reason = r.reason.clone().unwrap_or_else(|| {
                if r.caller_id == OWN {
                    "none, own number".into()
                } else {
                    "none (pool number)".into()
                }
            });
            *reasons.entry(reason).or_default() += 1;
        }
        let reasons = reasons
            .iter()
            .map(|(r, k)| format!("{r} ×{k}"))
            .collect::<Vec<_>>()
            .join(", ");
        let records = runs
            .iter()
            .filter_map(|(_, r)| r.record.seen().map(|(d, _)| *d))
            .collect();
        let emails = runs
            .iter()
            .filter_map(|(_, r)| r.email.as_ref().map(|(d, _)| *d))
            .collect();
        let agree = runs
            .iter()
            .filter(|(_, r)| {
                matches!((r.record.seen(), &r.email),
                    (Some((_, rec)), Some((_, mail))) if *rec == r.caller_id && *mail == r.caller_id)
            })
            .count();
        let own = runs.iter().filter(|(_, r)| r.caller_id == OWN).count();
        println!(
            "| {} | {p50} / {p99} | {reasons} | {} | {} | {agree}/{n} (own number answered: {own}/{n}) |",
            case.label,
            p50_cell(records, n),
            p50_cell(emails, n),
        );
    }
}
