//! The events tables (docs/operations.md, events/README.md) against
//! [`DETAIL_TYPES`]: every detail-type, in the enum's order, nothing else
//! (operations.md's rules are checked against the bus's in lifeline-edge).

use super::DETAIL_TYPES;
use crate::testing::docs::{code_spans, read, table_under};

const DOC: &str = "docs/operations.md";

/// The detail-type column of the table under `heading` in `doc`.
fn listed(doc: &str, heading: &str) -> Vec<String> {
    let table = table_under(&read(doc), heading);
    let cells = table.column("detail-type").into_iter();
    cells
        .map(|cell| match code_spans(cell)[..] {
            [one] => one.to_string(),
            _ => panic!("{doc}: a detail-type cell is one code span: {cell}"),
        })
        .collect()
}

#[test]
fn the_events_table_lists_every_detail_type_in_order() {
    assert_eq!(
        listed(DOC, "### The events"),
        DETAIL_TYPES,
        "{DOC}'s events table and lifeline_domain::events::DomainEvent"
    );
}

/// The events' reference beside their samples lists them too.
#[test]
fn the_samples_readme_lists_every_detail_type_in_order() {
    assert_eq!(
        listed("events/README.md", "## Lifeline's events"),
        DETAIL_TYPES,
        "events/README.md's table and lifeline_domain::events::DomainEvent"
    );
}

#[test]
fn the_events_section_counts_them() {
    const WORDS: [&str; 16] = [
        "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven",
        "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen",
    ];
    let count = WORDS
        .get(DETAIL_TYPES.len() - 1)
        .unwrap_or_else(|| panic!("{} detail-types: add a word", DETAIL_TYPES.len()));
    let doc = read(DOC);
    let section = doc.split("### The events").nth(1).unwrap_or_default();
    assert!(
        section.contains(&format!("{count} detail-types")),
        "{DOC}'s events section says how many detail-types there are ({count})"
    );
}
