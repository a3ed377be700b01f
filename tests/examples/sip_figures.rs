//! The post-dial delay Lifeline adds to a call through Kamailio: for each
//! case, `SIP_CALLS` calls (100 by default, `SIP_RATE` a second, 2 by
//! default: each call is over before the next) from a SIPp agent,
//! timed from the agent's INVITE leaving to the far end's INVITE arriving
//! (both SIPp message logs, paired by Call-ID), p50 and p99, in one run:
//! an emergency call with Lifeline asked, the same with the proxy alone
//! (`SIP_NO_LIFELINE=1`: Kamailio's own fail-open path, the agent's own
//! number), and an ordinary call with Lifeline asked.
//!
//! All calls of those cases are a-42's, so an emergency call after the
//! first extends a-42's live lease. Then the floor: `SIP_FLOOR_RATE` (10)
//! emergency calls a second from `SIP_FLOOR_AGENTS` (20) agents of
//! `infra/sip/agents.cfg` (a-200 …), each with a lease of its own, and how
//! many went out degraded (the agent's own number in From). Then each
//! failover's delay (`SIP_FAILOVERS` calls each, 10 by default): from the
//! gateway's refusal (or the start of its silence) to the next INVITE.
//!
//! `source <(infra/local/emulators.sh start --detach | grep ^export) && cargo run -p lifeline-e2e --example sip_figures | grep '^|'`
//! (`SIP_CASES=floor` for one table).

use lifeline_e2e::sip::{Filled, Ports, Proxy, Sipp};
use lifeline_e2e::{percentile, start};
use std::collections::HashMap;
use std::time::Duration;

/// Call-ID → when the message with `first_line_prefix` was sent or received.
fn times(
    messages: &str,
    direction: &str,
    first_line_prefix: &str,
) -> HashMap<String, chrono::NaiveDateTime> {
    let mut out = HashMap::new();
    for block in messages.split("----------------------------------------------- ") {
        let mut lines = block.lines();
        let Some(at) = lines.next().and_then(|t| {
            chrono::NaiveDateTime::parse_from_str(t.trim(), "%Y-%m-%d %H:%M:%S%.f").ok()
        }) else {
            continue;
        };
        if !lines.next().is_some_and(|l| l.contains(direction)) {
            continue;
        }
        let rest: Vec<&str> = lines.map(str::trim).filter(|l| !l.is_empty()).collect();
        if !rest
            .first()
            .is_some_and(|l| l.starts_with(first_line_prefix))
        {
            continue;
        }
        if let Some(id) = rest
            .iter()
            .find_map(|l| l.strip_prefix("Call-ID:").map(|v| v.trim().to_string()))
        {
            out.entry(id).or_insert(at);
        }
    }
    out
}

async fn case(
    label: &str,
    dialed: &str,
    to_ordinary: bool,
    no_lifeline: bool,
    calls: u32,
    rate: u32,
) {
    let l = start(3).await;
    let ports = &mut Ports::take();
    let env: &[(&str, &str)] = if no_lifeline {
        &[("SIP_NO_LIFELINE", "1")]
    } else {
        &[]
    };
    let proxy = Proxy::start_with(&l.base, "local-secret", ports, 10, env);
    let far_port = if to_ordinary {
        ports.ordinary
    } else {
        ports.gateway
    };
    let far = Sipp::start_calls(
        "answer-and-hang-up",
        far_port,
        None,
        calls,
        &["-d", "200"],
        Duration::from_secs(300),
    );
    let agent = Sipp::start_calls(
        "agent-dials",
        ports.take_port(),
        Some(proxy.port),
        calls,
        &[
            "-s",
            dialed,
            "-key",
            "agent",
            "a-42",
            "-r",
            &rate.to_string(),
        ],
        Duration::from_secs(300),
    );
    let ag = agent.finish().await;
    let fr = far.finish().await;
    let sent = times(&ag.messages, "message sent", "INVITE ");
    let arrived = times(&fr.messages, "message received", "INVITE ");
    let mut delays = paired(&sent, &arrived);
    let (n, p50, p99) = summary(&mut delays);
    println!(
        "| {label} | {n} of {calls} | {:.1} | {:.1} |",
        p50.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0
    );
    if !(ag.ok && fr.ok) {
        eprintln!(
            "{label}: a SIPp side reported failed calls:\n{}\n{}",
            ag.screen, fr.screen
        );
    }
}

