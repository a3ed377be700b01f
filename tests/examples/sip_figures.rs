//! The post-dial delay Lifeline adds to a call through Kamailio: for each
//! case, `SIP_CALLS` calls (100 by default, `SIP_RATE` a second, 2 by
//! default: each call is over before the next) from a SIPp agent,
//! timed from the agent's INVITE leaving to the far end's INVITE arriving
//! (both SIPp message logs, paired by Call-ID), p50 and p99, in one run:
//! an emergency call with Lifeline asked, the same with the proxy alone
//! (`SIP_NO_LIFELINE=1`: Kamailio's own fail-open path, the agent's own
//! number), and an ordinary call with Lifeline asked.
//!
//! All calls are a-42's (the proxy's agents table holds the demo's four), so
//! an emergency call after the first extends a-42's live lease.
//!
//! `source <(infra/local/emulators.sh start --detach | grep ^export) && cargo run -p lifeline-e2e --example sip_figures | grep '^|'`

use lifeline_e2e::sip::{Ports, Proxy, Sipp};
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
    let mut delays: Vec<Duration> = sent
        .iter()
        .filter_map(|(id, s)| {
            arrived
                .get(id)
                .map(|a| (*a - *s).to_std().unwrap_or_default())
        })
        .collect();
    let n = delays.len();
    let p50 = percentile(&mut delays, 0.5).unwrap_or_default();
    let p99 = percentile(&mut delays, 0.99).unwrap_or_default();
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
    for (label, dialed, to_ordinary, no_lifeline) in cases {
        case(label, dialed, to_ordinary, no_lifeline, calls, rate).await;
    }
}
