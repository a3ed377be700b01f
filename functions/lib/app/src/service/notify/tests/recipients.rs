//! Whom the e-mail goes to: the agent's own recipients, else the fallback
//! list; items that do not decode or that the store did not give.

use super::*;
use crate::ports::NotifyItem;
use lifeline_domain::notification::NotificationTemplate;

#[tokio::test]
async fn the_agents_own_recipients_come_first() {
    let r = rig(DESK);
    assert_eq!(r.notify().await.unwrap(), Notified::Sent);
    assert_eq!(r.sent_to(), vec!["sup@example.com"]);
    let (_, email) = &r.outbox.messages()[0];
    assert!(!email.text.contains("fallback"), "{}", email.text);
    assert!(r.metrics.values("NotificationFallbacks").is_empty());
}

#[tokio::test]
async fn a_missing_profile_sends_to_the_fallback_list_and_says_so() {
    let r = rig(DESK);
    r.store.with_state(|s| s.agents.clear());
    assert_eq!(
        r.notify().await.unwrap(),
        Notified::SentToFallback(Fallback::NoProfile)
    );
    assert_eq!(r.sent_to(), vec![DESK]);
    let (_, email) = &r.outbox.messages()[0];
    assert!(email.text.contains("fallback recipient"), "{}", email.text);
    assert!(email.html.contains("fallback recipient"));
    assert_eq!(email.subject, "Emergency call to 911 by Agent a-42");
    assert_eq!(r.outcome().map(|o| o.state()), Some("sent"));
    assert_eq!(r.metrics.values("NotificationFallbacks"), vec![1.0]);
    // Recorded: a redelivery sends nothing more.
    assert_eq!(r.notify().await.unwrap(), Notified::AlreadyDone);
    assert_eq!(r.outbox.messages().len(), 1);
}

#[tokio::test]
async fn a_corrupt_profile_reads_as_missing_and_is_counted() {
    let r = rig(DESK);
    r.mark_unreadable(ItemKind::Profile, "a-42");
    assert_eq!(
        r.notify().await.unwrap(),
        Notified::SentToFallback(Fallback::ProfileUnreadable)
    );
    assert_eq!(r.sent_to(), vec![DESK]);
    assert_eq!(r.corrupt_kinds(), vec!["profile"]);
}

#[tokio::test]
async fn a_profile_listing_nobody_sends_to_the_fallback_list() {
    let r = rig(DESK);
    r.store.with_state(|s| {
        for a in s.agents.values_mut() {
            a.recipients = Recipients::default();
        }
    });
    assert_eq!(
        r.notify().await.unwrap(),
        Notified::SentToFallback(Fallback::NoRecipients)
    );
    assert_eq!(r.sent_to(), vec![DESK]);
    // The agent's own details are still in the e-mail.
    assert!(r.outbox.messages()[0].1.subject.ends_with("by Ana"));
}

#[tokio::test]
async fn without_a_fallback_list_nobody_is_recorded_as_before() {
    let r = rig("");
    r.store.with_state(|s| s.agents.clear());
    assert_eq!(r.notify().await.unwrap(), Notified::NoRecipients);
    assert!(r.outbox.messages().is_empty());
    assert_eq!(r.outcome(), Some(NotificationOutcome::NoRecipients));
    let r = rig("");
    r.mark_unreadable(ItemKind::Profile, "a-42");
    assert_eq!(r.notify().await.unwrap(), Notified::NoRecipients);
}

#[tokio::test]
async fn an_unavailable_profile_is_retried_while_the_call_is_young_then_goes_to_the_fallback() {
    let r = rig(DESK);
    r.store
        .with_state(|s| s.notify_unavailable = vec![NotifyItem::Profile]);
    // 5 s and 59 s after the dial: retry, nothing sent or recorded.
    assert!(r.notify().await.is_err());
    r.clock.set(t0() + Duration::seconds(59));
    assert!(r.notify().await.is_err());
    assert!(r.outbox.messages().is_empty());
    assert_eq!(r.outcome(), None);
    // 60 s: no more retries, the fallback list gets it.
    r.clock.set(t0() + Duration::seconds(60));
    assert_eq!(
        r.notify().await.unwrap(),
        Notified::SentToFallback(Fallback::ProfileUnavailable)
    );
    assert_eq!(r.sent_to(), vec![DESK]);
}