/// Each call's delay: from its INVITE `sent` to its INVITE `arrived`.
fn paired(
    sent: &HashMap<String, chrono::NaiveDateTime>,
    arrived: &HashMap<String, chrono::NaiveDateTime>,
) -> Vec<Duration> {
    sent.iter()
        .filter_map(|(id, s)| {
            arrived
                .get(id)
                .map(|a| (*a - *s).to_std().unwrap_or_default())
        })
        .collect()
}

/// How many, the median and the 99th percentile.
fn summary(delays: &mut [Duration]) -> (usize, Duration, Duration) {
    let p50 = percentile(delays, 0.5).unwrap_or_default();
    let p99 = percentile(delays, 0.99).unwrap_or_default();
    (delays.len(), p50, p99)
}

/// Every received INVITE's From, by Call-ID.
fn froms(messages: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for block in messages.split("----------------------------------------------- ") {
        if !block.contains("message received") || !block.contains("\nINVITE ") {
            continue;
        }
        let header = |name: &str| {
            block
                .lines()
                .find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim().to_string()))
        };
        if let (Some(id), Some(from)) = (header("Call-ID:"), header("From:")) {
            out.entry(id).or_insert(from);
        }
    }
    out
}

/// `rate` emergency calls a second from `agents` floor agents (a-200 …),
/// `per_agent` calls each.
async fn floor(agents: u32, rate: u32, per_agent: u32) {
    let l = start(5).await;
    let extra: Vec<lifeline_domain::types::E164> = (170..190)
        .map(|n| format!("+14255550{n}").parse().expect("a number"))
        .collect();
    lifeline_e2e::seed_pool(&l.store, &extra).await;
    for i in 0..agents {
        let profile = lifeline_e2e::agent(
            &format!("a-2{i:02}"),
            lifeline_domain::numbers::Country::US,
            lifeline_domain::route::NumberType::CallingPlan,
            &format!("+142555502{i:02}"),
        );
        lifeline_app::ports::AdminStore::put_agent(&l.store, &profile)
            .await
            .expect("profile");
    }
    let ports = &mut Ports::take();
    let proxy = Proxy::start(&l.base, "local-secret", ports, 10);
    let total = agents * per_agent;
    let far = Sipp::start_calls(
        "answer-and-hang-up",
        ports.gateway,
        None,
        total,
        &["-d", "200"],
        Duration::from_secs(300),
    );
    // Each agent one call every `agents / rate` seconds: `rate` a second in all.
    let period_ms = (1000 * agents / rate).to_string();
    let callers: Vec<Sipp> = (0..agents)
        .map(|i| {
            let agent = format!("a-2{i:02}");
            Sipp::start_calls(
                "agent-dials",
                ports.take_port(),
                Some(proxy.port),
                per_agent,
                &[
                    "-s", "9911", "-key", "agent", &agent, "-r", "1", "-rp", &period_ms,
                ],
                Duration::from_secs(300),
            )
        })
        .collect();
    let mut sent = HashMap::new();
    let mut failed = 0;
    for c in callers {
        let run = c.finish().await;
        if !run.ok && failed == 0 {
            eprintln!(
                "floor: the first caller with failed calls ({:?}):\n{}\n{}",
                run.code, run.errors, run.screen
            );
        }
        failed += usize::from(!run.ok);
        sent.extend(times(&run.messages, "message sent", "INVITE "));
    }
    let fr = far.finish().await;
    let arrived = times(&fr.messages, "message received", "INVITE ");
    let mut delays = paired(&sent, &arrived);
    let from = froms(&fr.messages);
    let degraded = from.values().filter(|f| f.contains("+142555502")).count();
    let (n, p50, p99) = summary(&mut delays);
    println!(
        "| emergency `9 911`, {agents} agents, {rate}/s | {n} of {total} | {:.1} | {:.1} | {degraded} |",
        p50.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0
    );
    if failed > 0 || !fr.ok {
        eprintln!(
            "floor: {failed} callers reported failed calls:\n{}",
            fr.screen
        );
    }
}

