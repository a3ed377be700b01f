//! An authenticated emergency dial is never refused for an optional field:
//! the bad ones are dropped and named, and the call is served as any other.

use super::*;

#[tokio::test]
async fn an_emergency_dial_with_bad_optional_fields_goes_on_without_them() {
    let r = rig();
    let body = json!({"callId": "c-opt", "agentId": "a-42", "dialed": "911",
        "from": "+14255550100", "timestamp": "yesterday",
        "location": {"country": "US", "address": "1 Main St, Redmond WA", "method": "Telepathy"}});
    let (status, v) = r.post(&body.to_string()).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["action"], "emergency");
    assert_eq!(v["degraded"], false, "a callback number all the same: {v}");
    assert_eq!(v["ignored"], json!(["location.method", "timestamp"]));
    let call: lifeline_domain::types::CallId = "c-opt".parse().unwrap();
    let recorded = r
        .store
        .with_state(|s| s.calls.get(&call).cloned())
        .expect("recorded: Do Not Disturb and the e-mail follow");
    let location = recorded.location.expect("the rest of the location");
    assert_eq!(location.address.as_deref(), Some("1 Main St, Redmond WA"));

    // An ordinary dial with the same fault is still refused, writing nothing.
    let writes = r.store.writes();
    let ordinary = json!({"callId": "c-ord", "agentId": "a-42", "dialed": "5551234",
        "from": "+14255550100", "timestamp": "yesterday"});
    let (status, v) = r.post(&ordinary.to_string()).await;
    assert_eq!((status, v["field"].as_str()), (400, Some("timestamp")));
    // So is an emergency dial without a required field.
    let (status, v) = r
        .post(r#"{"agentId":"a-42","dialed":"911","from":"+14255550100","timestamp":"x"}"#)
        .await;
    assert_eq!((status, v["field"].as_str()), (400, Some("callId")));
    assert_eq!(r.store.writes(), writes);
}
