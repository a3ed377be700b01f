use super::*;
use lifeline_domain::testing::docs::read;
use std::collections::BTreeSet;

const TEMPLATE: &str = include_str!("../../../../template.yaml");

/// A route: method, path, the function (its binary) that serves it.
type TemplateRoute = (String, String, String);

/// The template's top-level entries (two-space indent), each with its body.
fn template_entries() -> Vec<String> {
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
fn value_of<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.trim()
        .strip_prefix(key)?
        .strip_prefix(": ")
        .map(str::trim)
}

/// Every `HttpApi` event of every function in template.yaml.
fn template_routes() -> Vec<TemplateRoute> {
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

/// template.yaml's functions: (logical id, binary).
fn template_functions() -> BTreeSet<(String, String)> {
    template_entries()
        .iter()
        .filter(|e| e.contains("\n    Type: AWS::Serverless::Function"))
        .map(|e| {
            let id = e.trim().lines().next().unwrap_or("").trim_end_matches(':');
            let binary = e.lines().find_map(|l| value_of(l, "Binary")).unwrap_or("");
            (id.to_string(), binary.to_string())
        })
        .collect()
}

/// A function's entry in template.yaml, whole.
fn template_entry(logical_id: &str) -> String {
    template_entries()
        .into_iter()
        .find(|e| e.trim_start().starts_with(&format!("{logical_id}:")))
        .unwrap_or_else(|| panic!("template.yaml has no {logical_id}"))
}

#[test]
fn the_template_deploys_exactly_the_registered_functions() {
    let registered: BTreeSet<(String, String)> = FUNCTIONS
        .iter()
        .map(|f| (f.logical_id.to_string(), f.name.to_string()))
        .collect();
    assert_eq!(registered.len(), FUNCTIONS.len(), "a function listed twice");
    assert_eq!(template_functions(), registered, "(logical id, Binary)");
}

#[test]
fn the_templates_http_routes_are_the_registered_ones() {
    let registered: BTreeSet<(String, String, String)> = FUNCTIONS
        .iter()
        .flat_map(|f| {
            f.routes()
                .map(|r| (r.method.to_string(), r.path.to_string(), f.name.to_string()))
        })
        .collect();
    let template = template_routes();
    assert_eq!(
        template.len(),
        TEMPLATE.matches("Type: HttpApi\n").count(),
        "every HttpApi event is a function's"
    );
    let template: BTreeSet<_> = template.into_iter().collect();
    assert_eq!(template, registered, "(method, path, function)");
}

#[test]
fn each_trigger_is_the_templates_event_source() {
    for f in FUNCTIONS {
        let entry = template_entry(f.logical_id);
        for trigger in f.triggers {
            let wanted = match trigger {
                Trigger::Http(_) => "Type: HttpApi",
                Trigger::Bus(_) => "EventBusName: !Ref LifelineEventBus",
                Trigger::TableStream => "Type: DynamoDB",
                Trigger::Outbox => "Queue: !GetAtt CallOutboxQueue.Arn",
                Trigger::Connect => "source: [aws.connect]",
                // The schedules are made at run time; the template lets
                // the scheduler's role invoke this function.
                Trigger::Schedule => continue,
            };
            assert!(
                entry.contains(wanted),
                "{}: {trigger:?} needs `{wanted}` in template.yaml",
                f.name
            );
        }
        if let Some(Trigger::Bus(rule)) = f.triggers.iter().find(|t| matches!(t, Trigger::Bus(_))) {
            assert_eq!(rule.function, f.name, "{}'s rule", f.name);
        }
    }
    let scheduler = template_entries()
        .into_iter()
        .find(|e| {
            e.contains("Service: scheduler.amazonaws.com") && e.contains("lambda:InvokeFunction")
        })
        .expect("the scheduler's role");
    for f in FUNCTIONS
        .iter()
        .filter(|f| f.triggers.iter().any(|t| matches!(t, Trigger::Schedule)))
    {
        assert!(
            scheduler.contains(&format!("function:lifeline-${{Stage}}-{}", f.name)),
            "the scheduler may invoke {}",
            f.name
        );
    }
}

#[test]
fn every_function_is_a_workspace_member_with_its_binary() {
    let manifest = read("Cargo.toml");
    let crates: BTreeSet<String> =
        std::fs::read_dir(lifeline_domain::testing::docs::repo_file("functions"))
            .expect("functions/")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "lib")
            .collect();
    let registered: BTreeSet<String> = names().map(String::from).collect();
    assert_eq!(crates, registered, "the crates under functions/");
    assert!(
        manifest.contains("members = [\"functions/[!l]*\", \"functions/lib/*\"")
            && manifest.contains("default-members = [\"functions/[!l]*\", \"functions/lib/*\"]"),
        "the workspace and its default members take every crate under functions/"
    );
    for name in names() {
        // The glob that skips lib/ skips any name starting with `l`.
        assert!(
            !name.starts_with('l'),
            "{name}: rename it, or list it in Cargo.toml's members"
        );
        let own = read(&format!("functions/{name}/Cargo.toml"));
        assert!(
            own.contains(&format!("[[bin]]\nname = \"{name}\"")),
            "functions/{name} builds the binary {name}"
        );
    }
}

