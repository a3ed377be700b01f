//! The emergency INVITE survives the carrier: a long ringback, a refused
//! caller ID, a refused location body, a silent gateway, odd Call-IDs and
//! unknown SIP users; and the secret is nobody else's business.

use super::*;
use lifeline_e2e::start;

#[tokio::test]
async fn a_psap_ringing_for_40_s_before_it_answers_keeps_the_call() {
    let l = start(2).await;
    let mut ports = Ports::take();
    let proxy = proxy_for(&l, &ports, 10);
    let gateway = Sipp::start(
        "ring-then-answer",
        ports.gateway,
        None,
        &["-d", "40000"],
        Duration::from_secs(55),
    );
    let agent = a42_dials(&proxy, &mut ports, &[], Duration::from_secs(55));
    let gw = gateway.finish().await;
    let ag = agent.finish().await;
    assert!(gw.ok && ag.ok, "{ag}\n{gw}\n{}", proxy.log_text());
    assert_eq!(gw.invites().len(), 1, "one INVITE, never cancelled:\n{gw}");
    assert!(gw.received("CANCEL").is_none(), "{gw}");
}

#[tokio::test]
async fn a_gateway_refusing_the_leased_number_gets_the_own_number_within_a_second() {
    let l = start(2).await;
    let (_proxy, gw) = refused_then_answered(&l, "403").await;
    let tried = gw.invites();
    assert_eq!(tried.len(), 2, "{gw}");
    let first = header(&tried[0], "From").expect("From");
    let leased = leased_in(&first);
    let second = header(&tried[1], "From").expect("From");
    assert!(second.contains("+14255550100"), "the own number: {second}");
    assert!(!second.contains(&leased), "{second}");
    assert_eq!(header(&tried[1], "Priority").as_deref(), Some("emergency"));
    let refused = gw.logged_at("SIP/2.0 403", 0).expect("sent 403");
    let again = gw.logged_at("INVITE sip:911", 1).expect("second INVITE");
    let delay = again - refused;
    println!(
        "403 → the own number's INVITE: {} ms",
        delay.num_milliseconds()
    );
    assert!(delay < chrono::Duration::seconds(1), "{delay:?}");
}

#[tokio::test]
async fn a_gateway_refusing_the_location_body_gets_the_call_without_it() {
    let l = start(2).await;
    let location = serde_json::json!({"location": {"country": "US",
        "civic": {"HNO": "1", "RD": "Main St", "A3": "Redmond", "A1": "WA"}}});
    let put = l
        .request(
            reqwest::Method::PUT,
            "/agents/a-42/location",
            Some(&location),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.json);
    let (_proxy, gw) = refused_then_answered(&l, "488").await;
    let tried = gw.invites();
    assert_eq!(tried.len(), 2, "{gw}");
    assert!(tried[0].contains("application/pidf+xml"), "{}", tried[0]);
    assert!(!tried[1].contains("application/pidf+xml"), "{}", tried[1]);
    assert!(
        header(&tried[1], "Content-Type").is_some_and(|c| c.starts_with("application/sdp")),
        "{}",
        tried[1]
    );
    // Still the leased number: only the body was refused.
    let first = leased_in(&header(&tried[0], "From").expect("From"));
    assert!(header(&tried[1], "From").is_some_and(|f| f.contains(&first)));
}

#[tokio::test]
async fn a_silent_gateway_hands_the_call_to_the_second() {
    let l = start(2).await;
    let mut ports = Ports::take();
    // The primary takes the INVITE and never says a word.
    let silent = std::net::UdpSocket::bind(("127.0.0.1", ports.gateway)).expect("bind");
    let proxy = Proxy::start_with(
        &l.base,
        SECRET,
        &ports,
        10,
        &[("GATEWAY_SILENCE_MS", "2000")],
    );
    let second = answering(ports.gateway2, 300);
    let agent = a42_dials(&proxy, &mut ports, &[], Duration::from_secs(20));
    let gw2 = second.finish().await;
    let ag = agent.finish().await;
    drop(silent);
    assert!(gw2.ok && ag.ok, "{ag}\n{gw2}\n{}", proxy.log_text());
    let invite = gw2.received("INVITE").expect("the second gateway got it");
    assert!(invite.starts_with("INVITE sip:911@"), "{invite}");
    leased_in(&header(&invite, "From").expect("From"));
    let sent = ag.logged_at("INVITE sip:9911", 0).expect("sent");
    let arrived = gw2.logged_at("INVITE sip:911", 0).expect("arrived");
    let delay = arrived - sent;
    println!(
        "silent primary → the second gateway: {} ms after the dial",
        delay.num_milliseconds()
    );
    assert!(
        delay < chrono::Duration::seconds(3),
        "silence (2 s) + 1 s: {delay:?}"
    );
}