#[tokio::test]
async fn a_profile_back_within_the_window_goes_to_the_agents_recipients() {
    let r = rig(DESK);
    r.store
        .with_state(|s| s.notify_unavailable = vec![NotifyItem::Profile]);
    assert!(r.notify().await.is_err());
    r.store.with_state(|s| s.notify_unavailable.clear());
    assert_eq!(r.notify().await.unwrap(), Notified::Sent);
    assert_eq!(r.sent_to(), vec!["sup@example.com"]);
}

#[tokio::test]
async fn an_unavailable_template_is_retried_while_young_then_the_builtin_goes_out() {
    let r = rig(DESK);
    let mut t = NotificationTemplate::builtin();
    t.subject = "Stored: {{ dialed }}".into();
    t.version = 3;
    r.store.with_state(|s| {
        s.template = Some(t);
        s.notify_unavailable = vec![NotifyItem::Template];
    });
    assert!(r.notify().await.is_err());
    r.clock.set(t0() + Duration::seconds(61));
    assert_eq!(r.notify().await.unwrap(), Notified::Sent);
    assert_eq!(r.sent_to(), vec!["sup@example.com"], "the agent's list");
    assert_eq!(
        r.outbox.messages()[0].1.subject,
        "Emergency call to 911 by Ana"
    );
}

#[tokio::test]
async fn a_corrupt_template_reads_as_absent() {
    let r = rig(DESK);
    let mut t = NotificationTemplate::builtin();
    t.subject = "Stored: {{ dialed }}".into();
    r.store.with_state(|s| {
        s.template = Some(t);
        s.template_unreadable = true;
    });
    assert_eq!(r.notify().await.unwrap(), Notified::Sent);
    assert_eq!(
        r.outbox.messages()[0].1.subject,
        "Emergency call to 911 by Ana"
    );
    assert_eq!(r.corrupt_kinds(), vec!["template"]);
}

/// A stored template that would put text unescaped into the e-mail, or
/// work without bound (pushed before the checks): the built-in one goes out.
#[tokio::test]
async fn a_stored_template_that_fails_the_guard_gives_way_to_the_builtin() {
    for html in [
        "<p>{{ agent_name|safe }}</p>",
        "{% autoescape false %}{{ agent_name }}{% endautoescape %}",
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    ] {
        let r = rig(DESK);
        let mut t = NotificationTemplate::builtin();
        t.subject = "Stored: {{ dialed }}".into();
        t.html = html.into();
        t.version = 4;
        r.store.with_state(|s| s.template = Some(t));
        let started = std::time::Instant::now();
        assert_eq!(r.notify().await.unwrap(), Notified::Sent, "{html}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{html}"
        );
        assert_eq!(
            r.outbox.messages()[0].1.subject,
            "Emergency call to 911 by Ana",
            "{html}"
        );
    }
}

#[tokio::test]
async fn a_corrupt_call_record_is_parked_not_retried() {
    let r = rig(DESK);
    r.mark_unreadable(ItemKind::Call, "c-1");
    assert_eq!(r.notify().await.unwrap(), Notified::Parked);
    assert!(r.outbox.messages().is_empty());
    match r.outcome() {
        Some(NotificationOutcome::Failed { reason }) => {
            assert_eq!(reason, CALL_UNREADABLE);
            assert!(!reason.contains('@') && !reason.contains('+'), "{reason}");
        }
        other => panic!("expected a failed outcome, got {other:?}"),
    }
    assert_eq!(r.corrupt_kinds(), vec!["call"]);
    assert_eq!(r.metrics.values("NotificationsFailed"), vec![1.0]);
    // A redelivery finds it recorded: nothing more, not counted again.
    assert_eq!(r.notify().await.unwrap(), Notified::AlreadyDone);
    assert_eq!(r.corrupt_kinds(), vec!["call"]);
}

#[tokio::test]
async fn a_store_that_cannot_give_the_call_is_retried() {
    let r = rig(DESK);
    r.store.set_failing(true);
    assert!(r.notify().await.is_err());
    r.store.set_failing(false);
    r.store
        .with_state(|s| s.notify_unavailable = vec![NotifyItem::Call]);
    r.clock.set(t0() + Duration::minutes(10));
    assert!(
        r.notify().await.is_err(),
        "without the call, nothing to send"
    );
    assert!(r.outbox.messages().is_empty());
}

#[tokio::test]
async fn a_parked_call_whose_record_cannot_be_written_is_retried() {
    let r = rig(DESK);
    r.mark_unreadable(ItemKind::Call, "c-1");
    r.store.fail_next_writes(1);
    assert!(r.notify().await.is_err());
    assert_eq!(r.notify().await.unwrap(), Notified::Parked);
}
