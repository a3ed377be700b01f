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
    let agent = a42_dials(proxy, ports, &[], Duration::from_secs(20));
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

/// The leased number `from` (a From header) carries; the test fails if none.
pub(crate) fn leased_in(from: &str) -> String {
    lifeline_e2e::US_POOL
        .iter()
        .find(|n| from.contains(*n))
        .unwrap_or_else(|| panic!("a leased number: {from}"))
        .to_string()
}

/// a-42 dials 9 911 through `proxy` with SIPp's extra `args`.
pub(crate) fn a42_dials(
    proxy: &Proxy,
    ports: &mut Ports,
    args: &[&str],
    timeout: Duration,
) -> Sipp {
    let mut all = vec!["-s", "9911", "-key", "agent", "a-42"];
    all.extend_from_slice(args);
    Sipp::start(
        "agent-dials",
        ports.take_port(),
        Some(proxy.port),
        &all,
        timeout,
    )
}

/// a-42 dials 9 911 through a new proxy for `l` whose gateway refuses the
/// first INVITE with `code`, then answers: the proxy and the gateway's view.
pub(crate) async fn refused_then_answered(
    l: &Local,
    code: &str,
) -> (Proxy, lifeline_e2e::sip::SippRun) {
    let mut ports = Ports::take();
    let proxy = proxy_for(l, &ports, 10);
    let refusing = lifeline_e2e::sip::Filled::new("refuse-then-answer", &[("code", code)]);
    let gateway = Sipp::start(
        &refusing.path,
        ports.gateway,
        None,
        &["-d", "300"],
        Duration::from_secs(20),
    );
    let agent = a42_dials(&proxy, &mut ports, &[], Duration::from_secs(20));
    let gw = gateway.finish().await;
    let ag = agent.finish().await;
    assert!(gw.ok && ag.ok, "{ag}\n{gw}\n{}", proxy.log_text());
    (proxy, gw)
}

/// a-42's e-mail goes to an inbox only this test reads (moto is shared):
/// its address.
pub(crate) async fn a42_mails_to(l: &Local, what: &str) -> String {
    let inbox = format!("{what}+{}@example.com", uuid::Uuid::new_v4().simple());
    let mut ana = lifeline_e2e::agent(
        "a-42",
        lifeline_domain::numbers::Country::US,
        lifeline_domain::route::NumberType::CallingPlan,
        "+14255550100",
    );
    ana.recipients = lifeline_domain::recipient::Recipients::parse(&inbox).expect("recipients");
    lifeline_app::ports::AdminStore::put_agent(&l.store, &ana)
        .await
        .expect("profile");
    inbox
}

/// The alert e-mails to `inbox` (and corrections) once `done` holds of them,
/// or what came within 20 s. The follow-up a call's end brings is left out:
/// these tests are about what the supervisors were told while it ran.
pub(crate) async fn emails_until(
    inbox: &str,
    done: impl Fn(&[lifeline_e2e::SentEmail]) -> bool,
) -> Vec<lifeline_e2e::SentEmail> {
    let started = std::time::Instant::now();
    loop {
        let got: Vec<_> = lifeline_e2e::try_emails_to(inbox)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|e| !e.subject.contains(" ended"))
            .collect();
        if done(&got) || started.elapsed() > Duration::from_secs(20) {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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
