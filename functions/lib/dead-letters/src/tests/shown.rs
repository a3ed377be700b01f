//! What is shown: no full phone number, address or e-mail address unless
//! asked for.

use lifeline_aws::dlq::PeekedMessage;
use serde_json::Value;

use super::fake::*;
use super::samples::*;
use crate::redact::{mask_emails, redact_numbers, MASKED};
use crate::*;

#[tokio::test]
async fn no_listing_shows_a_full_phone_number() {
    let letters = letters_of(&every_shape()).await;
    let text = list_text(&letters);
    assert_no_full_number(&text);
    assert!(text.contains("NUMBER#+*******0199"), "{text}");
    assert!(text.contains("***@example.com"), "{text}");
    assert_eq!(
        text.lines().count(),
        letters.len() + 1,
        "a header and one line each"
    );
    let json_text = list_json(&letters);
    assert_no_full_number(&json_text);
    let entries: Vec<Value> = serde_json::from_str(&json_text).unwrap();
    assert_eq!(entries.len(), letters.len());
    let outbox = entries.iter().find(|e| e["kind"] == "call-outbox").unwrap();
    assert_eq!(outbox["id"], "33333333-aaaa-4bbb-8ccc-000000000001");
    assert_eq!(outbox["shortId"], "33333333");
    assert_eq!(outbox["source"], "lifeline-prod-call-outbox-dlq");
    assert_eq!(outbox["sourceType"], "queue");
    assert_eq!(outbox["replayable"], true);
    assert_eq!(outbox["replay"], "send back to lifeline-prod-call-outbox");
    assert_eq!(outbox["subject"], "call c-9");
    assert_eq!(outbox["at"], "2026-11-24T05:00:00Z");
    let unknown = entries.iter().find(|e| e["kind"] == "unknown").unwrap();
    assert_eq!(unknown["replayable"], false);
    assert_eq!(unknown["target"], Value::Null);
}

#[tokio::test]
async fn show_masks_numbers_addresses_and_e_mail_unless_raw() {
    let letters = letters_of(&every_shape()).await;
    for l in &letters {
        assert_no_full_number(&show_text(l, false));
    }
    let outbox = show_text(by_kind(&letters, Kind::CallOutbox), false);
    assert!(!outbox.contains("1 Main St"), "{outbox}");
    assert!(!outbox.contains("47.61"), "{outbox}");
    assert!(outbox.contains(MASKED), "{outbox}");
    assert!(outbox.contains("\"callId\""), "the rest is shown: {outbox}");
    let batch = show_text(by_kind(&letters, Kind::StreamBatch), false);
    assert!(!batch.contains("kim@example.com"), "{batch}");
    assert!(batch.contains("***@example.com"), "{batch}");
    let raw = show_text(by_kind(&letters, Kind::CallOutbox), true);
    assert!(
        raw.contains("1 Main St") && raw.contains("+14255550111"),
        "{raw}"
    );
}

#[test]
fn e164_looking_numbers_are_redacted_wherever_they_are() {
    assert_eq!(redact_numbers("to +14255550199."), "to +*******0199.");
    assert_eq!(redact_numbers("NUMBER#+14255550199"), "NUMBER#+*******0199");
    assert_eq!(redact_numbers("To=%2B14255550199&x"), "To=+*******0199&x");
    assert_eq!(
        redact_numbers("+0123456789"),
        "+******6789",
        "leading 0 too"
    );
    assert_eq!(
        redact_numbers("+1234567"),
        "+1234567",
        "7 digits: not E.164"
    );
    assert_eq!(
        redact_numbers("+1234567890123456"),
        "+1234567890123456",
        "16 digits: not E.164"
    );
    assert_eq!(redact_numbers("a + b, 50% off"), "a + b, 50% off");
    assert_eq!(redact_numbers("é+14255550199é"), "é+*******0199é");
}

#[test]
fn e_mail_addresses_keep_only_their_domain() {
    assert_eq!(
        mask_emails("for sup@example.com; ops.team+x@corp.example.org."),
        "for ***@example.com; ***@corp.example.org."
    );
    assert_eq!(mask_emails("a @ b, x@localhost"), "a @ b, x@localhost");
}

/// A letter whose body carries terminal escapes: a colour, a screen clear,
/// a window title, a carriage return and a right-to-left override.
fn hostile_letters() -> FakeAws {
    let mut record = async_failure();
    record["responsePayload"]["errorMessage"] =
        serde_json::json!("\u{1b}[2J\u{1b}]0;owned\u{7}boom\rok \u{202e}gnp.exe");
    record["requestPayload"]["detail"]["agentId"] = serde_json::json!("a-\u{1b}[31m42\u{9b}");
    FakeAws::default().with_queue(
        "lifeline-prod-notifier-failures",
        vec![
            message("11111111-aaaa-4bbb-8ccc-000000000009", &record, &[]),
            PeekedMessage {
                message_id: "\u{1b}[1m22222222".into(),
                body: "not json \u{1b}[31mred\u{1b}[0m\u{7}".into(),
                ..Default::default()
            },
        ],
    )
}

fn assert_inert(text: &str) {
    assert!(
        !text.chars().any(crate::printable::is_hazard),
        "a control character gets out:\n{text:?}"
    );
}

#[tokio::test]
async fn escape_sequences_in_a_letter_never_reach_the_terminal() {
    let fake = hostile_letters();
    let letters = letters_of(&fake).await;
    assert_eq!(letters.len(), 2);
    let list = list_text(&letters);
    assert_inert(&list);
    assert!(list.contains("\\u{1b}[2J"), "shown, as an escape: {list}");
    assert!(list.contains("\\u{202e}gnp.exe"), "{list}");
    assert_eq!(
        list.lines().count(),
        3,
        "a CR or newline starts no line: {list}"
    );
    for l in &letters {
        for raw in [false, true] {
            let shown = show_text(l, raw);
            assert_inert(&shown);
        }
    }
    let unknown = show_text(by_kind(&letters, Kind::Unknown), false);
    assert!(
        unknown.contains("not json \\u{1b}[31mred\\u{1b}[0m\\u{7}"),
        "{unknown}"
    );
    let json_text = list_json(&letters);
    assert_inert(&json_text);
    let entries: Vec<Value> = serde_json::from_str(&json_text).unwrap();
    assert_eq!(
        entries[0]["subject"], "call c-1, agent a-\u{1b}[31m42\u{9b}",
        "JSON keeps the value, escaped"
    );
}

#[tokio::test]
async fn a_replays_account_of_a_hostile_answer_is_inert() {
    let fake = hostile_letters().answering(
        "lifeline-prod-notifier",
        Some("Unhandled"),
        serde_json::json!({"errorType": "X", "errorMessage": "\u{1b}[8mhidden\nreplayed 99"}),
    );
    let letters = letters_of(&fake).await;
    let mut out = Vec::new();
    let chosen: Vec<&DeadLetter> = letters.iter().collect();
    replay(&fake, &chosen, &mut out).await;
    let out = String::from_utf8(out).unwrap();
    assert_inert(&out);
    assert!(out.contains("\\u{1b}[8mhidden\\nreplayed 99"), "{out}");
    assert_eq!(out.lines().count(), 2, "one line a letter: {out}");
}
