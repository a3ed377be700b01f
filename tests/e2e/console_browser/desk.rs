//! The security desk: signs in, sees a dial on the board by itself,
//! acknowledges it by keyboard, opens the incident; and may change no
//! configuration, whatever the page or the API is asked.

use std::time::{Duration, Instant};

use fantoccini::{key::Key, Locator};
use lifeline_app::ports::{IncidentStore, TemplateStore};
use lifeline_domain::locale::Locale;

use super::{ConsoleRig, DESK};
use crate::channels::{dial, every_channel};

#[tokio::test]
async fn the_desk_sees_a_dial_on_the_board_within_2_s_and_acknowledges_it() {
    let r = ConsoleRig::start().await;
    let sink = lifeline_e2e::ChatSink::start().await;
    every_channel(&r.l, "a-71", &sink).await;

    // Not signed in: the board's page sends the browser to sign in.
    r.goto("/console/").await;
    r.wait_for("the sign-in page", "h1", "Sign in").await;
    r.shot("sign-in.png").await;
    r.sign_in(DESK).await;

    // A dial: on the board by itself (refreshed every second).
    let call = format!("cw-{}", &r.l.table[4..16]);
    let answered = Instant::now();
    let dialed =
        r.l.post(
            "/calls/outbound",
            &serde_json::json!({"callId": call, "agentId": "a-71", "dialed": "911",
                "from": "+14255550170", "location": {"country": "US",
                "civic": {"HNO": "1", "RD": "Main", "STS": "St", "A3": "Redmond", "A1": "WA",
                    "PC": "98052", "FLR": "3", "ROOM": "301"},
                "lat": 47.6740, "lon": -122.1215}}),
        )
        .await;
    assert_eq!(dialed.json["action"], "emergency", "{}", dialed.json);
    r.wait_for("the dial on the board", "#view", "Agent a-71")
        .await;
    let shown = answered.elapsed();
    println!(
        "board: dial answered -> on the board in {} ms (refreshed every second)",
        shown.as_millis()
    );
    assert!(shown < Duration::from_millis(3500), "{shown:?}");
    r.shot("board.png").await;

    // By keyboard to the Acknowledge button, and Enter.
    let c = r.c();
    let body = c.find(Locator::Css("body")).await.expect("body");
    body.send_keys(&Key::Tab.to_string()).await.expect("Tab");
    let mut reached = None;
    for _ in 0..40 {
        let focused = c.active_element().await.expect("focus");
        if focused.text().await.unwrap_or_default() == "Acknowledge" {
            reached = Some(focused);
            break;
        }
        focused.send_keys(&Key::Tab.to_string()).await.expect("Tab");
    }
    let button = reached.expect("the Acknowledge button is reachable by keyboard");
    button
        .send_keys(&Key::Enter.to_string())
        .await
        .expect("Enter");
    r.wait_for("the acknowledgement on the board", "#view", "by desk")
        .await;
    r.wait_for("the outcome", "#outcome", "Acknowledged").await;
    let head =
        r.l.store
            .incident(&call.parse().expect("id"))
            .await
            .expect("incident")
            .head
            .expect("opened");
    let ack = head.acknowledged.expect("acknowledged");
    assert_eq!((ack.by.as_str(), ack.channel.as_str()), ("desk", "console"));

    // The incident's page: its timeline and the summary for the PSAP.
    r.click(&format!("a[href='/console/incidents/{call}']"))
        .await;
    r.wait_for("the incident's page", "#view", "For the PSAP")
        .await;
    r.wait_for("its timeline", "#view", "alerted").await;
    let summary = c
        .find(Locator::Css("#psap-summary"))
        .await
        .expect("the summary")
        .prop("value")
        .await
        .expect("its text")
        .unwrap_or_default();
    assert!(summary.contains("Callback number: +1"), "{summary}");
    assert!(summary.contains("agent a-71"), "{summary}");
    assert!(
        summary.contains("1 Main St") && summary.contains("Room 301"),
        "{summary}"
    );
    r.wait_for("the PIDF-LO", "#view pre", "urn:ietf:params:xml:ns:pidf")
        .await;
    c.execute(
        "document.getElementById('psap-heading').scrollIntoView()",
        vec![],
    )
    .await
    .expect("scrolled");
    r.shot("incident.png").await;

    // On a phone: one column, nothing wider than the screen.
    c.set_window_size(390, 844).await.expect("a phone's width");
    r.goto("/console/").await;
    r.wait_for("the board on a phone", "#view", "Agent a-71")
        .await;
    let fits = c
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(fits, serde_json::Value::Bool(true), "no sideways scrolling");
    r.shot("phone-board.png").await;
    r.close().await;
}

#[tokio::test]
async fn the_desk_is_refused_a_template_change_and_sees_no_configuration() {
    let r = ConsoleRig::start().await;
    r.sign_in(DESK).await;
    // The admins' pages are not in the desk's navigation.
    let admin_links = r
        .c()
        .find_all(Locator::Css("nav li[data-needs=admin]"))
        .await
        .unwrap();
    for link in admin_links {
        assert!(!link.is_displayed().await.unwrap(), "hidden from the desk");
    }
    // Opened anyway: refused, and the page says why.
    r.goto("/console/template").await;
    r.wait_for("the refusal", "#outcome", "may not see the configuration")
        .await;
    r.shot("desk-refused.png").await;
    // And the API itself refuses the desk's token a save.
    let status = r
        .post_from_the_page(
            "/console/api/template/save",
            "locale=en&version=0&alert.subject=Pwned",
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        r.l.store.current_family(Locale::En).await.expect("read"),
        None,
        "nothing saved"
    );
    r.close().await;
}

/// Figures: from a dial's answer to the desk's board showing it, over 10
/// dials in a row (the board refreshes every second; the incident opens
/// from the table's stream first). Printed; the bound asserted is far above
/// what it measures here, a sanity check only.
#[tokio::test]
async fn figures_dial_to_board() {
    use lifeline_e2e::percentile;
    let r = ConsoleRig::start().await;
    let sink = lifeline_e2e::ChatSink::start().await;
    every_channel(&r.l, "a-71", &sink).await;
    r.sign_in(DESK).await;
    let mut took = Vec::new();
    for i in 0..10 {
        let call = format!("cf{i}-{}", &r.l.table[4..16]);
        let answered = Instant::now();
        dial(&r.l, &call, "911").await;
        let link = format!("a[href='/console/incidents/{call}']");
        r.wait_for("the dial", &link, "Agent a-71").await;
        took.push(answered.elapsed());
    }
    let p50 = percentile(&mut took, 0.5).unwrap_or_default();
    let p99 = percentile(&mut took, 0.99).unwrap_or_default();
    println!(
        "board: dial answered -> on the desk's board, 10 dials: p50 {} ms, p99 {} ms (refresh every 1 s)",
        p50.as_millis(),
        p99.as_millis()
    );
    assert!(p99 < Duration::from_secs(4), "{took:?}");
    r.close().await;
}
