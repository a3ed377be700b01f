//! The PSAP calls back: the agent, the fallbacks, the last resort, and after
//! the window the contact center's ordinary inbound route.

use super::*;
use lifeline_e2e::start;

#[tokio::test]
async fn the_psap_calls_back_the_agent_then_the_fallback_then_after_the_window_the_inbound_route() {
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
    let leased = leased_in(&from);
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

    // 3. After the callback window (the runner's clock): an ordinary inbound
    // call, to the contact center's ACD; never the outbound trunk.
    l.advance(3 * 60).await;
    let acd = answering(ports.inbound, 300);
    let trunk = Sipp::start(
        "answer-and-hang-up",
        ports.ordinary,
        None,
        &[],
        Duration::from_secs(3),
    );
    let psap = psap_calls(&proxy, &mut ports, &leased).finish().await;
    let routed = acd.finish().await;
    assert!(
        psap.ok && routed.ok,
        "after the window:\n{}\n{}\n{}",
        psap,
        routed,
        proxy.log_text()
    );
    let invite = routed.received("INVITE").expect("the ACD got it");
    assert!(
        invite.starts_with(&format!("INVITE sip:{leased}@")),
        "{invite}"
    );
    let trunk = trunk.finish().await;
    assert!(
        trunk.received("INVITE").is_none(),
        "the outbound trunk got a callback:\n{trunk}"
    );
}

/// Lifeline refuses the proxy (401: a secret it no longer accepts) while the
/// PSAP calls a pool number back: the call goes to the last resort, a person,
/// never to the ACD or the outbound trunk; the last resort rings with its own
/// timer, so answering after 15 s still takes the call. The pool is the
/// admin CLI's export, picked up without a restart.
#[tokio::test]
async fn a_callback_lifeline_refuses_goes_to_the_last_resort_and_waits_for_it() {
    let l = start(2).await;
    let mut ports = Ports::take();
    let proxy = Proxy::start(&l.base, "a-secret-lifeline-does-not-know", &ports, 2);
    let numbers = lifeline_app::ports::AdminStore::list_pool(&l.store, None, chrono::Utc::now())
        .await
        .expect("the pool");
    assert!(!numbers.is_empty(), "the seeded pool");
    let table = lifeline_cli::cmd::pool::export::kamailio_table(&numbers);
    lifeline_cli::cmd::pool::export::write_atomically(&proxy.data.join("pool"), &table)
        .expect("the pool file");
    let said = format!("callback-number pool: {} numbers", numbers.len());
    let waiting = std::time::Instant::now();
    while !proxy.log_text().contains(&said) {
        assert!(
            waiting.elapsed() < Duration::from_secs(10),
            "the proxy never re-read its pool:\n{}",
            proxy.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let last_resort = Sipp::start(
        "ring-then-answer",
        ports.last_resort,
        None,
        &["-d", "15000"],
        Duration::from_secs(40),
    );
    let acd = Sipp::start(
        "answer-and-hang-up",
        ports.inbound,
        None,
        &[],
        Duration::from_secs(20),
    );
    let trunk = Sipp::start(
        "answer-and-hang-up",
        ports.ordinary,
        None,
        &[],
        Duration::from_secs(20),
    );
    // `Priority: normal`, not `psap-callback`: the pool says what the number is.
    let psap = Sipp::start(
        "psap-calls-back",
        ports.take_port(),
        Some(proxy.port),
        &[
            "-s",
            &numbers[0].number,
            "-key",
            "psap",
            "+12065550911",
            "-key",
            "priority",
            "normal",
        ],
        Duration::from_secs(40),
    )
    .finish()
    .await;
    let person = last_resort.finish().await;
    assert!(
        psap.ok && person.ok,
        "the last resort took it:\n{psap}\n{person}\n{}",
        proxy.log_text()
    );
    assert!(
        proxy.log_text().contains("code 401"),
        "{}",
        proxy.log_text()
    );
    let (acd, trunk) = (acd.finish().await, trunk.finish().await);
    assert!(acd.received("INVITE").is_none(), "the ACD got it:\n{acd}");
    assert!(
        trunk.received("INVITE").is_none(),
        "the trunk got it:\n{trunk}"
    );
}
