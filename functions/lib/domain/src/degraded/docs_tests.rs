//! The documented reasons: docs/contract.md's list is generated from
//! [`DegradedReason::ALL`] and `description`, and every reason a doc names
//! is a variant.

use super::*;
use crate::testing::docs::{code_spans, read, render, tables, Generated};

const LIST: Generated = Generated {
    doc: "docs/contract.md",
    begin:
        "<!-- degraded reasons table: generated from lifeline_domain::degraded::DegradedReason -->",
    end: "<!-- end of degraded reasons table -->",
    bless_var: "BLESS_DEGRADED_DOCS",
    test: "cargo test -p lifeline-domain degraded",
};

/// The documented list, one row per reason in [`DegradedReason::ALL`]'s order.
fn markdown() -> String {
    let rows: Vec<Vec<String>> = DegradedReason::ALL
        .into_iter()
        .map(|r| vec![format!("`{r}`"), r.description().to_string()])
        .collect();
    render(
        &["reason", "why the agent's own number was presented"],
        &rows,
    )
}

/// With `BLESS_DEGRADED_DOCS=1` the docs' list is rewritten instead.
#[test]
fn the_contract_lists_every_reason_as_the_code_describes_it() {
    LIST.check(&markdown());
}

/// The docs and the top-level pages, where reasons are named.
const DOCS: [&str; 2] = ["README.md", "ARCHITECTURE.md"];

fn pages() -> Vec<String> {
    let dir = crate::testing::docs::repo_file("docs");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir:?}: {e}"))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "the docs: {names:?}");
    names.extend(DOCS.map(String::from));
    names
}

/// Whether a doc's word is written as a reason: `snake_case` with an
/// underscore (single words are reasons only where the text says so).
fn snake_with_underscore(word: &str) -> bool {
    word.contains('_')
        && !word.starts_with('_')
        && !word.ends_with('_')
        && word.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

/// The words a line names as reasons: `"reason":"…"`, a code span right
/// after `reason` or `degraded` (`reason \`x\``, `degraded, \`x\``,
/// `degraded (\`x\`)`), and, on a line that speaks of a reason or of
/// being degraded, every `snake_case` code span with an underscore.
fn named_reasons(line: &str) -> Vec<String> {
    let mut found: Vec<String> = vec![];
    for piece in line.split("\"reason\":").skip(1) {
        let value = piece.trim_start().trim_start_matches('"');
        let word: String = value
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        found.push(word);
    }
    for marker in ["reason `", "degraded `", "degraded, `", "degraded (`"] {
        for piece in line.split(marker).skip(1) {
            found.extend(piece.split('`').next().map(String::from));
        }
    }
    let lower = line.to_lowercase();
    if lower.contains("reason") || lower.contains("degraded") {
        let spans = code_spans(line).into_iter();
        found.extend(spans.filter(|w| snake_with_underscore(w)).map(String::from));
    }
    found
}

/// The words of every column headed by a reason (`reason`, `degraded
/// reason(s)`, `degraded (by reason)`): `timeout`, `store_unavailable ×20`,
/// `287 (timeout 287)`; a cell `—` or `none` and a note names no reason.
fn reasons_in_columns(doc: &str) -> Vec<String> {
    let mut found = vec![];
    for table in tables(doc) {
        let Some(i) = table.header.iter().position(|h| h.contains("reason")) else {
            continue;
        };
        for row in &table.rows {
            let cell = row.get(i).map_or("", String::as_str);
            if cell.starts_with('—') || cell.starts_with("none") {
                continue;
            }
            let words = cell.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
            let words = words.filter(|w| w.starts_with(|c: char| c.is_ascii_lowercase()));
            found.extend(words.map(String::from));
        }
    }
    found
}

#[test]
fn every_reason_the_docs_name_is_a_variant() {
    let mut named = 0;
    let mut unknown = vec![];
    for page in pages() {
        let doc = read(&page);
        let in_lines = doc.lines().enumerate().flat_map(|(i, line)| {
            let at = format!("{page}:{}", i + 1);
            named_reasons(line)
                .into_iter()
                .map(move |w| (at.clone(), w))
        });
        let in_columns = reasons_in_columns(&doc)
            .into_iter()
            .map(|w| (format!("{page}, a reason column"), w));
        for (at, word) in in_lines.chain(in_columns) {
            named += 1;
            // `POST /calls/presented` has a `reason` of its own (why the
            // platform presented another number): its values are no
            // degraded reasons, and are listed by their own enum.
            let presented = word.parse::<crate::presented::PresentedReason>().is_ok();
            if word.parse::<DegradedReason>().is_err() && !presented {
                unknown.push(format!("{at}: `{word}`"));
            }
        }
    }
    assert!(named >= 30, "only {named} reasons found in the docs");
    assert!(
        unknown.is_empty(),
        "the docs name reasons that are no DegradedReason: {unknown:#?}"
    );
}

#[test]
fn reasons_are_found_where_the_docs_write_them() {
    let line = r#"answered `emergency`, `degraded`, reason `unauthenticated`; `{"action":"continue","reason":"unsupported_location"}` or degraded (`store_unavailable`) by `call_id`"#;
    assert_eq!(
        named_reasons(line),
        [
            "unsupported_location",
            "unauthenticated",
            "store_unavailable",
            "store_unavailable",
            "call_id"
        ]
    );
    assert!(named_reasons("`do_not_disturb` while busy").is_empty());
    let doc = "| fault | reason |\n|---|---|\n| a | `timeout` |\n| b | — (the leased number) |\n| c | store_unavailable ×20 |\n| d | 287 (timeout 287) |\n| e | 0 |\n";
    assert_eq!(
        reasons_in_columns(doc),
        ["timeout", "store_unavailable", "timeout"]
    );
}
