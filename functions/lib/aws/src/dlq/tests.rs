//! The pure parts of the adapter: queue names, answers, error chains.

use super::error::{error_chain, is_not_found};
use super::*;

#[test]
fn a_queue_is_named_by_its_url() {
    let q = QueueRef::from_url("http://127.0.0.1:4566/123456789012/lifeline-local-notifier-dlq");
    assert_eq!(q.name, "lifeline-local-notifier-dlq");
}

#[test]
fn an_answer_that_is_not_json_is_kept_as_text() {
    assert_eq!(parse_answer(br#"{"a":1}"#), serde_json::json!({"a": 1}));
    assert_eq!(parse_answer(b"null"), serde_json::Value::Null);
    assert_eq!(parse_answer(b"oops"), serde_json::json!("oops"));
    assert_eq!(parse_answer(b""), serde_json::json!(""));
}

#[derive(Debug)]
struct Outer(std::io::Error);
impl std::fmt::Display for Outer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dispatch failure")
    }
}
impl std::error::Error for Outer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[test]
fn an_error_reads_as_its_causes_displayed() {
    let e = Outer(std::io::Error::other("connection refused"));
    assert_eq!(error_chain(&e), "dispatch failure: connection refused");
}

#[test]
fn missing_resources_are_named_not_found() {
    assert!(is_not_found("AWS.SimpleQueueService.NonExistentQueue"));
    assert!(is_not_found("ResourceNotFoundException"));
    assert!(!is_not_found("ThrottlingException"));
}
