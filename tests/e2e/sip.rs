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
    assert!(
        reg.ok,
        "REGISTER of {agent}:\n{}\n{}",
        reg.screen,
        proxy.log_text()
    );
}

#[tokio::test]
async fn an_agent_dials_9_911_and_the_gateway_gets_the_leased_number_and_the_location() {
    let l = start(3).await;
    let location = json!({"location": {"country": "US",
        "civic": {"NAM": "Contoso HQ", "HNO": "1", "RD": "Main St", "A3": "Redmond", "A1": "WA", "PC": "98052", "FLR": "3"}}});
    let put = l
        .request(Method::PUT, "/agents/a-42/location", Some(&location))
        .await;
    assert_eq!(put.status, 200, "{}", put.json);
    let mut ports = Ports::take();
    let proxy = proxy_for(&l, &ports, 10);
    let gateway = Sipp::start(
        "answer-and-hang-up",
        ports.gateway,
        None,
        &["-d", "1500"],
        Duration::from_secs(20),
    );
    let agent_port = ports.take_port();
    register(&proxy, &mut ports, "a-42", agent_port).await;
    let agent = Sipp::start(
        "agent-dials",
        agent_port,
        Some(proxy.port),
        &["-s", "9911", "-key", "agent", "a-42"],
        Duration::from_secs(20),
    );
    // While the call is up: Do Not Disturb.
    l.wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;
    let gw = gateway.finish().await;
    let ag = agent.finish().await;
    if !ag.ok || !gw.ok {
        println!("agent's messages:\n{}", ag.messages);
    }
    assert!(
        gw.ok,
        "gateway:\n{}\n{}\n{}",
        gw.messages,
        gw.screen,
        proxy.log_text()
    );
    assert!(ag.ok, "agent:\n{}\n{}", ag.messages, ag.screen);
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