#[tokio::test]
async fn a_call_id_with_a_quote_is_an_emergency_call_like_any_other() {
    let l = start(2).await;
    let mut ports = Ports::take();
    let proxy = proxy_for(&l, &ports, 10);
    let gateway = answering(ports.gateway, 2000);
    let agent = a42_dials(
        &proxy,
        &mut ports,
        &["-cid_str", "o'brien-\"x\"-%u-%p@%s"],
        Duration::from_secs(20),
    );
    // While the call is up: Do Not Disturb, as for any emergency call.
    l.wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;
    let gw = gateway.finish().await;
    let ag = agent.finish().await;
    assert!(gw.ok && ag.ok, "{ag}\n{gw}\n{}", proxy.log_text());
    let invite = gw.received("INVITE").expect("INVITE");
    let call_id = header(&invite, "Call-ID").expect("Call-ID");
    assert!(call_id.starts_with("o'brien-\"x\"-"), "{call_id}");
    leased_in(&header(&invite, "From").expect("From"));
    l.wait_for_status("a-42", "available", Duration::from_secs(10))
        .await;
}

#[tokio::test]
async fn the_secret_is_not_on_any_command_line() {
    let mut ports = Ports::take();
    let secret = format!("never-shown-{}", uuid::Uuid::new_v4().simple());
    let proxy = Proxy::start("http://127.0.0.1:9", &secret, &ports, 10);
    let ps = std::process::Command::new("ps")
        .args(["-eo", "args"])
        .output()
        .expect("ps");
    let listed = String::from_utf8_lossy(&ps.stdout);
    assert!(listed.contains("kamailio"), "ps lists the proxy:\n{listed}");
    assert!(!listed.contains(&secret), "the secret is on a command line");
    use std::os::unix::fs::PermissionsExt;
    let file = std::fs::metadata(proxy.data.join("secret")).expect("the secret's file");
    assert_eq!(
        file.permissions().mode() & 0o077,
        0,
        "only its owner reads it"
    );
    let _ = ports.take_port();
}

/// Every gateway silent: the attempts (the leased number to each gateway)
/// end within 10 s, the agent hears the failure, and Lifeline hears the end
/// (Do Not Disturb lifted).
#[tokio::test]
async fn when_every_gateway_is_silent_the_chain_ends_within_10_s() {
    let l = start(2).await;
    let mut ports = Ports::take();
    let first = std::net::UdpSocket::bind(("127.0.0.1", ports.gateway)).expect("bind");
    let second = std::net::UdpSocket::bind(("127.0.0.1", ports.gateway2)).expect("bind");
    let proxy = proxy_for(&l, &ports, 10);
    let fails = lifeline_e2e::sip::Filled::new("agent-dial-fails", &[("code", "408")]);
    let started = std::time::Instant::now();
    let agent = Sipp::start(
        &fails.path,
        ports.take_port(),
        Some(proxy.port),
        &["-s", "9911", "-key", "agent", "a-42"],
        Duration::from_secs(20),
    )
    .finish()
    .await;
    let took = started.elapsed();
    drop((first, second));
    assert!(agent.ok, "{agent}\n{}", proxy.log_text());
    println!("every gateway silent: the agent heard 408 after {took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(
        proxy.log_text().contains("every attempt failed"),
        "{}",
        proxy.log_text()
    );
    // The end reached Lifeline: presence is back.
    l.wait_for_status("a-42", "available", Duration::from_secs(10))
        .await;
}
