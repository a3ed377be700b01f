//! Escalation against the in-memory store: tier 1 schedules the first step;
//! a firing with nobody acknowledged alerts the tier once however often it
//! fires, and schedules the next; an acknowledgement, a drill or a call long
//! over stop it.

use super::*;
use crate::fakes::{MemoryIncidents, MemoryScheduler};
use crate::ports::{AckStore, EscalationStore};
use crate::service::notify::{Escalated, Escalating};
use lifeline_domain::ack::{Acknowledgement, RecipientKey};
use lifeline_domain::escalation::{EscalationFiring, EscalationPolicy, Stop};
use lifeline_domain::expiry::ScheduleInput;
use lifeline_domain::incident::EntryKind;
use lifeline_domain::recipient::Channel;

struct Esc {
    r: Rig,
    schedules: Arc<MemoryScheduler>,
    incidents: Arc<MemoryIncidents>,
}

async fn with_tiers() -> Esc {
    let mut r = rig("");
    let schedules = Arc::new(MemoryScheduler::default());
    let incidents = Arc::new(MemoryIncidents::new(r.store.clone()));
    let mut policy = EscalationPolicy::default();
    policy
        .set_tier(
            2,
            Duration::minutes(5),
            Recipients::parse("duty@example.com").unwrap(),
        )
        .unwrap();
    policy
        .set_tier(
            3,
            Duration::minutes(15),
            Recipients::parse("ciso@example.com").unwrap(),
        )
        .unwrap();
    r.store.put_escalation_policy(&policy).await.unwrap();
    r.service = r
        .service
        .with_escalation(Escalating {
            steps: r.store.clone(),
            schedules: schedules.clone(),
            acks: r.store.clone(),
        })
        .with_timeline(incidents.clone(), Duration::hours(6));
    Esc {
        r,
        schedules,
        incidents,
    }
}

