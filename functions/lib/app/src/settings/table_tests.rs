//! The settings table against itself, the docs and template.yaml.

use std::collections::BTreeSet;

use super::setting::{Setting, Shape, Unset};
use super::table::{CONFIG_READERS, SETTINGS};
use lifeline_domain::testing::docs::{render, repo_file, Generated};

/// The binaries that are not deployed functions.
const TOOLS: &[&str] = &["lifeline", "lifeline-local", "lifeline-bench"];
const BEGIN: &str = "<!-- settings table: generated from lifeline_app::settings::SETTINGS -->";
const END: &str = "<!-- end of settings table -->";

#[test]
fn every_name_is_a_lifeline_variable_and_appears_once() {
    let mut seen = BTreeSet::new();
    for s in SETTINGS {
        assert!(s.name.starts_with("LIFELINE_"), "{}", s.name);
        assert!(seen.insert(s.name), "{} is listed twice", s.name);
        assert!(!s.read_by.is_empty(), "{} is read by nobody", s.name);
    }
}

#[test]
fn whole_number_defaults_parse_and_lie_in_their_range() {
    for s in SETTINGS {
        let Shape::WholeNumber { min, max, .. } = s.shape else {
            continue;
        };
        assert!(min <= max, "{}", s.name);
        if let Unset::Default(_) = s.unset {
            let default: i64 = s.default_number().unwrap_or_else(|e| panic!("{e}"));
            assert!((min..=max).contains(&default), "{}: {default}", s.name);
        }
    }
}

// The configuration table in docs/operations.md.

fn default_cell(s: &Setting) -> String {
    match s.unset {
        Unset::Default("") => "empty".into(),
        Unset::Default(v) => format!("`{v}`"),
        Unset::Note(note) => note.into(),
        Unset::Required("") => "required on AWS".into(),
        Unset::Required(note) => format!("required on AWS ({note})"),
    }
}

fn shape_cell(s: &Setting) -> String {
    match s.shape {
        Shape::WholeNumber { min, max, unit } => format!("{min}–{max} {unit}"),
        Shape::Described(words) => words.into(),
    }
}

fn readers_cell(s: &Setting) -> String {
    let every_function = CONFIG_READERS.iter().all(|r| s.is_read_by(r));
    let mut cell: Vec<String> = vec![];
    if every_function {
        cell.push("every function but stream-events; the runner".into());
    }
    cell.extend(
        s.read_by
            .iter()
            .filter(|r| !(every_function && CONFIG_READERS.contains(r)))
            .map(|r| format!("`{r}`")),
    );
    cell.join(", ")
}

/// The markdown table of [`SETTINGS`], as docs/operations.md holds it.
fn markdown() -> String {
    let rows: Vec<Vec<String>> = SETTINGS
        .iter()
        .map(|s| {
            vec![
                format!("`{}`", s.name),
                default_cell(s),
                shape_cell(s),
                readers_cell(s),
                s.about.to_string(),
            ]
        })
        .collect();
    render(
        &["variable", "unset", "accepted", "read by", "meaning"],
        &rows,
    )
}

/// With `BLESS_SETTINGS_DOCS=1` the docs' table is rewritten instead.
#[test]
fn the_docs_list_every_setting_as_the_table_has_it() {
    Generated {
        doc: "docs/operations.md",
        begin: BEGIN,
        end: END,
        bless_var: "BLESS_SETTINGS_DOCS",
        test: "cargo test -p lifeline-app settings",
    }
    .check(&markdown());
}

// template.yaml.

const TEMPLATE: &str = include_str!("../../../../../template.yaml");

/// `LIFELINE_*` keys set in an `Environment: Variables:` block of `text`.
fn variables(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.trim_start().split_once(':'))
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("LIFELINE_") && !k.contains(' '))
        .collect()
}

/// The template's top-level sections' entries (two-space indent) with their bodies.
fn entries(section: &str) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for line in section.lines() {
        let top = line.starts_with("  ") && !line.starts_with("   ") && !line.trim().is_empty();
        match out.last_mut() {
            Some(e) if !top => {
                e.push('\n');
                e.push_str(line);
            }
            _ => out.push(line.to_string()),
        }
    }
    out
}

/// A top-level section of the template (`Globals`, `Resources`), without its heading.
fn section(name: &str) -> &'static str {
    let heading = format!("\n{name}:\n");
    let start = TEMPLATE
        .find(&heading)
        .unwrap_or_else(|| panic!("template.yaml has no {name}"))
        + heading.len();
    let rest = &TEMPLATE[start..];
    let mut end = 0;
    for line in rest.split_inclusive('\n') {
        if !line.trim().is_empty() && !line.starts_with(' ') && !line.starts_with('#') {
            break;
        }
        end += line.len();
    }
    &rest[..end]
}

