//! Tier 1 on every channel: each recipient's own message, in their locale,
//! on their channel; a channel without a sender never stops the others; each
//! outcome on the incident's timeline.

use super::*;
use crate::fakes::{MemoryChat, MemoryIncidents, MemorySms};
use crate::ports::{ErrorCode, SendError};
use lifeline_domain::incident::EntryKind;

const MIXED: &str = "sup@example.com; sms:+4520123456|da; chat:https://hooks.example.com/T1|es";

fn with_recipients(r: &Rig, list: &str) {
    r.store.with_state(|s| {
        if let Some(a) = s.agents.get_mut(&"a-42".parse().unwrap()) {
            a.recipients = Recipients::parse_stored(list).unwrap();
        }
    });
}

struct Channels {
    sms: Arc<MemorySms>,
    chat: Arc<MemoryChat>,
    incidents: Arc<MemoryIncidents>,
}

fn on_every_channel(mut r: Rig) -> (Rig, Channels) {
    let sms = Arc::new(MemorySms::default());
    let chat = Arc::new(MemoryChat::default());
    let incidents = Arc::new(MemoryIncidents::new(r.store.clone()));
    r.service = r
        .service
        .with_channels(Some(sms.clone()), Some(chat.clone()))
        .with_timeline(incidents.clone(), Duration::hours(6));
    (
        r,
        Channels {
            sms,
            chat,
            incidents,
        },
    )
}

fn timeline(c: &Channels) -> Vec<(EntryKind, String, String, Option<String>)> {
    c.incidents.with(|all| {
        all.get(&"c-1".parse().unwrap())
            .map(|i| {
                i.timeline
                    .values()
                    .map(|e| {
                        (
                            e.kind,
                            e.detail.channel.clone().unwrap_or_default(),
                            e.detail.recipient.clone().unwrap_or_default(),
                            e.detail.reason.clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    })
}

#[tokio::test]
async fn each_recipient_gets_their_own_message_on_their_channel_in_their_language() {
    let (r, c) = on_every_channel(rig(""));
    with_recipients(&r, MIXED);
    assert_eq!(r.notify().await.unwrap(), Notified::Sent);
    assert_eq!(r.sent_to(), vec!["sup@example.com"]);
    let sms = c.sms.messages();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].0, "+4520123456");
    assert!(sms[0].1.starts_with("NØDOPKALD"), "Danish: {}", sms[0].1);
    let chat = c.chat.messages();
    assert_eq!(chat.len(), 1);
    assert!(chat[0].0.starts_with("https://hooks.example.com/"));
    assert!(
        chat[0].1.to_lowercase().contains("emergencia"),
        "Spanish: {}",
        chat[0].1
    );
    // One entry per recipient, masked: the number's last digits, the host.
    let mut entries = timeline(&c);
    entries.sort();
    assert_eq!(
        entries,
        vec![
            (
                EntryKind::Alerted,
                "chat".into(),
                "https://hooks.example.com/…".into(),
                None
            ),
            (
                EntryKind::Alerted,
                "email".into(),
                "sup@example.com".into(),
                None
            ),
            (EntryKind::Alerted, "sms".into(), "+******3456".into(), None),
        ]
    );
}

#[tokio::test]
async fn a_failing_channel_never_stops_the_others_and_is_retried_alone() {
    let (r, c) = on_every_channel(rig(""));
    with_recipients(&r, MIXED);
    c.sms
        .fail_next([SendError::Transient(ErrorCode::new("Throttling"))]);
    c.chat
        .fail_next([SendError::Permanent(ErrorCode::new("WebhookGone"))]);
    assert!(r.notify().await.is_err(), "the SMS is pending: retried");
    assert_eq!(r.sent_to(), vec!["sup@example.com"]);
    assert!(c.sms.messages().is_empty());
    // The retry sends the SMS alone: no second e-mail, no second post.
    r.clock.advance(Duration::seconds(61));
    assert_eq!(
        r.notify().await.unwrap(),
        Notified::Partial {
            sent: 2,
            refused: 1
        }
    );
    assert_eq!(r.sent_to(), vec!["sup@example.com"]);
    assert_eq!(c.sms.messages().len(), 1);
    assert_eq!(c.chat.attempted().len(), 1);
    let kinds: Vec<_> = timeline(&c)
        .into_iter()
        .map(|(k, ch, _, why)| (k, ch, why))
        .collect();
    assert!(kinds.contains(&(EntryKind::Failed, "chat".into(), Some("WebhookGone".into()))));
    assert!(kinds.contains(&(EntryKind::Failed, "sms".into(), Some("Throttling".into()))));
    assert!(kinds.contains(&(EntryKind::Alerted, "sms".into(), None)));
}

#[tokio::test]
async fn a_channel_without_a_sender_is_refused_and_the_e_mail_still_goes() {
    let r = rig("");
    with_recipients(&r, "sms:+4520123456; sup@example.com");
    assert_eq!(
        r.notify().await.unwrap(),
        Notified::Partial {
            sent: 1,
            refused: 1
        }
    );
    assert_eq!(r.sent_to(), vec!["sup@example.com"]);
    let Some(NotificationOutcome::Settled(t)) = r.outcome() else {
        panic!("settled")
    };
    assert_eq!(
        t.refused.keys().map(|c| c.as_str()).collect::<Vec<_>>(),
        vec![CHANNEL_NOT_CONFIGURED]
    );
}
