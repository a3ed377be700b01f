//! The docs' tables that name routes and rules, against their sources:
//! docs/contract.md's routes against the function registry (which
//! `registry_tests` holds template.yaml to), docs/operations.md's rules
//! against [`RULES`].

use std::collections::BTreeSet;

use lifeline_domain::events::{DETAIL_TYPES, SOURCE};
use lifeline_domain::testing::docs::{code_spans, read, table_under};
use serde_json::json;

use crate::events::{pattern_matches, RULES};

const TEMPLATE: &str = include_str!("../../../../template.yaml");

/// A route: method, path, the function (its binary) that serves it.
pub(crate) type Route = (String, String, String);

/// The template's top-level entries (two-space indent), each with its body.
pub(crate) fn template_entries() -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for line in TEMPLATE.lines() {
        let top = line.starts_with("  ") && !line.starts_with("   ");
        let starts_entry = top && !line.trim_start().starts_with('#');
        match out.last_mut() {
            Some(entry) if !starts_entry => {
                entry.push('\n');
                entry.push_str(line);
            }
            _ => out.push(line.to_string()),
        }
    }
    out
}

/// A line's value after `key: `, trimmed.
pub(crate) fn value_of<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.trim()
        .strip_prefix(key)?
        .strip_prefix(": ")
        .map(str::trim)
}

/// Every `HttpApi` event of every function in template.yaml.
pub(crate) fn template_routes() -> Vec<Route> {
    let mut routes = vec![];
    for entry in template_entries() {
        if !entry.contains("\n    Type: AWS::Serverless::Function") {
            continue;
        }
        let binary = entry
            .lines()
            .find_map(|l| value_of(l, "Binary"))
            .unwrap_or_else(|| panic!("a function without a Binary: {entry}"));
        // An event's properties: the lines after its `Type:` up to the next `Type:`.
        for event in entry.split("Type: ").skip(1) {
            if !event.starts_with("HttpApi\n") {
                continue;
            }
            let field = |key| event.lines().find_map(|l| value_of(l, key));
            let (Some(method), Some(path)) = (field("Method"), field("Path")) else {
                panic!("{binary}: an HttpApi event without Method and Path: {event}");
            };
            routes.push((method.into(), path.into(), binary.into()));
        }
    }
    routes
}

/// docs/contract.md's routes table: `METHOD /path` code spans (a further
/// `/path` span takes the method before it; a body's span is no route) and
/// the function's span.
fn documented_routes() -> Vec<Route> {
    let table = table_under(&read("docs/contract.md"), "## Routes");
    let (routes, functions) = (table.column("route"), table.column("function"));
    let mut out = vec![];
    for (cell, function) in routes.into_iter().zip(functions) {
        let [function] = code_spans(function)[..] else {
            panic!("docs/contract.md: a route's function is one code span: {function}");
        };
        let mut method = None;
        for span in code_spans(cell) {
            let path = match span.split_once(' ') {
                Some((m, path)) if path.starts_with('/') => {
                    method = Some(m);
                    path
                }
                _ if span.starts_with('/') => span,
                _ => continue,
            };
            let method = method.unwrap_or_else(|| panic!("no method before {path}: {cell}"));
            out.push((method.into(), path.into(), function.into()));
        }
    }
    out
}

#[test]
fn the_contract_lists_exactly_the_registered_routes_and_functions() {
    let template = template_routes();
    assert_eq!(
        template.len(),
        TEMPLATE.matches("Type: HttpApi\n").count(),
        "every HttpApi event is a function's"
    );
    let registered: Vec<Route> = crate::registry::FUNCTIONS
        .iter()
        .flat_map(|f| {
            f.routes()
                .map(|r| (r.method.into(), r.path.into(), f.name.into()))
        })
        .collect();
    assert!(
        registered.len() >= 10,
        "the registry's routes: {registered:?}"
    );
    let documented = documented_routes();
    let unique: BTreeSet<&Route> = documented.iter().collect();
    assert_eq!(unique.len(), documented.len(), "a route listed twice");
    let sorted = |routes: Vec<Route>| routes.into_iter().collect::<BTreeSet<_>>();
    assert_eq!(
        sorted(documented),
        sorted(registered),
        "docs/contract.md's routes (method, path, function) and the registry's"
    );
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

#[test]
fn routes_are_read_from_a_cell_as_the_contract_writes_them() {
    let routes = template_routes();
    let dial = (
        "POST".into(),
        "/calls/outbound".into(),
        "dial-intake".into(),
    );
    assert!(routes.contains(&dial), "{routes:?}");
    let documented = documented_routes();
    let twilio_status = (
        "POST".to_string(),
        "/twilio/status".to_string(),
        "twilio-adapter".to_string(),
    );
    assert!(documented.contains(&twilio_status), "{documented:?}");
    assert!(documented.iter().all(|(_, path, _)| !path.contains('"')));
}
