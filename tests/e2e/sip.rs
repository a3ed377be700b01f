//! Real calls: Kamailio with Lifeline's reference configuration in front of
//! the local system, SIPp as the agents, the emergency gateway, the ordinary
//! route, the last resort and the PSAP, all on 127.0.0.1.

use lifeline_e2e::sip::{Ports, Proxy, Sipp};
use lifeline_e2e::{start, Local};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

const SECRET: &str = "local-secret";

fn proxy_for(l: &Local, ports: &Ports, ring_seconds: u32) -> Proxy {
    Proxy::start(&l.base, SECRET, ports, ring_seconds)
}

/// `agent` registers its contact (a SIPp UAS already listening on `contact`).
async fn register(proxy: &Proxy, ports: &mut Ports, agent: &str, contact: u16) {
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
fn answering(port: u16, hold_ms: u32) -> Sipp {
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
fn dial_9911(proxy: &Proxy, ports: &mut Ports, hold_ms: u32) -> (Sipp, Sipp) {
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

#[tokio::test]
async fn an_agent_dials_9_911_and_the_gateway_gets_the_leased_number_and_the_location() {
    let l = start(3).await;
    // a-42's e-mail goes to an inbox only this test reads (moto is shared).
    let inbox = format!("sip+{}@example.com", &l.table[4..16]);
    let mut ana = lifeline_e2e::agent(
        "a-42",
        lifeline_domain::numbers::Country::US,
        lifeline_domain::route::NumberType::CallingPlan,
        "+14255550100",
    );
    ana.recipients = lifeline_domain::types::Recipients::parse(&inbox).expect("recipients");
    lifeline_app::ports::AdminStore::put_agent(&l.store, &ana)
        .await
        .expect("profile");
    let location = json!({"location": {"country": "US",
        "civic": {"NAM": "Contoso HQ", "HNO": "1", "RD": "Main St", "A3": "Redmond", "A1": "WA", "PC": "98052", "FLR": "3"}}});
    let put = l
        .request(Method::PUT, "/agents/a-42/location", Some(&location))
        .await;
    assert_eq!(put.status, 200, "{}", put.json);
    let mut ports = Ports::take();
    let proxy = proxy_for(&l, &ports, 10);
    let a42_port = ports.take_port();
    register(&proxy, &mut ports, "a-42", a42_port).await;
    let (gateway, agent) = dial_9911(&proxy, &mut ports, 1500);
    // While the call is up: Do Not Disturb.
    l.wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;
    let gw = gateway.finish().await;
    let ag = agent.finish().await;
    assert!(gw.ok && ag.ok, "{ag}\n{gw}\n{}", proxy.log_text());
    let invite = gw.received("INVITE").expect("the gateway got an INVITE");
    println!("{invite}");
    assert!(
        invite.starts_with("INVITE sip:911@"),
        "placed as 911:\n{invite}"
    );
    let pool: Vec<String> = lifeline_e2e::US_POOL
        .iter()
        .map(|n| n.to_string())
        .collect();
    let from = header(&invite, "From").expect("From");
    let pai = header(&invite, "P-Asserted-Identity").expect("P-Asserted-Identity");
    let leased = pool
        .iter()
        .find(|n| from.contains(n.as_str()))
        .unwrap_or_else(|| panic!("From is a leased number: {from}"));
    assert!(pai.contains(leased.as_str()), "{pai}");
    assert!(
        !invite.contains("+14255550100"),
        "the agent's own number is not presented"
    );
    assert_eq!(header(&invite, "Priority").as_deref(), Some("emergency"));
    let geolocation = header(&invite, "Geolocation").expect("Geolocation");
    assert_eq!(
        header(&invite, "Geolocation-Routing").as_deref(),
        Some("yes")
    );
    let cid = geolocation
        .trim_start_matches("<cid:")
        .trim_end_matches('>')
        .to_string();
    assert!(
        header(&invite, "Content-Type").is_some_and(|c| c.starts_with("multipart/mixed")),
        "{invite}"
    );
    assert!(invite.contains("application/sdp"));
    assert!(invite.contains("application/pidf+xml"));
    assert!(invite.contains(&format!("Content-ID: <{cid}>")), "{invite}");
    assert!(invite.contains("<ca:A3>Redmond</ca:A3>"), "{invite}");
    assert!(invite.contains("<ca:NAM>Contoso HQ</ca:NAM>"), "{invite}");
    // The supervisors' e-mail names the number the PSAP will call back.
    let started = std::time::Instant::now();
    let emails = loop {
        let got = lifeline_e2e::try_emails_to(&inbox)
            .await
            .unwrap_or_default();
        if !got.is_empty() || started.elapsed() > Duration::from_secs(15) {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(emails.len(), 1, "one e-mail to {inbox}");
    assert!(
        emails[0].body.contains(leased.as_str()),
        "{}",
        emails[0].body
    );
    // The gateway hung up: the end reached Lifeline, and presence is back.
    l.wait_for_status("a-42", "available", Duration::from_secs(10))
        .await;
}

/// The value of the first `name:` header of a SIP message.
fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next().unwrap_or(message);
    head.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

/// The time SIPp logged a message at (`2026-11-30 06:08:35.695556`).
fn logged_at(messages: &str, needle: &str) -> Option<chrono::NaiveDateTime> {
    messages
        .split("----------------------------------------------- ")
        .find(|m| m.contains(needle))
        .and_then(|m| m.lines().next())
        .and_then(|t| chrono::NaiveDateTime::parse_from_str(t.trim(), "%Y-%m-%d %H:%M:%S%.f").ok())
}

/// An emergency call from a-42 through `proxy`, answered by the gateway and
/// hung up by it after `hold_ms`; the gateway's view of it.
async fn emergency_call(
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
fn psap_calls(proxy: &Proxy, ports: &mut Ports, number: &str) -> Sipp {
    Sipp::start(
        "psap-calls-back",
        ports.take_port(),
        Some(proxy.port),
        &["-s", number, "-key", "psap", "+12065550911"],
        Duration::from_secs(30),
    )
}

#[tokio::test]
async fn the_psap_calls_back_the_agent_then_the_fallback_then_after_the_window_the_ordinary_route()
{
    let l = start(3).await;
    // a-42's fallback is a-43.
    let mut ana = lifeline_e2e::agent(
        "a-42",
        lifeline_domain::numbers::Country::US,
        lifeline_domain::route::NumberType::CallingPlan,
        "+14255550100",
    );
    ana.fallback = vec!["a-43".into()];
    lifeline_app::ports::AdminStore::put_agent(&l.store, &ana)
        .await
        .expect("profile");
    let mut ports = Ports::take();
    let proxy = proxy_for(&l, &ports, 2);
    let gw = emergency_call(&proxy, &mut ports, 300).await;
    let invite = gw.received("INVITE").expect("INVITE");
    let from = header(&invite, "From").expect("From");
    let leased = lifeline_e2e::US_POOL
        .iter()
        .find(|n| from.contains(*n))
        .unwrap_or_else(|| panic!("a leased number: {from}"))
        .to_string();
    l.wait_for_status("a-42", "available", Duration::from_secs(10))
        .await;

    // 1. The PSAP calls back: a-42's device rings, with top priority.
    let a42_port = ports.take_port();
    let a42 = answering(a42_port, 300);
    register(&proxy, &mut ports, "a-42", a42_port).await;
    let psap = psap_calls(&proxy, &mut ports, &leased).finish().await;
    let got = a42.finish().await;
    assert!(
        psap.ok && got.ok,
        "callback to a-42:\n{}\n{}\n{}",
        psap,
        got,
        proxy.log_text()
    );
    let callback = got.received("INVITE").expect("a-42 got the callback");
    assert_eq!(header(&callback, "Priority").as_deref(), Some("emergency"));

    // 2. a-42 does not answer (2 s ring time): a-43, the fallback, does.
    let a42_port = ports.take_port();
    let a42 = Sipp::start(
        "ring-no-answer",
        a42_port,
        None,
        &[],
        Duration::from_secs(20),
    );
    register(&proxy, &mut ports, "a-42", a42_port).await;
    let a43_port = ports.take_port();
    let a43 = answering(a43_port, 300);
    register(&proxy, &mut ports, "a-43", a43_port).await;
    let psap = psap_calls(&proxy, &mut ports, &leased).finish().await;
    let rang = a42.finish().await;
    let took = a43.finish().await;
    assert!(
        psap.ok,
        "callback to the fallback:\n{}\n{}",
        psap,
        proxy.log_text()
    );
    assert!(
        rang.received("INVITE").is_some() && rang.received("CANCEL").is_some(),
        "a-42 rang first:\n{}",
        rang
    );
    assert!(
        took.ok && took.received("INVITE").is_some(),
        "a-43 took it:\n{}",
        took
    );

    // 3. After the callback window (the runner's clock): an ordinary call.
    l.advance(3 * 60).await;
    let ordinary = answering(ports.ordinary, 300);
    let psap = psap_calls(&proxy, &mut ports, &leased).finish().await;
    let routed = ordinary.finish().await;
    assert!(
        psap.ok && routed.ok,
        "after the window:\n{}\n{}\n{}",
        psap,
        routed,
        proxy.log_text()
    );
    let invite = routed
        .received("INVITE")
        .expect("the ordinary route got it");
    assert!(
        invite.starts_with(&format!("INVITE sip:{leased}@")),
        "{invite}"
    );
}

#[tokio::test]
async fn with_lifeline_down_or_silent_the_emergency_call_still_reaches_the_gateway_within_3_s() {
    // Down: nothing listens. Silent: it accepts and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let silent_url = format!("http://{}", silent.local_addr().expect("addr"));
    let _holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = silent.accept().await {
            held.push(conn);
        }
    });
    for url in ["http://127.0.0.1:9".to_string(), silent_url] {
        let mut ports = Ports::take();
        let proxy = Proxy::start(&url, SECRET, &ports, 10);
        let (gateway, agent) = dial_9911(&proxy, &mut ports, 300);
        let gw = gateway.finish().await;
        let ag = agent.finish().await;
        assert!(
            gw.ok && ag.ok,
            "{url}:\n{}\n{}\n{}",
            gw,
            ag,
            proxy.log_text()
        );
        let invite = gw.received("INVITE").expect("INVITE");
        assert!(invite.starts_with("INVITE sip:911@"), "{invite}");
        let from = header(&invite, "From").expect("From");
        assert!(
            from.contains("+14255550100"),
            "the agent's own number: {from}"
        );
        assert_eq!(header(&invite, "Priority").as_deref(), Some("emergency"));
        let sent = logged_at(&ag.messages, "INVITE sip:9911").expect("sent");
        let arrived = logged_at(&gw.messages, "INVITE sip:911").expect("arrived");
        let delay = arrived - sent;
        println!(
            "{url}: agent's INVITE → gateway's INVITE {} ms",
            delay.num_milliseconds()
        );
        assert!(delay < chrono::Duration::seconds(3), "{url}: {delay:?}");
    }
}

#[tokio::test]
async fn an_ordinary_call_goes_the_ordinary_route_and_odd_invites_break_nothing() {
    let l = start(2).await;
    let mut ports = Ports::take();
    let proxy = proxy_for(&l, &ports, 10);
    let ordinary = answering(ports.ordinary, 300);
    let agent = Sipp::start(
        "agent-dials",
        ports.take_port(),
        Some(proxy.port),
        &["-s", "4255550123", "-key", "agent", "a-42"],
        Duration::from_secs(20),
    );
    let routed = ordinary.finish().await;
    let ag = agent.finish().await;
    assert!(
        routed.ok && ag.ok,
        "{}\n{}\n{}",
        routed,
        ag,
        proxy.log_text()
    );
    let invite = routed.received("INVITE").expect("INVITE");
    assert!(header(&invite, "Priority").is_none(), "{invite}");
    assert!(header(&invite, "Geolocation").is_none(), "{invite}");
    assert!(
        header(&invite, "From").is_some_and(|f| f.contains("a-42")),
        "{invite}"
    );
    assert_eq!(l.presence("a-42").await["status"], "available");

    // Odd numbers, from an agent and from outside: answered, nothing crashes.
    for (scenario, service, key, value) in [
        ("agent-dials", "++--", "agent", "a-42"),
        (
            "agent-dials",
            "99999999999999999999999999999999",
            "agent",
            "a-42",
        ),
        ("psap-calls-back", "not-a-number", "psap", "anonymous"),
        ("psap-calls-back", "+19995550000", "psap", "+12065550911"),
    ] {
        let ordinary = answering(ports.ordinary, 100);
        let call = Sipp::start(
            scenario,
            ports.take_port(),
            Some(proxy.port),
            &["-s", service, "-key", key, value],
            Duration::from_secs(10),
        )
        .finish()
        .await;
        let _ = ordinary.finish().await;
        assert!(call.ok, "{service}:\n{}\n{}", call, proxy.log_text());
    }
    // Kamailio and Lifeline are both still up.
    let again = Sipp::start(
        "register",
        ports.take_port(),
        Some(proxy.port),
        &["-key", "agent", "a-43", "-key", "contact_port", "9"],
        Duration::from_secs(5),
    )
    .finish()
    .await;
    assert!(again.ok);
    assert_eq!(l.get("/_local/health").await.status, 200);
}

/// The gateway hangs up while Lifeline cannot be reached: Kamailio keeps the
/// end and retries it; once Lifeline is back, presence is restored.
#[tokio::test]
async fn an_end_lifeline_missed_is_retried_until_it_is_taken() {
    let l = start(2).await;
    let switch = lifeline_e2e::sip::Switch::to(&l.base).await;
    let mut ports = Ports::take();
    let proxy = Proxy::start(&switch.url, SECRET, &ports, 10);
    let (gateway, agent) = dial_9911(&proxy, &mut ports, 2000);
    l.wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;
    // Lifeline becomes unreachable before the gateway hangs up.
    switch.set(false);
    let gw = gateway.finish().await;
    let ag = agent.finish().await;
    assert!(gw.ok && ag.ok, "{}\n{}\n{}", gw, ag, proxy.log_text());
    // Kamailio has tried the end and queued it for a retry.
    let waiting = std::time::Instant::now();
    while !proxy.log_text().contains("queued") {
        assert!(
            waiting.elapsed() < Duration::from_secs(10),
            "the end was never queued: {}",
            proxy.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        l.presence("a-42").await["status"],
        "do_not_disturb",
        "the end has not reached Lifeline"
    );
    assert!(proxy.log_text().contains("queued"), "{}", proxy.log_text());
    switch.set(true);
    l.wait_for_status("a-42", "available", Duration::from_secs(10))
        .await;
    assert!(
        proxy.log_text().contains("delivered on retry"),
        "{}",
        proxy.log_text()
    );
}

/// An ordinary call to an agent in Lifeline's Do Not Disturb (an emergency
/// call in progress) is not offered to them; once the call is over, it is.
#[tokio::test]
async fn an_ordinary_call_to_an_agent_in_an_emergency_is_not_offered() {
    let l = start(2).await;
    let mut ports = Ports::take();
    let proxy = proxy_for(&l, &ports, 10);
    let a42_port = ports.take_port();
    register(&proxy, &mut ports, "a-42", a42_port).await;
    let (gateway, agent) = dial_9911(&proxy, &mut ports, 3000);
    l.wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;
    let refused = Sipp::start(
        "call-refused-busy",
        ports.take_port(),
        Some(proxy.port),
        &["-s", "a-42"],
        Duration::from_secs(10),
    )
    .finish()
    .await;
    assert!(
        refused.ok,
        "refused while in an emergency:\n{}\n{}",
        refused,
        proxy.log_text()
    );
    let (gw, ag) = (gateway.finish().await, agent.finish().await);
    assert!(gw.ok && ag.ok);
    l.wait_for_status("a-42", "available", Duration::from_secs(10))
        .await;
    // Available again: the call reaches the agent's device.
    let device = answering(a42_port, 200);
    let call = psap_calls(&proxy, &mut ports, "a-42").finish().await;
    let got = device.finish().await;
    assert!(call.ok && got.ok, "{}\n{}\n{}", call, got, proxy.log_text());
    assert!(got.received("INVITE").is_some());
}
