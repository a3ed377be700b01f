//! An alert's acknowledgement link end to end, through the runner against
//! DynamoDB Local: the page changes nothing, a POST acknowledges (the first
//! once), and a tampered, foreign or expired link is refused.

use lifeline_app::ports::AckStore;
use lifeline_domain::ack::{AlertedRecipient, RecipientKey};
use lifeline_domain::recipient::Channel;
use lifeline_domain::types::CallId;
use lifeline_e2e::{dial, start, Local};
use lifeline_edge::webhook::issue_ack_token;
use serde_json::Value;

fn recipient(channel: Channel, address: &str) -> AlertedRecipient {
    AlertedRecipient {
        locale: None,
        key: RecipientKey::of(channel, address),
        channel,
        address: address.into(),
    }
}

fn link(
    l: &Local,
    incident: &str,
    channel: Channel,
    address: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> String {
    let token = issue_ack_token(
        &l.secret,
        &incident.parse().expect("id"),
        &RecipientKey::of(channel, address),
        at,
    );
    format!("{}/ack/{token}", l.base)
}

async fn send(method: reqwest::Method, url: &str, json: bool) -> (u16, String) {
    let mut req = reqwest::Client::new().request(method, url);
    if json {
        req = req.header("accept", "application/json");
    }
    let resp = req.send().await.expect("runner answers");
    (
        resp.status().as_u16(),
        resp.text().await.unwrap_or_default(),
    )
}

#[tokio::test]
async fn an_alert_link_shows_the_incident_and_takes_the_acknowledgement() {
    let l = start(2).await;
    let d = l.post("/calls/outbound", &dial("k-1", "a-42", "911")).await;
    assert_eq!(d.json["action"], "emergency");
    let id: CallId = "k-1".parse().expect("id");
    let keep = l.now() + chrono::Duration::days(1);
    l.store
        .record_alerted(
            &id,
            &[
                recipient(Channel::Email, "desk@example.com"),
                recipient(Channel::Sms, "+14255550111"),
            ],
            keep,
        )
        .await
        .expect("recorded");
    let desk = link(&l, "k-1", Channel::Email, "desk@example.com", l.now());
    let phone = link(&l, "k-1", Channel::Sms, "+14255550111", l.now());

    // The page: the incident and the button; nothing written.
    let (status, html) = send(reqwest::Method::GET, &desk, false).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Acknowledge</button>") && html.contains("911"),
        "{html}"
    );
    let ctx = l.store.ack_context(&id).await.expect("read");
    assert!(ctx.acks.is_empty(), "a look acknowledges nothing");

    // The phone acknowledges first, then the desk; each learns who else did.
    let (status, body) = send(reqwest::Method::POST, &phone, true).await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        (v["first"].as_bool(), v["you"]["channel"].as_str()),
        (Some(true), Some("sms"))
    );
    let (_, body) = send(reqwest::Method::POST, &desk, true).await;
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["first"], false);
    assert_eq!(v["acknowledgements"][0]["by"], "+*******0111");
    let ctx = l.store.ack_context(&id).await.expect("read");
    assert_eq!(ctx.acks.len(), 2);

    // A link for someone not alerted, another incident, a tampered one.
    let stranger = link(&l, "k-1", Channel::Email, "eve@example.com", l.now());
    let other = link(&l, "k-404", Channel::Email, "desk@example.com", l.now());
    let tampered = desk.replacen("/ack/", "/ack/A", 1);
    for (url, want) in [(&stranger, 403), (&other, 404), (&tampered, 404)] {
        let (status, body) = send(reqwest::Method::POST, url, true).await;
        assert_eq!(status, want, "{url}: {body}");
    }
    // A link from yesterday.
    let old = link(
        &l,
        "k-1",
        Channel::Email,
        "desk@example.com",
        l.now() - chrono::Duration::hours(25),
    );
    assert_eq!(send(reqwest::Method::GET, &old, false).await.0, 410);
    assert_eq!(
        l.store.ack_context(&id).await.expect("read").acks.len(),
        2,
        "refusals wrote nothing"
    );
}

/// The loop through the notifier: a dial's e-mail carries the recipient's
/// own link; opening it shows the incident, pressing Acknowledge records
/// the acknowledgement by that recipient, through e-mail.
#[tokio::test]
async fn the_alert_e_mail_carries_a_link_that_acknowledges() {
    use lifeline_app::ports::AdminStore;
    use lifeline_domain::numbers::Country;
    use lifeline_domain::recipient::Recipients;
    use lifeline_domain::route::NumberType;
    let l = start(2).await;
    let tag = &l.table[4..16];
    let to = format!("desk+{tag}@example.com");
    let mut agent =
        lifeline_e2e::agent("a-80", Country::US, NumberType::CallingPlan, "+14255550180");
    agent.recipients = Recipients::parse(&to).expect("recipients");
    l.store.put_agent(&agent).await.expect("agent");
    let body = serde_json::json!({"callId": format!("ka-{tag}"), "agentId": "a-80",
        "dialed": "911", "from": "+14255550180", "location": {"country": "US"}});
    let d = l.post("/calls/outbound", &body).await;
    assert_eq!(d.json["action"], "emergency");
    let started = std::time::Instant::now();
    let email = loop {
        if let Some(e) = lifeline_e2e::emails_to(&to).await.into_iter().next() {
            break e;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "no e-mail"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    // HTML may write `/` as `&#x2f;`.
    let body = email.body.replace("&#x2f;", "/");
    let start_at = body
        .find(&format!("{}/ack/", l.base))
        .expect("a link in the e-mail");
    let link: String = body[start_at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(*c))
        .collect();
    let (status, html) = send(reqwest::Method::GET, &link, false).await;
    assert_eq!(status, 200, "{html}");
    // The incident is open (incident-log took the call's start).
    let id: CallId = format!("ka-{tag}").parse().expect("id");
    while lifeline_app::ports::IncidentStore::incident(&l.store, &id)
        .await
        .expect("read")
        .head
        .is_none()
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "no incident"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (status, json) = send(reqwest::Method::POST, &link, true).await;
    assert_eq!(status, 200, "{json}");
    let v: Value = serde_json::from_str(&json).expect("json");
    assert_eq!(
        (v["first"].as_bool(), v["you"]["channel"].as_str()),
        (Some(true), Some("email"))
    );
    let acks = l.store.ack_context(&id).await.expect("read").acks;
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].by, to);
    // The incident says so: who, through e-mail; its timeline has the entry.
    let incident = lifeline_app::ports::IncidentStore::incident(&l.store, &id)
        .await
        .expect("read");
    let acked = incident
        .head
        .and_then(|h| h.acknowledged)
        .expect("acknowledged");
    assert_eq!(
        (acked.by.as_str(), acked.channel.as_str()),
        (to.as_str(), "email")
    );
}
