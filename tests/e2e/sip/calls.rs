//! Emergency calls through the proxy: the leased number, the location, an
//! ordinary call beside them, an end Lifeline missed, presence.

use super::*;
use lifeline_e2e::start;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn an_agent_dials_9_911_and_the_gateway_gets_the_leased_number_and_the_location() {
    let l = start(3).await;
    let inbox = a42_mails_to(&l, "sip").await;
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
    let from = header(&invite, "From").expect("From");
    let pai = header(&invite, "P-Asserted-Identity").expect("P-Asserted-Identity");
    let leased = leased_in(&from);
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
    let emails = emails_until(&inbox, |got| !got.is_empty()).await;
    assert_eq!(emails.len(), 1, "one alert to {inbox}");
    assert!(
        emails[0].body.contains(leased.as_str()),
        "{}",
        emails[0].body
    );
    // The gateway hung up: the end reached Lifeline, and presence is back.
    l.wait_for_status("a-42", "available", Duration::from_secs(10))
        .await;
}

#[tokio::test]
async fn with_lifeline_down_or_silent_the_emergency_call_still_reaches_the_gateway_within_its_patience(
) {
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
        let sent = ag.logged_at("INVITE sip:9911", 0).expect("sent");
        let arrived = gw.logged_at("INVITE sip:911", 0).expect("arrived");
        let delay = arrived - sent;
        println!(
            "{url}: agent's INVITE → gateway's INVITE {} ms",
            delay.num_milliseconds()
        );
        // The proxy waits for Lifeline its dial budget (2.5 s) plus 500 ms,
        // in whole seconds: 3 s, then the call goes at once.
        assert!(
            delay < chrono::Duration::milliseconds(3500),
            "{url}: {delay:?}"
        );
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

    // Odd numbers, from an agent (the outbound trunk) and from outside (the
    // ACD): answered, nothing crashes.
    for (scenario, service, key, value, route) in [
        ("agent-dials", "++--", "agent", "a-42", ports.ordinary),
        (
            "agent-dials",
            "99999999999999999999999999999999",
            "agent",
            "a-42",
            ports.ordinary,
        ),
        (
            "psap-calls-back",
            "not-a-number",
            "psap",
            "anonymous",
            ports.inbound,
        ),
        (
            "psap-calls-back",
            "+19995550000",
            "psap",
            "+12065550911",
            ports.inbound,
        ),
    ] {
        let routed = answering(route, 100);
        let call = Sipp::start(
            scenario,
            ports.take_port(),
            Some(proxy.port),
            &[
                "-s", service, "-key", key, value, "-key", "priority", "normal",
            ],
            Duration::from_secs(10),
        )
        .finish()
        .await;
        let routed = routed.finish().await;
        assert!(call.ok, "{service}:\n{}\n{}", call, proxy.log_text());
        assert!(routed.ok, "{service} routed:\n{routed}");
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

/// A Lifeline that refuses every request with a 400 (a proxy speaking an
/// older contract): the emergency call still goes out, and the end is tried
/// a bounded number of times, then dropped and logged, never re-queued for
/// ever (it would fill the outbox and push out ends that can be taken).
#[tokio::test]
async fn an_end_lifeline_refuses_is_tried_five_times_then_dropped() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let ends = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = ends.clone();
    let (url, server) = lifeline_e2e::stub_server::serve(move |req| {
        let counted = counted.clone();
        async move {
            if req.uri().path() == "/calls/ended" {
                counted.fetch_add(1, Ordering::SeqCst);
            }
            Ok(lifeline_e2e::stub_server::json_answer(
                hyper::StatusCode::BAD_REQUEST,
                json!({"type": "invalid-request"}),
            ))
        }
    })
    .await;
    let mut ports = Ports::take();
    let proxy = Proxy::start(&url, SECRET, &ports, 10);
    let (gateway, agent) = dial_9911(&proxy, &mut ports, 200);
    let (gw, ag) = (gateway.finish().await, agent.finish().await);
    assert!(gw.ok && ag.ok, "{ag}\n{gw}\n{}", proxy.log_text());
    let waiting = std::time::Instant::now();
    let dropped = |log: String| {
        log.lines()
            .any(|l| l.contains("/calls/ended of") && l.contains("dropped"))
    };
    while !dropped(proxy.log_text()) {
        assert!(
            waiting.elapsed() < Duration::from_secs(20),
            "never dropped:\n{}",
            proxy.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // One more tick: nothing more is tried.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(ends.load(Ordering::SeqCst), 5, "{}", proxy.log_text());
    server.abort();
}