/// `calls` emergency calls, one at a time, through a gateway that refuses
/// with `code` then answers (or, for `None`, a silent primary and an
/// answering second gateway): the delay from the refusal (the first INVITE,
/// when silent) to the next INVITE.
async fn failover(label: &str, code: Option<&str>, calls: u32) {
    let l = start(5).await;
    let ports = &mut Ports::take();
    let proxy = Proxy::start(&l.base, "local-secret", ports, 10);
    let mut delays = Vec::new();
    for _ in 0..calls {
        let (first_port, next_port) = match code {
            Some(_) => (ports.gateway, ports.gateway),
            None => (ports.gateway, ports.gateway2),
        };
        let filled = code.map(|c| Filled::new("refuse-then-answer", &[("code", c)]));
        let next = match &filled {
            Some(f) => Sipp::start(
                &f.path,
                next_port,
                None,
                &["-d", "100"],
                Duration::from_secs(20),
            ),
            None => Sipp::start(
                "answer-and-hang-up",
                next_port,
                None,
                &["-d", "100"],
                Duration::from_secs(20),
            ),
        };
        let silent = code
            .is_none()
            .then(|| std::net::UdpSocket::bind(("127.0.0.1", first_port)).expect("bind"));
        let agent = Sipp::start(
            "agent-dials",
            ports.take_port(),
            Some(proxy.port),
            &["-s", "9911", "-key", "agent", "a-42"],
            Duration::from_secs(20),
        );
        let (ag, nx) = (agent.finish().await, next.finish().await);
        drop(silent);
        let delay = match code {
            Some(c) => nx
                .logged_at(&format!("SIP/2.0 {c}"), 0)
                .zip(nx.logged_at("INVITE sip:911", 1))
                .map(|(refused, again)| again - refused),
            // Silent: from the agent's INVITE, less the proxy's own work.
            None => ag
                .logged_at("INVITE sip:9911", 0)
                .zip(nx.logged_at("INVITE sip:911", 0))
                .map(|(dialed, again)| again - dialed),
        };
        if let Some(d) = delay.and_then(|d| d.to_std().ok()) {
            delays.push(d);
        }
    }
    let (n, p50, p99) = summary(&mut delays);
    println!(
        "| {label} | {n} of {calls} | {:.1} | {:.1} |",
        p50.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0
    );
}

#[tokio::main]
async fn main() {
    let var = |name: &str, default: u32| -> u32 {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (calls, rate) = (var("SIP_CALLS", 100), var("SIP_RATE", 2));
    println!("| call ({calls} at {rate}/s) | timed | p50 ms | p99 ms |");
    println!("|---|---|---|---|");
    let cases = [
        ("emergency `9 911`, Lifeline asked", "9911", false, false),
        ("emergency `9 911`, the proxy alone", "9911", false, true),
        (
            "ordinary `4255550123`, Lifeline asked",
            "4255550123",
            true,
            false,
        ),
    ];
    // `SIP_CASES`: which tables (`calls,floor,failover`, all by default).
    let only = std::env::var("SIP_CASES").unwrap_or_else(|_| "calls,floor,failover".into());
    let wanted = |name: &str| only.split(',').any(|c| c.trim() == name);
    for (label, dialed, to_ordinary, no_lifeline) in cases {
        if wanted("calls") {
            case(label, dialed, to_ordinary, no_lifeline, calls, rate).await;
        }
    }
    let (agents, floor_rate) = (var("SIP_FLOOR_AGENTS", 20), var("SIP_FLOOR_RATE", 10));
    if wanted("floor") {
        println!();
        println!("| floor | timed | p50 ms | p99 ms | degraded |");
        println!("|---|---|---|---|---|");
        floor(agents, floor_rate, var("SIP_FLOOR_CALLS", 10)).await;
    }
    if !wanted("failover") {
        return;
    }
    let n = var("SIP_FAILOVERS", 10);
    println!();
    println!("| failover | timed | p50 ms | p99 ms |");
    println!("|---|---|---|---|");
    failover(
        "403 → the agent's own number (refusal → next INVITE)",
        Some("403"),
        n,
    )
    .await;
    failover(
        "488 → without the PIDF-LO body (refusal → next INVITE)",
        Some("488"),
        n,
    )
    .await;
    failover(
        "a silent primary → the second gateway (dial → its INVITE; 3 s silence)",
        None,
        n,
    )
    .await;
}
