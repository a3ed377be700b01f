//! Figures for the side effects' delivery path (issue 16): the table's
//! stream → stream-events (its one reader) → Lifeline's bus → the rules →
//! presence-override and the notifier, as the local runner drives it (stream
//! polled every 200 ms, asynchronous invocations). For `DELIVERY_RUNS` dials
//! one after another (30 by default), then as many at once, each by a fresh
//! agent with a recipient of its own: from the dial's answer to Do Not
//! Disturb shown (presence read every 20 ms) and to the e-mail accepted by
//! moto (its outbox read every 20 ms). Markdown on stdout.
//!
//! `source /tmp/ll-env.sh && cargo run -p lifeline-e2e --example delivery_figures`

use lifeline_app::ports::AdminStore;
use lifeline_domain::numbers::Country;
use lifeline_domain::recipient::Recipients;
use lifeline_domain::route::NumberType;
use lifeline_e2e::{agent, percentile, start, try_emails_to, Local};
use serde_json::json;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

/// One dial: answered, then Do Not Disturb and the e-mail, from the answer.
struct Delivery {
    answered: Duration,
    dnd: Option<Duration>,
    email: Option<Duration>,
}

async fn dnd_after(l: &Local, agent: &str, from: Instant) -> Option<Duration> {
    while from.elapsed() < WAIT {
        if l.presence(agent).await["status"] == "do_not_disturb" {
            return Some(from.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

async fn email_after(to: &str, from: Instant) -> Option<Duration> {
    while from.elapsed() < WAIT {
        if try_emails_to(to).await.is_ok_and(|e| !e.is_empty()) {
            return Some(from.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

async fn one(l: &Local, i: usize, tag: &str) -> Delivery {
    let id = format!("d-{i}");
    let to = format!("dl+{tag}-{i}@example.com");
    let body = json!({"callId": format!("dc-{tag}-{i}"), "agentId": id, "dialed": "911", "from": "+14255550100"});
    let started = Instant::now();
    let answer = l.post("/calls/outbound", &body).await;
    assert_eq!(answer.status, 200, "{}", answer.json);
    let answered = started.elapsed();
    let from = Instant::now();
    let (dnd, email) = tokio::join!(dnd_after(l, &id, from), email_after(&to, from));
    Delivery {
        answered,
        dnd,
        email,
    }
}

fn cell(values: Vec<Option<Duration>>) -> String {
    let n = values.len();
    let mut got: Vec<Duration> = values.into_iter().flatten().collect();
    let k = got.len();
    match (
        percentile(&mut got, 0.5),
        percentile(&mut got, 0.95),
        got.last().copied(),
    ) {
        (Some(p50), Some(p95), Some(max)) => format!(
            "{} / {} / {} ({k}/{n})",
            p50.as_millis(),
            p95.as_millis(),
            max.as_millis()
        ),
        _ => format!("— (0/{n})"),
    }
}

fn row(label: &str, runs: &[Delivery]) -> String {
    format!(
        "| {label} | {} | {} | {} |",
        cell(runs.iter().map(|r| Some(r.answered)).collect()),
        cell(runs.iter().map(|r| r.dnd).collect()),
        cell(runs.iter().map(|r| r.email).collect()),
    )
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("DELIVERY_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let l = start(0).await;
    let tag = l.table[4..12].to_string();
    let pool: Vec<_> = (0..2 * n)
        .map(|i| format!("+1206555{i:04}").parse().expect("number"))
        .collect();
    lifeline_e2e::seed_pool(&l.store, &pool).await;
    for i in 0..2 * n {
        let mut a = agent(
            &format!("d-{i}"),
            Country::US,
            NumberType::CallingPlan,
            "+14255550100",
        );
        a.recipients = Recipients::parse(&format!("dl+{tag}-{i}@example.com")).expect("recipients");
        l.store.put_agent(&a).await.expect("agent");
    }
    let mut sequential = Vec::new();
    for i in 0..n {
        sequential.push(one(&l, i, &tag).await);
    }
    let burst = futures::future::join_all((n..2 * n).map(|i| one(&l, i, &tag))).await;
    println!("Dial answered, then Do Not Disturb shown and the e-mail accepted, from the answer (ms, p50 / p95 / max):\n");
    println!("| dials | answer | answer → Do Not Disturb | answer → e-mail |");
    println!("|---|---|---|---|");
    println!("{}", row(&format!("{n} one after another"), &sequential));
    println!("{}", row(&format!("{n} at once"), &burst));
}