#[test]
fn a_path_finds_its_function() {
    let at = |p| serving(p).map(|f| f.name);
    assert_eq!(at("/calls/outbound"), Some("dial-intake"));
    assert_eq!(at("/agents/a-42/presence"), Some("presence-api"));
    assert_eq!(at("/agents/a-42/location"), Some("presence-api"));
    assert_eq!(at("/twilio/status"), Some("twilio-adapter"));
    assert_eq!(at("/agents//presence"), None);
    assert_eq!(at("/agents/a-42/presence/x"), None);
    assert_eq!(at("/calls"), None);
    assert_eq!(at("/"), None);
    // API Gateway takes `/console/` for `/console`.
    for console in [
        "/console",
        "/console/",
        "/console/pools",
        "/console/api/board",
        "/console/api/incidents/c-1/acknowledge",
        "/console/incidents/c-1",
    ] {
        assert_eq!(at(console), Some("console"), "{console}");
    }
    assert_eq!(at("/console/api/a/b/c/d"), None);
}

#[test]
fn a_function_is_named_as_aws_names_it() {
    for f in FUNCTIONS {
        assert_eq!(named(f.logical_id).map(|n| n.name), Some(f.name));
        assert_eq!(named(f.name).map(|n| n.name), Some(f.name));
    }
    let name = |n| named(n).map(|f| f.name);
    assert_eq!(name("nope"), None);
    assert_eq!(name("lifeline-local-notifier"), Some("notifier"));
    assert_eq!(
        name("arn:aws:lambda:us-east-1:000000000000:function:lifeline-e2e-1-stream-events:$LATEST"),
        Some("stream-events")
    );
    assert_eq!(name("lifeline-local-call-events"), Some("call-events"));
}

#[test]
fn every_settings_reader_is_a_function_or_a_tool() {
    const TOOLS: [&str; 3] = ["lifeline", "lifeline-local", "lifeline-bench"];
    for setting in lifeline_app::settings::SETTINGS {
        for reader in setting.read_by {
            assert!(
                named(reader).is_some() || TOOLS.contains(reader),
                "{} is read by `{reader}`: neither a registered function nor a tool",
                setting.name
            );
        }
    }
}

/// The console's data and actions, and nothing else, are behind the JWT
/// authorizer: a page shell carries no data, and every other route keeps
/// its own signature.
#[test]
fn the_jwt_authorizer_guards_the_consoles_api_and_nothing_else() {
    let mut guarded = 0;
    for entry in template_entries() {
        for event in entry.split("Type: ").skip(1) {
            if !event.starts_with("HttpApi\n") {
                continue;
            }
            let path = event
                .lines()
                .find_map(|l| value_of(l, "Path"))
                .unwrap_or_default();
            let authorized = event.contains("Authorizer: ConsoleAuthorizer");
            assert_eq!(
                authorized,
                path.starts_with(CONSOLE_API),
                "{path}: the authorizer is on the console's API alone"
            );
            guarded += usize::from(authorized);
        }
    }
    let api_routes = FUNCTIONS
        .iter()
        .flat_map(|f| f.routes())
        .filter(|r| r.path.starts_with(CONSOLE_API))
        .count();
    assert_eq!(guarded, api_routes);
    assert!(api_routes >= 4);
}
