//! One message per recipient, each to one address: progress kept for a
//! retry, refusals recorded by code, never sent twice once settled.

use super::*;
use crate::clock::Clock;
use crate::ports::{Delivery, NotifyProgress, NotifyStore};
use lifeline_domain::notification::recipient_tag;

const A: &str = "ann@example.com";
const B: &str = "bob@example.com";
const C: &str = "cy@example.org";

/// The rig, with the agent listing A, B and C.
fn rig3() -> Rig {
    let r = rig(DESK);
    r.store.with_state(|s| {
        for a in s.agents.values_mut() {
            a.recipients = Recipients::parse(&format!("{A}; {B}; {C}")).unwrap();
        }
    });
    r
}

impl Rig {
    fn progress(&self) -> Option<NotifyProgress> {
        self.store
            .with_state(|s| s.notify_progress.get(&"c-1".parse().unwrap()).cloned())
    }
}

fn tag(to: &str) -> String {
    recipient_tag(&"c-1".parse().unwrap(), &to.parse().unwrap())
}

#[tokio::test]
async fn one_message_per_recipient_each_to_one_address() {
    let r = rig3();
    assert_eq!(r.notify().await.unwrap(), Notified::Sent);
    assert_eq!(r.sent_to(), vec![A, B, C], "three sends, one address each");
    let messages = r.outbox.messages();
    for (to, email) in &messages {
        for other in [A, B, C].into_iter().filter(|o| o != to) {
            for part in [&email.subject, &email.text, &email.html] {
                assert!(!part.contains(other), "{to}'s message names {other}");
            }
        }
    }
    assert_eq!(messages[0].1, messages[2].1, "the same message to each");
    let outcome = r.outcome().unwrap();
    assert_eq!(outcome.state(), "sent");
    assert_eq!(outcome.detail(), "sent 3 of 3");
    assert_eq!(r.progress(), None, "nothing pending: no progress kept");
    assert_eq!(
        r.metrics.values("NotificationsSent"),
        vec![3.0],
        "per message"
    );
    assert_eq!(r.metrics.values("NotificationDelay"), vec![5000.0]);
    assert_eq!(r.notify().await.unwrap(), Notified::AlreadyDone);
    assert_eq!(r.outbox.messages().len(), 3);
}

#[tokio::test]
async fn a_transient_failure_on_the_second_is_retried_to_the_second_only() {
    let r = rig3();
    r.outbox.fail_next_to(B, 1);
    let e = r.notify().await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "notification not sent yet: 1 of 3 recipients not sent yet (TooManyRequestsException)"
    );
    assert_eq!(r.sent_to(), vec![A, C], "the others are not held up");
    assert_eq!(r.outcome(), None, "not settled");
    let progress = r.progress().expect("progress recorded");
    assert_eq!(progress.get(&tag(A)), Some(&Delivery::Sent));
    assert_eq!(progress.get(&tag(C)), Some(&Delivery::Sent));
    assert_eq!(progress.get(&tag(B)), None);
    assert!(
        !format!("{progress:?}").contains('@'),
        "tags, not addresses: {progress:?}"
    );
    // The redelivered record sends to B only.
    r.clock.set(t0() + Duration::seconds(8));
    assert_eq!(r.notify().await.unwrap(), Notified::Sent);
    assert_eq!(r.sent_to(), vec![A, C, B]);
    assert_eq!(r.outbox.attempted(), vec![A, B, C, B]);
    assert_eq!(r.outcome().unwrap().detail(), "sent 3 of 3");
    assert_eq!(r.progress(), None, "dropped once settled");
    assert_eq!(r.metrics.values("NotificationsSent"), vec![2.0, 1.0]);
    assert_eq!(
        r.metrics.values("NotificationDelay"),
        vec![5000.0],
        "once a call, at its first messages"
    );
    assert_eq!(r.notify().await.unwrap(), Notified::AlreadyDone);
    assert_eq!(r.outbox.messages().len(), 3, "never twice");
}

#[tokio::test]
async fn a_permanent_refusal_of_one_does_not_stop_the_others() {
    let r = rig3();
    r.outbox.refuse_to(A, "MessageRejected");
    assert_eq!(
        r.notify().await.unwrap(),
        Notified::Partial {
            sent: 2,
            refused: 1
        }
    );
    assert_eq!(r.sent_to(), vec![B, C]);
    let outcome = r.outcome().unwrap();
    assert_eq!(outcome.state(), "partial");
    let detail = outcome.detail();
    assert_eq!(detail, "sent 2 of 3; refused 1 (1 MessageRejected)");
    assert!(!detail.contains('@'));
    assert_eq!(r.metrics.values("NotificationsFailed"), vec![1.0]);
    assert_eq!(r.metrics.values("NotificationsSent"), vec![2.0]);
    assert_eq!(r.notify().await.unwrap(), Notified::AlreadyDone);
    assert_eq!(r.outbox.attempted().len(), 3, "the refusal is not retried");
}

