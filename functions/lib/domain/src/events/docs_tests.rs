//! docs/operations.md's events table against [`DETAIL_TYPES`]: every
//! detail-type, in the enum's order, nothing else (its rules are checked
//! against the bus's rules in lifeline-edge).

use super::DETAIL_TYPES;
use crate::testing::docs::{code_spans, read, table_under};

const DOC: &str = "docs/operations.md";

#[test]
fn the_events_table_lists_every_detail_type_in_order() {
    let table = table_under(&read(DOC), "### The events");
    let listed: Vec<&str> = table
        .column("detail-type")
        .into_iter()
        .map(|cell| match code_spans(cell)[..] {
            [one] => one,
            _ => panic!("{DOC}: a detail-type cell is one code span: {cell}"),
        })
        .collect();
    assert_eq!(
        listed, DETAIL_TYPES,
        "{DOC}'s events table and lifeline_domain::events::DomainEvent"
    );
}

#[test]
fn the_events_section_counts_them() {
    const WORDS: [&str; 12] = [
        "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven",
        "Twelve",
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
