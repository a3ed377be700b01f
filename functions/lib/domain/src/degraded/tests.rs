use super::*;
use std::path::{Path, PathBuf};

/// The strings today's code writes as a reason, spelled out.
const STORED: [&str; 14] = crate::testing::STORED_REASONS;

#[test]
fn every_variant_round_trips_through_its_string_and_serde() {
    for reason in DegradedReason::ALL {
        let wire = reason.as_str();
        assert_eq!(wire.parse::<DegradedReason>(), Ok(reason));
        assert_eq!(reason.to_string(), wire);
        let json = serde_json::to_value(reason).unwrap();
        assert_eq!(json, serde_json::Value::String(wire.into()));
        assert_eq!(
            serde_json::from_value::<DegradedReason>(json).unwrap(),
            reason
        );
        assert!(!reason.description().is_empty(), "{wire}");
    }
    assert_eq!(
        "no_such_reason".parse::<DegradedReason>(),
        Err(UnknownReason("no_such_reason".into()))
    );
}

#[test]
fn all_lists_every_variant_once() {
    // Exhaustive: a new variant does not compile until it is placed here,
    // and the assertion below then wants it in `ALL`.
    let position = |r: DegradedReason| match r {
        DegradedReason::StoreUnavailable => 0,
        DegradedReason::Timeout => 1,
        DegradedReason::PoolExhausted => 2,
        DegradedReason::NoPool => 3,
        DegradedReason::Contention => 4,
        DegradedReason::LocationUnknown => 5,
        DegradedReason::AgentProfileMissing => 6,
        DegradedReason::CallIdConflict => 7,
        DegradedReason::LeaseUnreadable => 8,
        DegradedReason::UnsupportedLocation => 9,
        DegradedReason::Unauthenticated => 10,
        DegradedReason::InternalError => 11,
        DegradedReason::InvalidEvent => 12,
        DegradedReason::PlatformFailOpen => 13,
    };
    for (i, r) in DegradedReason::ALL.into_iter().enumerate() {
        assert_eq!(position(r), i, "{r}");
    }
}

#[test]
fn every_string_stored_today_decodes_to_the_same_string() {
    for stored in STORED {
        let reason: DegradedReason = stored.parse().unwrap();
        assert_eq!(reason.as_str(), stored);
        let from_json: DegradedReason =
            serde_json::from_value(serde_json::Value::String(stored.into())).unwrap();
        assert_eq!(from_json, reason);
    }
    assert_eq!(STORED.len(), DegradedReason::ALL.len());
}

/// Quoted lowercase words seen near a `reason` in the code base that are
/// not degraded reasons: JSON keys and actions, and the Connect adapter's
/// answers to a call-ended event (`{"ended":false,"reason":…}`).
const NOT_REASONS: [&str; 16] = [
    "reason",
    "action",
    "continue",
    "emergency",
    "degraded",
    "ended",
    "detail",
    "recording",
    // The metric's dimension for a degraded answer without a reason.
    "unknown",
    "not_a_disconnect",
    "no_agent",
    "not_an_emergency_call",
    "wrong_agent",
    // A presence status, checked beside a record's reason.
    "available",
    // A problem's member that names the field at fault (`"field":"reason"`).
    "field",
    // A timeline entry's note, listed beside its reason (the console).
    "note",
];

/// Every `"snake_case"` literal on a line that mentions `reason` or on the
/// two lines after it (a tuple's expected values), in the workspace's
/// functions and tests, is a variant (or listed in [`NOT_REASONS`]).
#[test]
fn every_reason_string_in_the_code_base_is_a_variant() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let root = root.canonicalize().unwrap_or(root);
    let mut files = Vec::new();
    for dir in ["functions", "tests"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 50, "the workspace's sources: {root:?}");
    let mut unknown = Vec::new();
    // This file names words that are no reasons on purpose; a dead letter's
    // `reason` is its failure record's (Lambda's, SQS's), never a dial's.
    let this = Path::new("lib/domain/src/degraded/tests.rs");
    let skipped =
        |f: &Path| f.ends_with(this) || f.to_string_lossy().contains("/lib/dead-letters/");
    for file in files.iter().filter(|f| !skipped(f)) {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !line.contains("reason") {
                continue;
            }
            for near in &lines[i..(i + 3).min(lines.len())] {
                for word in snake_case_literals(near) {
                    // `POST /calls/presented` has reasons of its own.
                    let presented = word.parse::<crate::presented::PresentedReason>().is_ok();
                    if word.parse::<DegradedReason>().is_err()
                        && !presented
                        && !NOT_REASONS.contains(&word)
                    {
                        unknown.push(format!("{}:{}: {word}", file.display(), i + 1));
                    }
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "reason strings that are no DegradedReason (add a variant, or list \
         the word in NOT_REASONS if it is no reason): {unknown:#?}"
    );
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && !path.ends_with("target") {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The `"word"` / `"snake_case_words"` literals of a line (left to right,
/// not overlapping).
fn snake_case_literals(line: &str) -> Vec<&str> {
    let bytes = line.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'"' {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && (bytes[end].is_ascii_lowercase() || bytes[end] == b'_') {
                end += 1;
            }
            let word = &line[start..end];
            let snake = !word.is_empty() && !word.starts_with('_') && !word.ends_with('_');
            if end < bytes.len() && bytes[end] == b'"' && snake && !word.contains("__") {
                found.push(word);
                i = end + 1;
                continue;
            }
        }
        i += 1;
    }
    found
}

#[test]
fn literals_are_found_as_a_regex_would() {
    assert_eq!(
        snake_case_literals(r#"json!({"action":"continue","reason":"no_pool"})"#),
        vec!["action", "continue", "reason", "no_pool"]
    );
    assert_eq!(
        snake_case_literals(r#"(Some("x y"), Some("timeout"), "A", "")"#),
        vec!["timeout"]
    );
}
