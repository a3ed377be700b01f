//! The follow-up at a call's end, through the runner: everyone the alert
//! reached hears how it ended, in their language on their channel; a
//! 4-second call is a possible misdial, a longer one is not.

use lifeline_e2e::{emails_to, sms_to, start, ChatSink};
use serde_json::json;

use crate::channels::{arrival, every_channel};

#[tokio::test]
async fn a_four_second_call_gets_the_possible_misdial_follow_up_on_every_channel() {
    let l = start(2).await;
    let sink = ChatSink::start().await;
    let (email, number) = every_channel(&l, "a-71", &sink).await;
    let call = format!("fu-{}", &l.table[4..16]);
    let r = l
        .post(
            "/calls/outbound",
            &json!({"callId": call, "agentId": "a-71", "dialed": "911",
                "from": "+14255550170", "location": {"country": "US"}}),
        )
        .await;
    assert_eq!(r.json["action"], "emergency");
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
    l.post(
        "/calls/outbound",
        &json!({"callId": call, "agentId": "a-71", "dialed": "911",
            "from": "+14255550170", "location": {"country": "US"}}),
    )
    .await;
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
