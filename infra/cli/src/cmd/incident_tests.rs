//! The incident commands over the in-memory store.

use super::*;

use chrono::{DateTime, Utc};
use lifeline_app::fakes::{MemoryIncidents, MemoryStore};
use lifeline_app::ports::IncidentStore;
use lifeline_domain::incident::{Acknowledgement, EntryDetail, EntryKind};
use std::sync::Arc;

fn t(min: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_496_400, 0).unwrap() + Duration::minutes(min)
}

async fn store() -> MemoryIncidents {
    let s = MemoryIncidents::new(Arc::new(MemoryStore::new()));
    let call: CallId = "c-1".parse().unwrap();
    let dialed = Entry::new(t(0), EntryKind::Dialed, "call").with(EntryDetail {
        caller_id: Some("+14255550123".parse().unwrap()),
        test: true,
        ..EntryDetail::default()
    });
    let alerted = Entry::new(t(1), EntryKind::Alerted, "x").with(EntryDetail {
        channel: Some("sms".into()),
        recipient: Some("+14255550111".into()),
        note: Some("sent to ana@example.com".into()),
        ..EntryDetail::default()
    });
    for e in [&alerted, &dialed] {
        s.append_entry(&call, e, t(100)).await.unwrap();
    }
    let head = Incident::fold(
        &call,
        &"a-42".parse().unwrap(),
        None,
        &[dialed.clone(), alerted.clone()],
    )
    .unwrap();
    s.save_head(&head, 0, t(100)).await.unwrap();
    let ack = Acknowledgement {
        by: "ana@example.com".into(),
        at: t(2),
        channel: "email".into(),
    };
    s.record_acknowledgement(&call, &ack, t(100)).await.unwrap();
    s
}

#[tokio::test]
async fn the_list_is_a_table_without_addresses() {
    let s = store().await;
    let text = list(&s, IncidentFilter::Open).await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("CALL  "), "{text}");
    assert!(lines[1].starts_with("c-1   a-42"), "{text}");
    assert!(
        lines[1].contains("open") && lines[1].contains("yes"),
        "{text}"
    );
    assert!(lines[1].contains("a***@example.com (email)"), "{text}");
    assert!(!text.contains("ana@"), "{text}");
}

#[tokio::test]
async fn show_json_is_the_contract_and_sorted() {
    let s = store().await;
    let record = show(&s, &"c-1".parse().unwrap()).await.unwrap();
    let v = incident_json(&record);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = [
        "callId",
        "agentId",
        "state",
        "drill",
        "acknowledged",
        "timeline",
    ];
    want.sort();
    let mut got = keys.clone();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(v["state"], "open");
    assert_eq!(v["drill"], true);
    assert_eq!(v["acknowledged"]["by"], "ana@example.com");
    assert_eq!(v["acknowledged"]["channel"], "email");
    let kinds: Vec<&str> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["dialed", "alerted", "acknowledged"]);
    assert_eq!(v["timeline"][0]["callerId"], "+14255550123");
}

#[tokio::test]
async fn show_for_people_masks_numbers_and_addresses() {
    let s = store().await;
    let text = incident_text(&show(&s, &"c-1".parse().unwrap()).await.unwrap());
    for secret in ["+14255550123", "+14255550111", "ana@example.com", "5550123"] {
        assert!(!text.contains(secret), "{secret} in:\n{text}");
    }
    assert!(text.contains("DRILL"), "{text}");
    assert!(text.contains("caller ID +*******0123"), "{text}");
    assert!(text.contains("a***@example.com"), "{text}");
}

#[tokio::test]
async fn an_unknown_incident_is_a_usage_failure() {
    let s = store().await;
    assert!(matches!(
        show(&s, &"c-9".parse().unwrap()).await,
        Err(Failure::Usage(_))
    ));
}

#[test]
fn masking() {
    assert_eq!(mask("+14255550111"), "+*******0111");
    assert_eq!(mask("bo@x.org"), "b***@x.org");
    assert_eq!(mask("security desk"), "security desk");
    assert_eq!(mask_all("call 4255550111 now"), "call ******0111 now");
}
