//! The follow-up at a call's end: to everyone the alerts reached, once, in
//! their language; a call shorter than the threshold is a possible misdial.

use super::*;
use crate::fakes::{MemoryIncidents, MemoryScheduler, MemorySms};
use crate::ports::IncidentStore;
use crate::service::notify::{Escalating, FollowedUp};
use lifeline_domain::incident::{Entry, EntryKind};

fn with_follow_up(mut r: Rig) -> (Rig, Arc<MemorySms>, Arc<MemoryIncidents>) {
    let sms = Arc::new(MemorySms::default());
    let incidents = Arc::new(MemoryIncidents::new(r.store.clone()));
    r.service = r
        .service
        .with_channels(Some(sms.clone()), None)
        .with_timeline(incidents.clone(), Duration::hours(6))
        .with_escalation(Escalating {
            steps: r.store.clone(),
            schedules: Arc::new(MemoryScheduler::default()),
            acks: r.store.clone(),
        });
    (r, sms, incidents)
}

fn end_after(r: &Rig, seconds: i64) {
    r.store.with_state(|s| {
        if let Some(c) = s.calls.get_mut(&"c-1".parse().unwrap()) {
            c.ended_at = Some(t0() + Duration::seconds(seconds));
        }
    });
}

async fn ended(r: &Rig) -> FollowedUp {
    r.service
        .on_call_ended(&"c-1".parse().unwrap(), &"a-42".parse().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_four_second_call_is_followed_up_as_a_possible_misdial_once() {
    let (r, sms, _) = with_follow_up(rig(""));
    r.store.with_state(|s| {
        if let Some(a) = s.agents.get_mut(&"a-42".parse().unwrap()) {
            a.recipients = Recipients::parse("sup@example.com; sms:+34612345678|es").unwrap();
        }
    });
    r.notify().await.unwrap();
    end_after(&r, 4);
    assert_eq!(
        ended(&r).await,
        FollowedUp::Sent {
            sent: 2,
            refused: 0
        }
    );
    let mails = r.outbox.messages();
    let follow_up = &mails.last().unwrap().1;
    assert!(
        follow_up.text.to_lowercase().contains("misdial"),
        "{}",
        follow_up.text
    );
    let texts = sms.messages();
    assert_eq!(texts.len(), 2, "the alert and the follow-up");
    assert!(
        texts[1].1.contains("Posible error al marcar"),
        "{}",
        texts[1].1
    );
    // The end delivered again: nothing more.
    assert_eq!(ended(&r).await, FollowedUp::AlreadyDone);
    assert_eq!(r.outbox.messages().len(), 2);
}

#[tokio::test]
async fn a_long_call_is_no_misdial_and_says_whether_the_callback_came() {
    let (r, _, incidents) = with_follow_up(rig(""));
    r.notify().await.unwrap();
    incidents
        .append_entry(
            &"c-1".parse().unwrap(),
            &Entry::new(t0() + Duration::seconds(30), EntryKind::Callback, "cb"),
            t0() + Duration::hours(6),
        )
        .await
        .unwrap();
    end_after(&r, 95);
    assert_eq!(
        ended(&r).await,
        FollowedUp::Sent {
            sent: 1,
            refused: 0
        }
    );
    let text = r.outbox.messages().last().unwrap().1.text.clone();
    assert!(!text.to_lowercase().contains("misdial"), "{text}");
    assert!(text.contains("1:35"), "the duration: {text}");
    assert!(text.to_lowercase().contains("called back"), "{text}");
}

#[tokio::test]
async fn a_call_not_ended_on_its_record_has_no_follow_up() {
    let (r, _, _) = with_follow_up(rig(""));
    r.notify().await.unwrap();
    assert_eq!(ended(&r).await, FollowedUp::NoCall);
}

/// The follow-up needs the steps kept, not escalation: a notifier without
/// schedules still follows up, once; one keeping no steps says so.
#[tokio::test]
async fn the_follow_up_goes_out_once_without_escalation() {
    use crate::service::notify::StepKeeping;
    let plain = rig("");
    let mut r = rig("");
    r.service = r.service.with_steps(StepKeeping {
        steps: r.store.clone(),
        acks: r.store.clone(),
    });
    r.notify().await.unwrap();
    end_after(&r, 120);
    assert_eq!(
        ended(&r).await,
        FollowedUp::Sent {
            sent: 1,
            refused: 0
        }
    );
    assert_eq!(ended(&r).await, FollowedUp::AlreadyDone);
    assert_eq!(r.outbox.messages().len(), 2, "the alert and one follow-up");
    plain.notify().await.unwrap();
    end_after(&plain, 120);
    assert_eq!(ended(&plain).await, FollowedUp::NotConfigured);
}
