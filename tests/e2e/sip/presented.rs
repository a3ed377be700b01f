//! What the PSAP saw is the record: whenever the proxy presents another
//! caller ID than Lifeline's answer (a failover to the own number, a
//! fail-open, an unknown SIP user), it reports it and Lifeline's record, Do
//! Not Disturb and e-mail follow.

use super::*;
use lifeline_app::ports::EndStore;
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::degraded::DegradedReason;
use lifeline_e2e::sip::Switch;
use lifeline_e2e::{start, start_with};

/// The record of `call_id` (the SIP Call-ID) once `done` holds of it, or
/// whatever there is after 10 s.
async fn record_when(
    l: &Local,
    call_id: &str,
    agent: &str,
    done: impl Fn(&EmergencyCall) -> bool,
) -> Option<EmergencyCall> {
    let id = call_id.parse().expect("a call id Lifeline takes");
    let agent = agent.parse().expect("an agent id");
    let started = std::time::Instant::now();
    loop {
        let call = l.store.end_context(&id, &agent).await.expect("read").0;
        if call.as_ref().is_some_and(&done) || started.elapsed() > Duration::from_secs(10) {
            return call;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_refused_leased_number_leaves_a_record_and_an_email_naming_the_own_number_and_frees_it() {
    let l = start(1).await;
    let inbox = a42_mails_to(&l, "sip-403").await;
    let (proxy, gw) = refused_then_answered(&l, "403").await;
    let invite = gw.received("INVITE").expect("INVITE");
    let call_id = header(&invite, "Call-ID").expect("Call-ID");
    let call = record_when(&l, &call_id, "a-42", |c| {
        c.caller_id.as_str() == "+14255550100"
    })
    .await
    .expect("recorded");
    assert_eq!(
        call.caller_id.as_str(),
        "+14255550100",
        "{}",
        proxy.log_text()
    );
    assert_eq!(
        (call.lease_id, call.reason),
        (None, Some(DegradedReason::PlatformFailOpen))
    );
    // The one pool number is free again: no PSAP ever saw it.
    let pool = lifeline_app::ports::AdminStore::list_pool(&l.store, None, chrono::Utc::now())
        .await
        .expect("pool");
    assert_eq!(pool.len(), 1);
    assert_eq!(pool[0].state, "free", "{pool:?}");
    // The supervisors read the own number: in the e-mail, or in a correction
    // of one that went out with the leased number before the PSAP refused it.
    let emails = emails_until(&inbox, |got| {
        got.last().is_some_and(|e| {
            e.body.contains("+14255550100") && (got.len() == 1 || e.subject.contains("CORRECTION"))
        })
    })
    .await;
    let last = emails.last().expect("an e-mail");
    assert!(last.body.contains("+14255550100"), "{}", last.body);
    match emails.len() {
        1 => {}
        2 => assert!(
            emails[1].subject.contains("CORRECTION"),
            "{}",
            emails[1].subject
        ),
        n => panic!("{n} e-mails"),
    }
    println!("e-mails to the supervisors: {}", emails.len());
}

#[tokio::test]
async fn a_fail_open_while_lifeline_is_down_is_recorded_once_it_is_back() {
    let l = start(2).await;
    let switch = Switch::to(&l.base).await;
    switch.set(false);
    let mut ports = Ports::take();
    let proxy = Proxy::start(&switch.url, SECRET, &ports, 10);
    let (gateway, agent) = dial_9911(&proxy, &mut ports, 4000);
    // The call goes out with the own number at once; Lifeline hears of it
    // when it can.
    let waiting = std::time::Instant::now();
    while !proxy.log_text().contains("/calls/presented") {
        assert!(
            waiting.elapsed() < Duration::from_secs(10),
            "{}",
            proxy.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    switch.set(true);
    l.wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;
    let (gw, ag) = (gateway.finish().await, agent.finish().await);
    assert!(gw.ok && ag.ok, "{ag}\n{gw}\n{}", proxy.log_text());
    let invite = gw.received("INVITE").expect("INVITE");
    let call_id = header(&invite, "Call-ID").expect("Call-ID");
    let call = record_when(&l, &call_id, "a-42", |c| c.ended_at.is_some())
        .await
        .expect("recorded");
    assert_eq!(call.caller_id.as_str(), "+14255550100");
    assert_eq!(call.reason, Some(DegradedReason::PlatformFailOpen));
    assert!(call.ended_at.is_some(), "and ended: {call:?}");
    l.wait_for_status("a-42", "available", Duration::from_secs(10))
        .await;
}

#[tokio::test]
async fn an_unknown_sip_users_9911_goes_out_with_the_site_number_and_alerts_the_fallback_recipients(
) {
    let inbox = format!("sip-fallback+{}@example.com", uuid::Uuid::new_v4().simple());
    let l = start_with(2, &[("LIFELINE_FALLBACK_RECIPIENTS", inbox.as_str())]).await;
    let mut ports = Ports::take();
    let proxy = proxy_for(&l, &ports, 10);
    let gateway = answering(ports.gateway, 300);
    let stranger = Sipp::start(
        "agent-dials",
        ports.take_port(),
        Some(proxy.port),
        &["-s", "9911", "-key", "agent", "temp-99"],
        Duration::from_secs(20),
    );
    let (gw, st) = (gateway.finish().await, stranger.finish().await);
    assert!(gw.ok && st.ok, "{st}\n{gw}\n{}", proxy.log_text());
    let invite = gw.received("INVITE").expect("the gateway got it");
    assert!(invite.starts_with("INVITE sip:911@"), "{invite}");
    assert_eq!(header(&invite, "Priority").as_deref(), Some("emergency"));
    assert!(
        header(&invite, "From").is_some_and(|f| f.contains("+14255550150")),
        "the site's number: {invite}"
    );
    let call_id = header(&invite, "Call-ID").expect("Call-ID");
    let call = record_when(&l, &call_id, "temp-99", |_| true).await;
    let call = call.unwrap_or_else(|| panic!("recorded:\n{}", proxy.log_text()));
    assert_eq!(call.reason, Some(DegradedReason::PlatformFailOpen));
    let emails = emails_until(&inbox, |got| !got.is_empty()).await;
    assert_eq!(emails.len(), 1, "one alert to the fallback recipients");
    assert!(
        emails[0].body.contains("+14255550150"),
        "{}",
        emails[0].body
    );
}
