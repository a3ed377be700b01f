use super::*;
use chrono::Duration;
use std::collections::HashMap;

fn cfg(mode: Mode, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let m: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(mode, |k| m.get(k).cloned())
}

#[test]
fn defaults_and_validation() {
    let c = cfg(Mode::Local, &[]).unwrap();
    assert_eq!(c.table, "lifeline");
    assert_eq!(c.settings.lease.window, Duration::minutes(60));
    assert_eq!(c.settings.record_retention, Duration::hours(24));
    assert!(matches!(
        cfg(Mode::Lambda, &[]),
        Err(ConfigError::Missing("LIFELINE_WEBHOOK_SECRET"))
    ));
    assert!(cfg(
        Mode::Lambda,
        &[(
            "LIFELINE_WEBHOOK_SECRET",
            "a-webhook-secret-of-32-bytes-ok!"
        )]
    )
    .is_ok());
    assert!(cfg(Mode::Local, &[("LIFELINE_CALLBACK_WINDOW_MINUTES", "30")]).is_err());
    assert!(cfg(Mode::Local, &[("LIFELINE_CALLBACK_WINDOW_MINUTES", "abc")]).is_err());
    assert!(cfg(Mode::Local, &[("LIFELINE_OUTSIDE_LINE_PREFIX", "9x")]).is_err());
    assert!(cfg(Mode::Local, &[("LIFELINE_TABLE", "bad name")]).is_err());
    assert!(cfg(
        Mode::Local,
        &[("LIFELINE_LEASE_UNSUPPORTED_LOCATIONS", "yes")]
    )
    .is_err());
    let c = cfg(
        Mode::Local,
        &[("LIFELINE_CALLBACK_FALLBACK", "queue:supervisors, a-1 ,")],
    )
    .unwrap();
    assert_eq!(
        c.settings.callback_fallback,
        vec!["queue:supervisors", "a-1"]
    );
}

/// Whether `c`'s secret verifies a request it signed itself just now.
fn accepts_its_own_signature(c: &Config) -> bool {
    let now = chrono::Utc::now();
    let signed = || crate::webhook::Signed::post("/calls/outbound", b"{}");
    let header = c.webhook_secret.sign(now.timestamp(), signed());
    c.webhook_secret
        .verify(Some(&header), signed(), now)
        .is_ok()
}

#[test]
fn stream_functions_need_no_webhook_secret() {
    let none = |_: &str| None::<String>;
    // A webhook function on Lambda cannot start without it...
    assert!(matches!(
        Config::from_lookup(Mode::Lambda, none),
        Err(ConfigError::Missing("LIFELINE_WEBHOOK_SECRET"))
    ));
    // ...a stream consumer can, and its secret accepts no signature.
    let c = Config::from_lookup_without_secret(Mode::Lambda, none).unwrap();
    assert!(!accepts_its_own_signature(&c));
    // The other settings are still read and validated.
    assert!(Config::from_lookup_without_secret(Mode::Lambda, |k| {
        (k == "LIFELINE_CALLBACK_WINDOW_MINUTES").then(|| "30".into())
    })
    .is_err());
    // A secret given anyway is used; a bad one is still refused.
    let c = Config::from_lookup_without_secret(Mode::Lambda, |k| {
        (k == "LIFELINE_WEBHOOK_SECRET").then(|| "a-webhook-secret-of-32-bytes-ok!".into())
    })
    .unwrap();
    assert!(accepts_its_own_signature(&c));
    assert!(Config::from_lookup_without_secret(Mode::Lambda, |k| {
        (k == "LIFELINE_WEBHOOK_SECRET").then(|| "short".into())
    })
    .is_err());
}

