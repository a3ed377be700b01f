//! The follow-up at a call's end, through the runner: everyone the alert
//! reached hears how it ended, in their language on their channel; a
//! 4-second call is a possible misdial, a longer one is not.

use lifeline_e2e::{emails_to, sms_to, start, ChatSink};
use serde_json::json;

use crate::channels::{arrival, dial, every_channel};

#[tokio::test]
async fn a_four_second_call_gets_the_possible_misdial_follow_up_on_every_channel() {
    let l = start(2).await;
    let sink = ChatSink::start().await;
    let (email, number) = every_channel(&l, "a-71", &sink).await;
    let call = format!("fu-{}", &l.table[4..16]);
    dial(&l, &call, "911").await;
    arrival("the alert", || async {
        emails_to(&email).await.into_iter().next()
    })
    .await;
    let e = l
        .post("/calls/ended", &json!({"callId": call, "agentId": "a-71"}))
        .await;
    assert!(e.status < 300, "{}", e.json);

    let (mail, _) = arrival("the e-mail follow-up", || async {
        emails_to(&email).await.into_iter().nth(1)
    })
    .await;
    assert!(
        mail.body.to_lowercase().contains("misdial"),
        "{}",
        mail.body
    );
    let (sms, _) = arrival("the SMS follow-up", || async {
        sms_to(&number).await.into_iter().nth(1)
    })
    .await;
    assert!(sms.contains("Posible error al marcar"), "Spanish: {sms}");
    let (chat, _) = arrival("the chat follow-up", || async {
        sink.posts().into_iter().nth(1)
    })
    .await;
    let chat = chat["text"].as_str().unwrap_or_default().to_string();
    assert!(
        chat.to_lowercase().contains("erreur de numérotation"),
        "French: {chat}"
    );
    l.settled().await;
    assert_eq!(emails_to(&email).await.len(), 2, "one follow-up");
}

#[tokio::test]
async fn a_call_over_the_threshold_is_not_a_misdial() {
    let l = start(2).await;
    let sink = ChatSink::start().await;
    let (email, _) = every_channel(&l, "a-71", &sink).await;
    let call = format!("fl-{}", &l.table[4..16]);
    dial(&l, &call, "911").await;
    arrival("the alert", || async {
        emails_to(&email).await.into_iter().next()
    })
    .await;
    l.advance(2).await;
    l.post("/calls/ended", &json!({"callId": call, "agentId": "a-71"}))
        .await;
    let (mail, _) = arrival("the follow-up", || async {
        emails_to(&email).await.into_iter().nth(1)
    })
    .await;
    assert!(
        !mail.body.to_lowercase().contains("misdial"),
        "{}",
        mail.body
    );
    assert!(
        mail.body.contains("2:0"),
        "lasted about two minutes: {}",
        mail.body
    );
}

/// A callback from the emergency service is on the incident's timeline,
/// and the follow-up says it came.
#[tokio::test]
async fn a_callback_is_on_the_timeline_and_in_the_follow_up() {
    use lifeline_app::ports::IncidentStore;
    use lifeline_domain::incident::EntryKind;
    let l = start(2).await;
    let sink = ChatSink::start().await;
    let (email, _) = every_channel(&l, "a-71", &sink).await;
    let call = format!("fc-{}", &l.table[4..16]);
    let r = dial(&l, &call, "911").await;
    let number = r.json["callerId"]
        .as_str()
        .expect("a callback number")
        .to_string();
    arrival("the alert", || async {
        emails_to(&email).await.into_iter().next()
    })
    .await;
    let cb = l
        .post("/calls/inbound", &lifeline_e2e::inbound(&number))
        .await;
    assert_eq!(cb.json["action"], "connect_agent", "{}", cb.json);
    let id = call.parse().expect("id");
    let (entry, _) = arrival("the callback on the timeline", || async {
        l.store
            .incident(&id)
            .await
            .ok()?
            .timeline
            .into_iter()
            .find(|e| e.kind == EntryKind::Callback)
    })
    .await;
    assert!(entry.detail.lease_id.is_some(), "{entry:?}");
    l.advance(1).await;
    l.post("/calls/ended", &json!({"callId": call, "agentId": "a-71"}))
        .await;
    let (mail, _) = arrival("the follow-up", || async {
        emails_to(&email).await.into_iter().nth(1)
    })
    .await;
    assert!(
        mail.body.to_lowercase().contains("called back"),
        "{}",
        mail.body
    );
}
