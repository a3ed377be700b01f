//! Handler tests over the in-memory store: the link's page, the
//! acknowledgement, and every way a link can be wrong.

use super::*;
use lifeline_app::fakes::MemoryStore;
use lifeline_domain::ack::{AlertedRecipient, RecipientKey};
use lifeline_domain::recipient::Channel;
use lifeline_domain::types::CallId;
use lifeline_edge::fixtures::{body_json, t0, World};
use lifeline_edge::webhook::issue_ack_token;

fn alerted(channel: Channel, address: &str) -> AlertedRecipient {
    AlertedRecipient {
        locale: None,
        key: RecipientKey::of(channel, address),
        channel,
        address: address.into(),
    }
}

/// A world with call c-1 whose alerts went to the desk (e-mail) and a phone.
async fn world() -> (World, AckApi<MemoryStore>) {
    let w = World::us(&["+14255550199"]);
    w.dial("c-1", "a-42").await;
    let id: CallId = "c-1".parse().unwrap();
    w.store.with_state(|s| {
        s.alerted.insert(
            id,
            vec![
                alerted(Channel::Email, "desk@example.com"),
                alerted(Channel::Sms, "+14255550111"),
            ],
        )
    });
    let api = AckApi::new(w.store.clone(), w.clock(), w.config.clone());
    (w, api)
}

fn link(w: &World, call: &str, channel: Channel, address: &str) -> String {
    let token = issue_ack_token(
        &w.config.webhook_secret,
        &call.parse().unwrap(),
        &RecipientKey::of(channel, address),
        w.clock.now(),
    );
    format!("/ack/{token}")
}

fn request(method: &str, path: &str, json: bool) -> Request {
    let mut req = Request::new(Body::Empty);
    *req.method_mut() = method.parse().unwrap();
    *req.uri_mut() = path.parse().unwrap();
    if json {
        req.headers_mut()
            .insert("accept", "application/json".parse().unwrap());
    }
    req
}

fn text(resp: &Response<Body>) -> String {
    match resp.body() {
        Body::Text(t) => t.clone(),
        Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        Body::Empty => String::new(),
        _ => String::new(),
    }
}

#[tokio::test]
async fn the_page_changes_nothing_and_post_acknowledges() {
    let (w, api) = world().await;
    let desk = link(&w, "c-1", Channel::Email, "desk@example.com");
    let writes = w.store.writes();
    let page = api.handle(request("GET", &desk, false)).await;
    assert_eq!(page.status(), 200);
    let html = text(&page);
    assert!(
        html.contains("<button type=\"submit\">Acknowledge</button>"),
        "{html}"
    );
    assert!(html.contains("Nobody has acknowledged yet"));
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(w.store.writes(), writes, "a GET writes nothing");

    let phone = link(&w, "c-1", Channel::Sms, "+14255550111");
    let first = api.handle(request("POST", &phone, true)).await;
    assert_eq!(first.status(), 200);
    let v = body_json(&first);
    assert_eq!(
        (v["first"].as_bool(), v["you"]["channel"].as_str()),
        (Some(true), Some("sms"))
    );

    w.clock.advance(chrono::Duration::minutes(1));
    let second = api.handle(request("POST", &desk, true)).await;
    let v = body_json(&second);
    assert_eq!(v["first"], false);
    let others = v["acknowledgements"].as_array().unwrap();
    assert_eq!(others.len(), 1);
    assert_eq!(
        others[0]["by"], "+*******0111",
        "another recipient's number, masked"
    );
    // The page now lists both, masked.
    let html = text(&api.handle(request("GET", &desk, false)).await);
    assert!(
        html.contains("d***@example.com") && !html.contains("desk@example.com"),
        "{html}"
    );
    assert_eq!(
        w.store
            .with_state(|s| s.acks[&"c-1".parse().unwrap()].len()),
        2
    );
}

#[tokio::test]
async fn wrong_links_are_refused_and_write_nothing() {
    let (w, api) = world().await;
    let good = link(&w, "c-1", Channel::Email, "desk@example.com");
    let writes = w.store.writes();
    // Tampered: one character of the token changed.
    let mut tampered = good.clone().into_bytes();
    let at = "/ack/".len() + 3;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    // Another incident's link, for a recipient it did not alert.
    let stranger = link(&w, "c-1", Channel::Email, "eve@example.com");
    let unknown = link(&w, "c-404", Channel::Email, "desk@example.com");
    for (path, status) in [
        (tampered.as_str(), 404),
        ("/ack/", 404),
        ("/ack/not-a-token", 404),
        (stranger.as_str(), 403),
        (unknown.as_str(), 404),
    ] {
        let r = api.handle(request("POST", path, true)).await;
        assert_eq!(r.status(), status, "{path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    // Expired: a day later.
    w.clock.advance(chrono::Duration::hours(24));
    assert_eq!(
        api.handle(request("POST", &good, false)).await.status(),
        410
    );
    assert_eq!(
        api.handle(request("DELETE", &good, false)).await.status(),
        410
    );
    assert_eq!(w.store.writes(), writes, "nothing written");
    let _ = t0();
}

#[tokio::test]
async fn a_store_failure_is_a_503_to_retry() {
    let (w, api) = world().await;
    let desk = link(&w, "c-1", Channel::Email, "desk@example.com");
    w.store.set_failing(true);
    assert_eq!(api.handle(request("POST", &desk, true)).await.status(), 503);
}

#[test]
fn page_text_is_escaped() {
    assert_eq!(
        page::escape("<b>\"a\" & 'b'</b>"),
        "&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt;"
    );
}