/// Each deployed function: its binary and the variables its own block sets.
fn functions() -> Vec<(String, Vec<String>)> {
    entries(section("Resources"))
        .iter()
        .filter(|e| e.contains("Type: AWS::Serverless::Function"))
        .map(|e| {
            let binary = e
                .lines()
                .find_map(|l| l.trim().strip_prefix("Binary: "))
                .unwrap_or_else(|| panic!("a function without a Binary: {e}"));
            let vars = variables(e).into_iter().map(String::from).collect();
            (binary.to_string(), vars)
        })
        .collect()
}

fn setting(name: &str) -> &'static Setting {
    SETTINGS
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("template.yaml sets {name}, which is not in the settings table"))
}

#[test]
fn the_template_sets_only_settings_of_the_table_on_functions_that_read_them() {
    let globals = variables(section("Globals"));
    assert!(!globals.is_empty(), "the Globals' variables");
    assert!(functions().len() >= 10, "the template's functions");
    for name in &globals {
        let s = setting(name);
        assert!(
            functions().iter().any(|(binary, _)| s.is_read_by(binary)),
            "{name} is set for every function but no deployed one reads it"
        );
    }
    for (binary, vars) in functions() {
        for name in vars {
            assert!(
                setting(&name).is_read_by(&binary),
                "template.yaml sets {name} on {binary}, which the table says does not read it"
            );
        }
    }
}

#[test]
fn every_required_setting_is_set_where_a_deployed_function_reads_it() {
    let globals = variables(section("Globals"));
    let functions = functions();
    for s in SETTINGS {
        for reader in s.read_by {
            let Some((_, vars)) = functions.iter().find(|(b, _)| b == reader) else {
                assert!(TOOLS.contains(reader), "{}: no binary {reader}", s.name);
                continue;
            };
            if let Unset::Required(_) = s.unset {
                assert!(
                    globals.contains(&s.name) || vars.iter().any(|v| v == s.name),
                    "{reader} needs {} but template.yaml does not set it",
                    s.name
                );
            }
        }
    }
}

/// A variable set from a number parameter: the parameter's default is the
/// table's, and its bounds lie within the table's range.
#[test]
fn number_parameters_agree_with_the_table() {
    let parameters = entries(section("Parameters"));
    let mut checked = 0;
    for line in TEMPLATE.lines() {
        let Some((name, value)) = line.trim().split_once(": !Ref ") else {
            continue;
        };
        let (Some(s), Some(p)) = (
            SETTINGS.iter().find(|s| s.name == name),
            parameters
                .iter()
                .find(|p| p.trim_start().starts_with(&format!("{value}:"))),
        ) else {
            continue;
        };
        let Shape::WholeNumber { min, max, .. } = s.shape else {
            continue;
        };
        let field = |f: &str| {
            p.lines()
                .find_map(|l| l.trim().strip_prefix(f))
                .and_then(|v| v.trim().trim_matches('"').parse::<i64>().ok())
        };
        assert_eq!(
            field("Default:"),
            s.default_number().ok(),
            "{name} ({value})"
        );
        let (lo, hi) = (field("MinValue:"), field("MaxValue:"));
        assert!(
            lo.is_some_and(|lo| lo >= min),
            "{name}: {value}'s MinValue {lo:?} < {min}"
        );
        assert!(
            hi.is_some_and(|hi| hi <= max),
            "{name}: {value}'s MaxValue {hi:?} > {max}"
        );
        checked += 1;
    }
    assert!(checked >= 7, "only {checked} number parameters found");
}

/// Every `"LIFELINE_…"` name the functions' and tools' Rust code reads or
/// sets is a table entry (the end-to-end harness's own `LIFELINE_E2E*`
/// and `LIFELINE_URL`, under tests/, are not settings).
#[test]
fn every_variable_named_in_the_code_is_in_the_table() {
    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() && !path.ends_with("target") {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = vec![];
    for dir in ["functions", "infra"] {
        rust_files(&repo_file(dir), &mut files);
    }
    assert!(files.len() > 50, "the sources: {}", files.len());
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for piece in text.split("\"LIFELINE_").skip(1) {
            let rest: String = piece
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if rest.is_empty() || !piece[rest.len()..].starts_with('"') {
                continue;
            }
            let name = format!("LIFELINE_{rest}");
            assert!(
                SETTINGS.iter().any(|s| s.name == name),
                "{file:?} names {name}, which is not in the settings table"
            );
        }
    }
}
