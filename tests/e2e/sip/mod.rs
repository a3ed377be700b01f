//! Real calls: Kamailio with Lifeline's reference configuration in front of
//! the local system, SIPp as the agents, the emergency gateway, the ordinary
//! route, the last resort and the PSAP, all on 127.0.0.1.

mod callbacks;
mod calls;
mod failover;
mod presented;

use lifeline_e2e::sip::{Ports, Proxy, Sipp};
use lifeline_e2e::Local;
use std::time::Duration;

const SECRET: &str = "local-secret";

pub(crate) fn proxy_for(l: &Local, ports: &Ports, ring_seconds: u32) -> Proxy {
    Proxy::start(&l.base, SECRET, ports, ring_seconds)
}

/// `agent` registers its contact (a SIPp UAS already listening on `contact`).
pub(crate) async fn register(proxy: &Proxy, ports: &mut Ports, agent: &str, contact: u16) {
    let port = ports.take_port();
    let reg = Sipp::start(
        "register",
        port,
        Some(proxy.port),
        &[
            "-key",
            "agent",
            agent,
            "-key",
            "contact_port",
            &contact.to_string(),
        ],
        Duration::from_secs(5),
    )
    .finish()
    .await;
    assert!(reg.ok, "REGISTER of {agent}:\n{reg}\n{}", proxy.log_text());
}

/// A UAS on `port` that answers one call and hangs up after `hold_ms`.
pub(crate) fn answering(port: u16, hold_ms: u32) -> Sipp {
    Sipp::start(
        "answer-and-hang-up",
        port,
        None,
        &["-d", &hold_ms.to_string()],
        Duration::from_secs(20),
    )
}

/// The emergency gateway (answering, hanging up after `hold_ms`) and a-42
/// dialing `9 911` through `proxy`, both started.
pub(crate) fn dial_9911(proxy: &Proxy, ports: &mut Ports, hold_ms: u32) -> (Sipp, Sipp) {
    let gateway = answering(ports.gateway, hold_ms);
    let agent = Sipp::start(
        "agent-dials",
        ports.take_port(),
        Some(proxy.port),
        &["-s", "9911", "-key", "agent", "a-42"],
        Duration::from_secs(20),
    );
    (gateway, agent)
}

/// The value of the first `name:` header of a SIP message.
pub(crate) fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next().unwrap_or(message);
    head.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

/// The time SIPp logged a message at (`2026-11-30 06:08:35.695556`).
pub(crate) fn logged_at(messages: &str, needle: &str) -> Option<chrono::NaiveDateTime> {
    messages
        .split("----------------------------------------------- ")
        .find(|m| m.contains(needle))
        .and_then(|m| m.lines().next())
        .and_then(|t| chrono::NaiveDateTime::parse_from_str(t.trim(), "%Y-%m-%d %H:%M:%S%.f").ok())
}

/// An emergency call from a-42 through `proxy`, answered by the gateway and
/// hung up by it after `hold_ms`; the gateway's view of it.
pub(crate) async fn emergency_call(
    proxy: &Proxy,
    ports: &mut Ports,
    hold_ms: u32,
) -> lifeline_e2e::sip::SippRun {
    let (gateway, agent) = dial_9911(proxy, ports, hold_ms);
    let gw = gateway.finish().await;
    let ag = agent.finish().await;
    assert!(
        gw.ok && ag.ok,
        "emergency call:\n{}\n{}\n{}",
        gw,
        ag,
        proxy.log_text()
    );
    gw
}

/// The PSAP calls `number` back through `proxy`.
pub(crate) fn psap_calls(proxy: &Proxy, ports: &mut Ports, number: &str) -> Sipp {
    Sipp::start(
        "psap-calls-back",
        ports.take_port(),
        Some(proxy.port),
        &[
            "-s",
            number,
            "-key",
            "psap",
            "+12065550911",
            "-key",
            "priority",
            "psap-callback",
        ],
        Duration::from_secs(30),
    )
}