fn firings(e: &Esc) -> Vec<EscalationFiring> {
    e.schedules
        .all()
        .into_iter()
        .filter_map(|s| match s.input {
            ScheduleInput::Escalation { firing } => Some(firing),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn nobody_acknowledging_alerts_the_next_tier_once_and_schedules_the_one_after() {
    let e = with_tiers().await;
    e.r.notify().await.unwrap();
    let first = firings(&e);
    assert_eq!(first.len(), 1, "tier 1 schedules tier 2");
    assert_eq!(
        (first[0].tier, first[0].due),
        (2, t0() + Duration::minutes(5))
    );
    assert_eq!(e.r.sent_to(), vec!["sup@example.com"]);

    e.r.clock.set(t0() + Duration::minutes(5));
    let done = e.r.service.on_escalation_due(&first[0]).await.unwrap();
    assert_eq!(
        done,
        Escalated::Alerted {
            sent: 1,
            refused: 0
        }
    );
    assert_eq!(e.r.sent_to(), vec!["sup@example.com", "duty@example.com"]);
    let subject =
        e.r.outbox
            .messages()
            .last()
            .map(|m| m.1.subject.clone())
            .unwrap_or_default();
    assert!(subject.starts_with("ESCALATED"), "{subject}");
    // The same firing again (Scheduler delivers at least once): nothing more.
    assert_eq!(
        e.r.service.on_escalation_due(&first[0]).await.unwrap(),
        Escalated::AlreadyDone
    );
    assert_eq!(e.r.sent_to().len(), 2);
    let next: Vec<_> = firings(&e).into_iter().filter(|f| f.tier == 3).collect();
    assert_eq!(next.len(), 1, "tier 3 is scheduled");
    assert_eq!(next[0].due, t0() + Duration::minutes(15));
    // The incident shows the escalation.
    let kinds: Vec<EntryKind> = e.incidents.with(|all| {
        all.get(&"c-1".parse().unwrap())
            .map(|i| i.timeline.values().map(|x| x.kind).collect())
            .unwrap_or_default()
    });
    assert!(kinds.contains(&EntryKind::Escalated), "{kinds:?}");
}

#[tokio::test]
async fn an_acknowledgement_before_the_step_means_the_tier_is_never_alerted() {
    let e = with_tiers().await;
    e.r.notify().await.unwrap();
    let step = firings(&e).remove(0);
    let key = RecipientKey::of(Channel::Email, "sup@example.com");
    e.r.store
        .record_ack(
            &"c-1".parse().unwrap(),
            &Acknowledgement {
                recipient: key,
                by: "sup@example.com".into(),
                channel: Channel::Email,
                at: t0() + Duration::minutes(2),
            },
            t0() + Duration::days(1),
        )
        .await
        .unwrap();
    e.r.clock.set(t0() + Duration::minutes(5));
    assert_eq!(
        e.r.service.on_escalation_due(&step).await.unwrap(),
        Escalated::Stopped(Stop::Acknowledged)
    );
    assert_eq!(
        e.r.sent_to(),
        vec!["sup@example.com"],
        "tier 2 never alerted"
    );
    assert_eq!(firings(&e).len(), 1, "nothing more scheduled");
}

#[tokio::test]
async fn a_drill_never_escalates() {
    let e = with_tiers().await;
    e.r.store.with_state(|s| {
        if let Some(c) = s.calls.get_mut(&"c-1".parse().unwrap()) {
            c.test = true;
        }
    });
    e.r.notify().await.unwrap();
    assert!(firings(&e).is_empty(), "no step scheduled for a drill");
}

#[tokio::test]
async fn the_last_tier_repeats_until_the_call_is_long_over() {
    let e = with_tiers().await;
    e.r.notify().await.unwrap();
    let mut step = firings(&e).remove(0);
    // Tier 2, tier 3, then tier 3 again every 15 minutes (the default).
    for (tier, round) in [(2, 0), (3, 0), (3, 1)] {
        assert_eq!((step.tier, step.round), (tier, round));
        e.r.clock.set(step.due);
        e.r.service.on_escalation_due(&step).await.unwrap();
        let after: Vec<_> = firings(&e)
            .into_iter()
            .filter(|f| (f.tier, f.round) > (step.tier, step.round))
            .collect();
        step = after
            .into_iter()
            .min_by_key(|f| (f.tier, f.round))
            .expect("a next step");
    }
    // The call ended long ago: the next firing stops.
    e.r.store.with_state(|s| {
        if let Some(c) = s.calls.get_mut(&"c-1".parse().unwrap()) {
            c.ended_at = Some(t0() + Duration::minutes(1));
        }
    });
    e.r.clock.set(t0() + Duration::minutes(120));
    assert_eq!(
        e.r.service.on_escalation_due(&step).await.unwrap(),
        Escalated::Stopped(Stop::Over)
    );
}

#[tokio::test]
async fn an_acknowledgement_on_the_incident_itself_stops_it_too() {
    use crate::service::incident::IncidentService;
    use lifeline_domain::incident::Acknowledgement as OnIncident;
    let e = with_tiers().await;
    e.r.notify().await.unwrap();
    let step = firings(&e).remove(0);
    let incidents = IncidentService::new(
        e.incidents.clone(),
        Arc::new(e.r.clock.clone()),
        Duration::hours(6),
    );
    // The incident opens (its dial entry), then the console acknowledges it.
    incidents
        .add(
            &"c-1".parse().unwrap(),
            &"a-42".parse().unwrap(),
            lifeline_domain::incident::Entry::new(t0(), EntryKind::Dialed, "call"),
        )
        .await
        .unwrap();
    incidents
        .acknowledge(
            &"c-1".parse().unwrap(),
            &OnIncident {
                by: "desk".into(),
                at: t0() + Duration::minutes(1),
                channel: "console".into(),
            },
        )
        .await
        .unwrap();
    e.r.clock.set(t0() + Duration::minutes(5));
    assert_eq!(
        e.r.service.on_escalation_due(&step).await.unwrap(),
        Escalated::Stopped(Stop::Acknowledged)
    );
    assert_eq!(e.r.sent_to(), vec!["sup@example.com"]);
}
