//! Escalation end to end, through the runner against moto's Scheduler, SES
//! and SNS and a local chat sink: with nobody acknowledging, moving the
//! runner's clock past the tier's delay alerts tier 2 once (and schedules
//! tier 3); an acknowledgement before the delay means tier 2 is never
//! alerted; a drill schedules no step at all.

use std::time::Duration;

use lifeline_app::ports::{EscalationStore, IncidentStore};
use lifeline_domain::escalation::EscalationPolicy;
use lifeline_domain::incident::EntryKind;
use lifeline_domain::recipient::Recipients;
use lifeline_e2e::{emails_to, sms_to, start, ChatSink, Local};

use crate::channels::{arrival, dial, every_channel, fresh_number};

/// Tier 2 after 5 minutes: an e-mail and an SMS; tier 3 after 15: chat.
async fn tiers(l: &Local, sink: &ChatSink) -> (String, String) {
    let tag = &l.table[4..16];
    let duty = format!("duty+{tag}@example.com");
    let phone = fresh_number();
    let mut policy = EscalationPolicy::default();
    policy
        .set_tier(
            2,
            chrono::Duration::minutes(5),
            Recipients::parse(&format!("{duty}; sms:{phone}")).expect("tier 2"),
        )
        .expect("tier 2");
    policy
        .set_tier(
            3,
            chrono::Duration::minutes(15),
            Recipients::parse_stored(&format!("chat:{}", sink.url("/hooks/ciso"))).expect("tier 3"),
        )
        .expect("tier 3");
    l.store
        .put_escalation_policy(&policy)
        .await
        .expect("policy");
    (duty, phone)
}

fn escalation_schedules(
    s: &std::collections::BTreeMap<String, chrono::DateTime<chrono::Utc>>,
) -> Vec<String> {
    s.keys()
        .filter(|k| k.starts_with("esc-"))
        .cloned()
        .collect()
}

#[tokio::test]
async fn nobody_acknowledging_alerts_tier_two_once_past_its_delay() {
    let l = start(2).await;
    let sink = ChatSink::start().await;
    let (own, _) = every_channel(&l, "a-71", &sink).await;
    let (duty, phone) = tiers(&l, &sink).await;
    let call = format!("es-{}", &l.table[4..16]);
    dial(&l, &call, "911").await;
    arrival("tier 1", || async {
        emails_to(&own).await.into_iter().next()
    })
    .await;
    let s = l
        .wait_for_schedules("the tier 2 step", |s| escalation_schedules(s).len() == 1)
        .await;
    let step = escalation_schedules(&s).remove(0);
    assert!(step.ends_with("-t2-r0"), "{step}");
    assert!(s[&step] - l.now() <= chrono::Duration::minutes(6));

    // Before the delay nothing fires; past it tier 2 is alerted.
    l.advance(3).await;
    l.settled().await;
    assert!(emails_to(&duty).await.is_empty(), "not before its delay");
    l.advance(3).await;
    let (mail, _) = arrival("tier 2's e-mail", || async {
        emails_to(&duty).await.into_iter().next()
    })
    .await;
    assert!(mail.subject.starts_with("ESCALATED"), "{}", mail.subject);
    let (sms, _) = arrival("tier 2's SMS", || async {
        sms_to(&phone).await.into_iter().next()
    })
    .await;
    assert!(sms.contains("/ack/"), "{sms}");
    // Tier 3 is scheduled next; tier 2 never alerted twice.
    l.wait_for_schedules("the tier 3 step", |s| {
        escalation_schedules(s)
            .iter()
            .any(|n| n.ends_with("-t3-r0"))
    })
    .await;
    l.settled().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(emails_to(&duty).await.len(), 1, "tier 2 once");
    assert_eq!(sms_to(&phone).await.len(), 1, "tier 2 once");

    // The incident shows the escalation (and its events follow the head).
    let record = l
        .store
        .incident(&call.parse().expect("id"))
        .await
        .expect("incident");
    assert!(
        record
            .timeline
            .iter()
            .any(|e| e.kind == EntryKind::Escalated),
        "{:?}",
        record.timeline
    );
    assert!(record.head.and_then(|h| h.escalated_at).is_some());

    // Tier 2 acknowledges from the phone: tier 3 is never alerted.
    crate::channels::acknowledge_through(&sms).await;
    let before = sink.posts().len();
    l.advance(10).await;
    l.settled().await;
    assert_eq!(
        sink.posts().len(),
        before,
        "no tier 3 after the acknowledgement"
    );
}

#[tokio::test]
async fn an_acknowledgement_before_the_delay_means_tier_two_is_never_alerted() {
    let l = start(2).await;
    let sink = ChatSink::start().await;
    let (_, number) = every_channel(&l, "a-71", &sink).await;
    let (duty, phone) = tiers(&l, &sink).await;
    let call = format!("ea-{}", &l.table[4..16]);
    dial(&l, &call, "911").await;
    let (sms, _) = arrival("tier 1's SMS", || async {
        sms_to(&number).await.into_iter().next()
    })
    .await;
    crate::channels::acknowledge_through(&sms).await;
    l.wait_for_schedules("the tier 2 step", |s| escalation_schedules(s).len() == 1)
        .await;
    l.advance(20).await;
    l.settled().await;
    assert!(emails_to(&duty).await.is_empty(), "tier 2 never alerted");
    assert!(sms_to(&phone).await.is_empty(), "tier 2 never alerted");
    assert!(
        escalation_schedules(&l.schedule_times().await).is_empty(),
        "the step fired, did nothing, and scheduled nothing more"
    );
}

#[tokio::test]
async fn a_drill_alerts_the_drill_list_and_never_escalates() {
    let l = start(2).await;
    let sink = ChatSink::start().await;
    let (own, _) = every_channel(&l, "a-71", &sink).await;
    let (duty, _) = tiers(&l, &sink).await;
    let call = format!("ed-{}", &l.table[4..16]);
    dial(&l, &call, "933").await;
    let (mail, _) = arrival("the drill's e-mail", || async {
        emails_to(&own).await.into_iter().next()
    })
    .await;
    assert!(mail.subject.starts_with("[TEST]"), "{}", mail.subject);
    l.settled().await;
    l.advance(30).await;
    l.settled().await;
    assert!(escalation_schedules(&l.schedule_times().await).is_empty());
    assert!(emails_to(&duty).await.is_empty(), "a drill never escalates");
}
