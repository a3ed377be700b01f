//! The docs' tables that name routes and rules, against their sources:
//! docs/contract.md's routes table is generated from the function registry
//! (which `registry_tests` holds template.yaml to), docs/operations.md's
//! rules are checked against [`RULES`].

use lifeline_domain::events::{DETAIL_TYPES, SOURCE};
use lifeline_domain::testing::docs::{code_spans, read, render, table_under, Generated};
use serde_json::json;

use crate::events::{pattern_matches, RULES};

const ROUTES: Generated = Generated {
    doc: "docs/contract.md",
    begin: "<!-- routes table: generated from lifeline_edge::registry -->",
    end: "<!-- end of routes table -->",
    bless_var: "BLESS_ROUTES_DOCS",
    test: "cargo test -p lifeline-edge routes",
};

/// The routes table: a row per route, in the registry's order.
fn routes_markdown() -> String {
    let rows: Vec<Vec<String>> = crate::registry::FUNCTIONS
        .iter()
        .flat_map(|f| f.routes().map(move |r| (f, r)))
        .map(|(f, r)| {
            let route = match r.body {
                "" => format!("`{} {}`", r.method, r.path),
                body => format!("`{} {}` `{body}`", r.method, r.path),
            };
            vec![route, format!("`{}`", f.name), r.answer.to_string()]
        })
        .collect();
    render(&["route", "function", "answer"], &rows)
}

/// With `BLESS_ROUTES_DOCS=1` the docs' table is rewritten instead.
#[test]
fn the_contract_lists_the_registered_routes() {
    let routes = routes_markdown();
    assert!(routes.lines().count() >= 12, "{routes}");
    ROUTES.check(&routes);
}

/// The rules that take an event of `detail_type`: their functions.
fn takers(detail_type: &str) -> Vec<&'static str> {
    let event = json!({"source": SOURCE, "detail-type": detail_type, "detail": {}});
    RULES
        .iter()
        .filter(|r| pattern_matches(r.pattern, &event))
        .map(|r| r.function)
        .collect()
}

/// docs/operations.md's events table: each detail-type's `rule` cell names
/// the functions whose rules take it (`—`: none; a note in brackets aside).
#[test]
fn the_events_table_names_the_rules_that_take_each_event() {
    let table = table_under(&read("docs/operations.md"), "### The events");
    let types = table.column("detail-type");
    assert_eq!(types.len(), DETAIL_TYPES.len(), "one row per detail-type");
    for (detail_type, cell) in types.into_iter().zip(table.column("rule")) {
        let detail_type = detail_type.trim_matches('`');
        let named: Vec<&str> = match cell {
            "—" => vec![],
            _ => cell
                .split(',')
                .map(|f| f.split(" (").next().unwrap_or(f).trim())
                .collect(),
        };
        assert_eq!(named, takers(detail_type), "{detail_type}'s rules");
    }
}

/// docs/operations.md's "bus → rules" hop: each rule's function and the
/// detail-types its pattern takes, in [`RULES`]' order.
#[test]
fn the_delivery_table_names_each_rules_detail_types() {
    let table = table_under(&read("docs/operations.md"), "## Events and delivery");
    let hops = table.column("hop");
    let row = hops
        .iter()
        .position(|h| *h == "bus → rules")
        .unwrap_or_else(|| panic!("no `bus → rules` hop: {hops:?}"));
    let documented: Vec<Vec<&str>> = table.column("what")[row]
        .split(';')
        .map(code_spans)
        .collect();
    let expected: Vec<Vec<&str>> = RULES
        .iter()
        .map(|r| {
            let taken = DETAIL_TYPES
                .iter()
                .filter(|t| takers(t).contains(&r.function));
            std::iter::once(r.function).chain(taken.copied()).collect()
        })
        .collect();
    assert_eq!(documented, expected, "the `bus → rules` hop");
}
