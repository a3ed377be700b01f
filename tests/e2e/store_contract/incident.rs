//! The incidents' store contract, on both stores: the in-memory fake
//! (`MemoryIncidents`, always) and DynamoDB Local (`LIFELINE_E2E=1`). Its
//! own port, so its own pair of tests per contract rather than the
//! `contracts!` list (whose stores are `MemoryStore`s).

use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

use lifeline_app::fakes::{MemoryIncidents, MemoryStore};
use lifeline_app::ports::{AckRecordError, HeadError, IncidentFilter, IncidentStore};
use lifeline_domain::incident::{
    Acknowledgement, Entry, EntryDetail, EntryKind, Incident, IncidentState,
};
use lifeline_domain::types::CallId;

use super::sides::DynamoSide;
use super::Side;

fn t(min: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_496_400, 0).unwrap() + Duration::minutes(min)
}
fn id(c: &str) -> CallId {
    c.parse().unwrap()
}
fn ttl() -> DateTime<Utc> {
    t(60 * 24 * 30)
}
fn dialed(min: i64) -> Entry {
    // Sub-second times: read back exactly.
    Entry::new(
        t(min) + Duration::nanoseconds(123_456_789),
        EntryKind::Dialed,
        "call",
    )
    .with(EntryDetail {
        caller_id: Some("+14255550100".parse().unwrap()),
        test: true,
        lease_id: Some("l-1".parse().unwrap()),
        ..EntryDetail::default()
    })
}
fn head(call: &str, entries: &[Entry]) -> Incident {
    Incident::fold(&id(call), &"a-42".parse().unwrap(), None, entries).unwrap()
}

async fn entries_are_written_once_and_read_in_time_order<S: IncidentStore>(s: &S) {
    let c = id("c-1");
    let ended = Entry::new(t(9), EntryKind::Ended, "call");
    assert!(s.append_entry(&c, &ended, ttl()).await.unwrap());
    assert!(s.append_entry(&c, &dialed(0), ttl()).await.unwrap());
    assert!(
        !s.append_entry(&c, &dialed(0), ttl()).await.unwrap(),
        "a redelivered entry adds nothing"
    );
    let read = s.incident(&c).await.unwrap();
    assert_eq!((read.head, read.version), (None, 0));
    assert_eq!(read.timeline, vec![dialed(0), ended]);
    assert!(s.incident(&id("c-2")).await.unwrap().timeline.is_empty());
}

async fn the_head_is_saved_only_over_the_version_read<S: IncidentStore>(s: &S) {
    let open = head("c-1", &[dialed(0)]);
    s.save_head(&open, 0, ttl()).await.unwrap();
    assert!(matches!(
        s.save_head(&open, 0, ttl()).await,
        Err(HeadError::Conflict)
    ));
    let closed = head(
        "c-1",
        &[dialed(0), Entry::new(t(5), EntryKind::Ended, "call")],
    );
    assert!(matches!(
        s.save_head(&closed, 2, ttl()).await,
        Err(HeadError::Conflict)
    ));
    s.save_head(&closed, 1, ttl()).await.unwrap();
    let read = s.incident(&id("c-1")).await.unwrap();
    assert_eq!((read.head.as_ref(), read.version), (Some(&closed), 2));
    // Reopened (a late DND on): the closing time is gone again.
    let reopened = head(
        "c-1",
        &[
            dialed(0),
            Entry::new(t(5), EntryKind::Ended, "call"),
            Entry::new(t(0), EntryKind::DndOn, "presence"),
        ],
    );
    s.save_head(&reopened, 2, ttl()).await.unwrap();
    let read = s.incident(&id("c-1")).await.unwrap();
    assert_eq!(read.head.as_ref().and_then(|h| h.closed_at), None);
    assert_eq!(read.head, Some(reopened));
}

async fn the_first_acknowledgement_wins_and_every_one_is_kept<S: IncidentStore>(s: &S) {
    let c = id("c-1");
    let ack = |by: &str, min| Acknowledgement {
        by: by.into(),
        at: t(min),
        channel: "email".into(),
    };
    assert!(matches!(
        s.record_acknowledgement(&c, &ack("ana@example.com", 2), ttl())
            .await,
        Err(AckRecordError::NoIncident(_))
    ));
    s.save_head(&head("c-1", &[dialed(0)]), 0, ttl())
        .await
        .unwrap();
    let first = s
        .record_acknowledgement(&c, &ack("ana@example.com", 2), ttl())
        .await
        .unwrap();
    assert!(first.first && first.previous.is_none());
    let second = s
        .record_acknowledgement(&c, &ack("+14255550111", 3), ttl())
        .await
        .unwrap();
    assert!(!second.first);
    assert_eq!(second.previous, Some(ack("ana@example.com", 2)));
    // A head saved later keeps the acknowledgement it does not carry.
    let read = s.incident(&c).await.unwrap();
    let mut next = head(
        "c-1",
        &[dialed(0), Entry::new(t(5), EntryKind::Ended, "call")],
    );
    next.acknowledged = None;
    s.save_head(&next, read.version, ttl()).await.unwrap();
    let read = s.incident(&c).await.unwrap();
    assert_eq!(
        read.head.and_then(|h| h.acknowledged),
        Some(ack("ana@example.com", 2))
    );
    let acks = read
        .timeline
        .iter()
        .filter(|e| e.kind == EntryKind::Acknowledged)
        .count();
    assert_eq!(acks, 2);
}

async fn listings_query_open_and_recent_incidents<S: IncidentStore>(s: &S) {
    for (call, min, ended) in [("c-1", 0, false), ("c-2", 10, true), ("c-3", -600, true)] {
        let mut entries = vec![dialed(min)];
        if ended {
            entries.push(Entry::new(t(min + 1), EntryKind::Ended, "call"));
        }
        s.save_head(&head(call, &entries), 0, ttl()).await.unwrap();
    }
    let open = s.incidents(IncidentFilter::Open).await.unwrap();
    assert_eq!(
        open.iter()
            .map(|h| h.call_id.to_string())
            .collect::<Vec<_>>(),
        ["c-1"]
    );
    assert!(open
        .iter()
        .all(|h| h.state == IncidentState::Open && h.drill));
    let recent = s
        .incidents(IncidentFilter::Recent {
            since: t(-60),
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(
        recent
            .iter()
            .map(|h| h.call_id.to_string())
            .collect::<Vec<_>>(),
        ["c-2", "c-1"],
        "newest first, closed ones since `since`"
    );
    let one = s
        .incidents(IncidentFilter::Recent {
            since: t(-6000),
            limit: 1,
        })
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
}

fn memory() -> MemoryIncidents {
    MemoryIncidents::new(Arc::new(MemoryStore::new()))
}

macro_rules! incident_contracts {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(&super::memory()).await;
                }
            )*
        }
        mod dynamo {
            use super::Side;
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(side) = super::DynamoSide::start().await {
                        super::$name(side.store()).await;
                    }
                }
            )*
        }
    };
}

incident_contracts! {
    entries_are_written_once_and_read_in_time_order,
    the_head_is_saved_only_over_the_version_read,
    the_first_acknowledgement_wins_and_every_one_is_kept,
    listings_query_open_and_recent_incidents,
}