#[tokio::test]
async fn a_refusal_then_a_retry_sends_neither_the_refused_nor_the_sent_again() {
    let r = rig3();
    r.outbox.refuse_to(A, "MessageRejected");
    r.outbox.fail_next_to(B, 2);
    assert!(r.notify().await.is_err());
    assert!(r.notify().await.is_err(), "B still throttled");
    assert_eq!(r.outbox.attempted(), vec![A, B, C, B]);
    assert_eq!(
        r.notify().await.unwrap(),
        Notified::Partial {
            sent: 2,
            refused: 1
        }
    );
    assert_eq!(r.outbox.attempted(), vec![A, B, C, B, B]);
    assert_eq!(r.sent_to(), vec![C, B]);
    assert_eq!(
        r.outcome().unwrap().detail(),
        "sent 2 of 3; refused 1 (1 MessageRejected)",
        "the refusal of the first attempt is in the outcome"
    );
    assert_eq!(r.metrics.values("NotificationsFailed"), vec![1.0]);
}

#[tokio::test]
async fn every_recipient_refused_is_a_failure_with_codes_only() {
    let r = rig3();
    r.outbox.refuse(true);
    assert_eq!(r.notify().await.unwrap(), Notified::Failed);
    let outcome = r.outcome().unwrap();
    assert_eq!(outcome.state(), "failed");
    assert_eq!(
        outcome.detail(),
        "sent 0 of 3; refused 3 (3 MessageRejected)"
    );
    assert_eq!(r.metrics.values("NotificationsFailed"), vec![3.0]);
    assert!(r.metrics.values("NotificationsSent").is_empty());
}

#[tokio::test]
async fn a_lost_progress_write_means_at_least_once_never_lost() {
    let r = rig3();
    r.outbox.fail_next_to(C, 1);
    r.store.fail_next_progress_writes(1);
    assert!(r.notify().await.is_err());
    assert_eq!(r.progress(), None, "the write failed");
    // Its claim lapses (the progress write would have released it).
    r.clock.advance(Duration::seconds(61));
    assert_eq!(r.notify().await.unwrap(), Notified::Sent);
    // A and B again (the progress was lost), C at last: nobody missed.
    assert_eq!(r.sent_to(), vec![A, B, A, B, C]);
}

#[tokio::test]
async fn the_email_states_the_configured_window_from_the_end_of_the_call() {
    let r = rig3();
    let service = NotifyService::new(
        r.store.clone(),
        r.outbox.clone(),
        Arc::new(r.clock.clone()),
        "lifeline@example.com".parse().unwrap(),
    )
    .with_window(Duration::minutes(90));
    service
        .on_call_started(&"c-1".parse().unwrap(), &"a-42".parse().unwrap())
        .await
        .unwrap();
    let (_, email) = &r.outbox.messages()[0];
    for part in [&email.text, &email.html] {
        assert!(
            part.contains("valid until 90 minutes after the call ends"),
            "{part}"
        );
        // The lease's end at the dial (t0 + 60 min) is not stated.
        let dial_plus_60 = (t0() + Duration::minutes(60)).format("%H:%M").to_string();
        assert!(!part.contains(&dial_plus_60), "{part}");
    }
}

#[tokio::test]
async fn a_fallback_list_gets_one_message_per_address_too() {
    let r = rig(&format!("{DESK}; night-desk@example.com"));
    r.store.with_state(|s| s.agents.clear());
    assert_eq!(
        r.notify().await.unwrap(),
        Notified::SentToFallback(Fallback::NoProfile)
    );
    assert_eq!(r.sent_to(), vec![DESK, "night-desk@example.com"]);
    assert_eq!(
        r.metrics.values("NotificationFallbacks"),
        vec![1.0],
        "once a call"
    );
}

/// Two deliveries of one `call.started` at the same moment both read "not
/// sent yet": the one that claims the sending sends; the other, finding
/// the claim, sends nothing and is retried (then finds the outcome). A
/// claim whose delivery died lapses after a minute.
#[tokio::test]
async fn while_another_delivery_holds_the_sending_nothing_is_sent() {
    let r = rig("");
    let call: lifeline_domain::types::CallId = "c-1".parse().unwrap();
    let now = r.clock.now();
    let held = r
        .store
        .claim_sending(&call, now, now + Duration::seconds(60))
        .await
        .unwrap();
    assert!(held, "the other delivery's claim");
    assert!(r.notify().await.is_err(), "retried later");
    assert!(r.sent_to().is_empty(), "nothing sent twice");
    // The other delivery died: its claim lapses, the retry sends once.
    r.clock.advance(Duration::seconds(61));
    assert!(r.notify().await.is_ok());
    assert_eq!(r.sent_to(), vec!["sup@example.com"]);
    assert!(matches!(r.notify().await, Ok(Notified::AlreadyDone)));
    assert_eq!(r.sent_to(), vec!["sup@example.com"]);
}

/// An attempt that left someone pending lets go of its claim with the
/// progress: its retry is not locked out by it.
#[tokio::test]
async fn a_partial_attempt_releases_its_claim() {
    let r = rig("");
    r.outbox.fail_next(1);
    assert!(r.notify().await.is_err(), "SES refused: retried");
    assert!(r.notify().await.is_ok(), "the retry claims again and sends");
    assert_eq!(r.sent_to(), vec!["sup@example.com"]);
}
