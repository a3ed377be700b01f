//! The emergency e-mail end to end: the call record on the stream, the
//! notifier, the SES emulator's outbox.

mod failures;
mod message;
mod planted;
mod unreadable;

use lifeline_app::ports::AdminStore;
use lifeline_domain::numbers::Country;
use lifeline_domain::recipient::Recipients;
use lifeline_domain::route::NumberType;
use lifeline_e2e::{agent, try_emails_to, Local, SentEmail};
use serde_json::Value;
use std::time::{Duration, Instant};

/// An agent whose recipients only this test uses (moto is shared).
pub(super) async fn agent_with_recipients(l: &Local, id: &str, recipients: &str) -> String {
    let mut a = agent(id, Country::US, NumberType::CallingPlan, "+14255550160");
    a.name = "Ana <Diaz> & Co".into();
    a.recipients = Recipients::parse(recipients).expect("recipients");
    l.store.put_agent(&a).await.expect("agent");
    a.recipients.as_slice()[0].as_str().to_string()
}

/// What moto's SES holds for `to`; a busy moto may drop a request: asked again.
pub(super) async fn emails_to(to: &str) -> Vec<SentEmail> {
    let mut tries = 0;
    loop {
        match try_emails_to(to).await {
            Ok(got) => return got,
            Err(e) if tries < 20 => {
                tries += 1;
                println!("moto did not answer ({e}); asking again");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("moto does not answer: {e}"),
        }
    }
}

pub(super) async fn wait_for_email(to: &str, started: Instant) -> (Vec<SentEmail>, Duration) {
    loop {
        let got = emails_to(to).await;
        if !got.is_empty() {
            return (got, started.elapsed());
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no e-mail to {to}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Every message moto's SES holds that names `address` anywhere (any
/// destination field, the subject or the body), as moto stores it.
pub(super) async fn raw_messages_naming(address: &str) -> Vec<serde_json::Value> {
    let data = lifeline_e2e::moto_snapshot().await;
    data["ses"]["Message"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|m| m.to_string().contains(address))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until this system's failure queues hold `n` dead letters.
pub(super) async fn wait_for_dead_letters(
    l: &lifeline_e2e::Local,
    n: usize,
    within: Duration,
) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let letters = l.dead_letters().await;
        if letters.len() >= n {
            return letters;
        }
        assert!(
            started.elapsed() < within,
            "{} dead letters after {within:?}, expected {n}: {letters:?}",
            letters.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
