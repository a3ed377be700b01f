//! Confidentiality: the logs of a whole emergency scenario (dial, presence,
//! e-mail, lease schedule, callback, end, expiry) hold no full phone number,
//! no address and no e-mail address; the call records carry a TTL.

use lifeline_e2e::{dial, ended, inbound, start};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_hold_no_full_number_or_address_and_records_expire() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::INFO) // as deployed (RUST_LOG=info)
        .with_writer(move || writer.clone())
        .init();

    let l = start(2).await;
    let body = dial("c-1", "a-42", "9 911");
    let address = body["location"]["address"]
        .as_str()
        .expect("address")
        .to_string();
    let answer = l.post("/calls/outbound", &body).await.json;
    let number = answer["callerId"].as_str().expect("callerId").to_string();
    l.wait_for_status("a-42", "do_not_disturb", Duration::from_secs(10))
        .await;
    l.post("/calls/inbound", &inbound(&number)).await;
    l.post("/calls/ended", &ended("c-1", "a-42")).await;
    l.wait_for_schedules("moved", |s| s.len() == 1).await;
    l.advance(61).await;
    l.settled().await;

    let text =
        String::from_utf8_lossy(&logs.0.lock().unwrap_or_else(|p| p.into_inner())).to_string();
    assert!(
        text.contains("emergency call recorded"),
        "the scenario was logged:\n{text}"
    );
    for secret in [
        number.as_str(),
        "+14255550100",
        "+12065550911",
        address.as_str(),
        "Main St",
    ] {
        assert!(!text.contains(secret), "the logs show {secret:?}");
    }
    // Not even the digits without the plus.
    assert!(
        !text.contains(&number[1..]),
        "the logs show the number's digits"
    );
    // The e-mail went out (one message per recipient), and no e-mail
    // address is in the logs: recipients are named by position, SES errors
    // by code.
    assert!(
        text.contains("emergency notification sent"),
        "the e-mail was logged:\n{text}"
    );
    assert!(
        !text.contains('@'),
        "the logs show an e-mail address:\n{text}"
    );

    // Every emergency-call record carries a TTL.
    let scan = l
        .store
        .client()
        .scan()
        .table_name(&l.table)
        .filter_expression("#t = :call OR #t = :pointer")
        .expression_attribute_names("#t", "type")
        .expression_attribute_values(
            ":call",
            aws_sdk_dynamodb::types::AttributeValue::S("call".into()),
        )
        .expression_attribute_values(
            ":pointer",
            aws_sdk_dynamodb::types::AttributeValue::S("agentLease".into()),
        )
        .send()
        .await
        .expect("scan");
    assert!(scan.count() >= 2, "a call and a lease pointer");
    for item in scan.items() {
        assert!(item.contains_key("ttl"), "no TTL on {:?}", item.get("pk"));
    }
}