/// On AWS a webhook secret under 32 bytes is refused at cold start, from
/// the plain variable or from Secrets Manager (the refresher's handle); the
/// local one may be shorter.
#[test]
fn on_aws_a_short_webhook_secret_is_refused() {
    let plain =
        |v: &'static str| move |k: &str| (k == "LIFELINE_WEBHOOK_SECRET").then(|| v.to_string());
    assert!(matches!(
        Config::from_lookup(Mode::Lambda, plain("local-secret")),
        Err(ConfigError::Invalid { .. })
    ));
    assert!(Config::from_lookup(Mode::Local, plain("local-secret")).is_ok());
    let c = Config::from_lookup_without_secret(Mode::Lambda, |_| None).unwrap();
    assert!(c
        .webhook_secret
        .rotate("only-twenty-bytes-ok", None)
        .is_err());
    assert!(!c.webhook_secret.is_set());
    assert!(c
        .webhook_secret
        .rotate("a-webhook-secret-of-32-bytes-ok!", Some("short-previous"))
        .is_ok());
    assert!(accepts_its_own_signature(&c));
}

/// The dial budget is checked against `LIFELINE_FUNCTION_TIMEOUT_S`:
/// each function that sets it must really have that timeout (the
/// Globals' one, not overridden), and the template's budget must fit.
#[test]
fn the_template_states_the_call_path_timeout_truly() {
    let template = include_str!("../../../../../template.yaml");
    let global = template
        .split("\nGlobals:")
        .nth(1)
        .and_then(|g| g.lines().find_map(|l| l.trim().strip_prefix("Timeout: ")))
        .expect("a global Timeout");
    // Top-level entries (two-space indent) with their bodies.
    let mut entries: Vec<String> = vec![];
    for line in template.lines() {
        let top = line.starts_with("  ") && !line.starts_with("   ") && line.len() > 2;
        match entries.last_mut() {
            Some(e) if !top => {
                e.push('\n');
                e.push_str(line);
            }
            _ => entries.push(line.to_string()),
        }
    }
    let functions: Vec<&String> = entries
        .iter()
        .filter(|r| r.contains("Type: AWS::Serverless::Function"))
        .collect();
    let stating: Vec<&&String> = functions
        .iter()
        .filter(|f| f.contains("LIFELINE_FUNCTION_TIMEOUT_S"))
        .collect();
    assert_eq!(stating.len(), 3, "dial-intake and the two adapters");
    for f in stating {
        assert!(
            f.contains(&format!("LIFELINE_FUNCTION_TIMEOUT_S: \"{global}\"")),
            "{f}"
        );
        assert!(
            !f.contains("\n      Timeout:"),
            "overrides the timeout: {f}"
        );
    }
    let budget_max = template
        .split("DialBudgetMs:")
        .nth(1)
        .and_then(|p| p.lines().find_map(|l| l.trim().strip_prefix("MaxValue: ")))
        .expect("DialBudgetMs MaxValue");
    let settings = lifeline_app::settings::Settings::from_lookup(|k| match k {
        "LIFELINE_DIAL_BUDGET_MS" => Some(budget_max.to_string()),
        "LIFELINE_FUNCTION_TIMEOUT_S" => Some(global.to_string()),
        _ => None,
    });
    assert!(
        settings.is_ok(),
        "the largest DialBudgetMs fits: {settings:?}"
    );
    // The smallest is the settings' too, and a lease can still be written in it.
    let budget_min = template
        .split("DialBudgetMs:")
        .nth(1)
        .and_then(|p| p.lines().find_map(|l| l.trim().strip_prefix("MinValue: ")))
        .expect("DialBudgetMs MinValue");
    let least = |ms: u64| {
        lifeline_app::settings::Settings::from_lookup(|k| {
            (k == "LIFELINE_DIAL_BUDGET_MS").then(|| ms.to_string())
        })
    };
    let min: u64 = budget_min.parse().expect("a number");
    let settings = least(min).expect("the smallest DialBudgetMs is accepted");
    assert!(least(min - 1).is_err(), "and nothing smaller");
    assert!(
        settings.dial_budget >= settings.dial_attempt() + lifeline_app::settings::MIN_LEASE_WRITE,
        "a lease write fits in the smallest budget: {settings:?}"
    );
}
