use super::*;

fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    Settings::from_lookup(|k| {
        vars.iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.to_string())
    })
}

#[test]
fn the_dial_cache_is_a_minute_by_default_and_bounded() {
    assert_eq!(settings(&[]).unwrap().dial_cache, Duration::seconds(60));
    let off = settings(&[("LIFELINE_DIAL_CACHE_SECONDS", "0")]).unwrap();
    assert_eq!(off.dial_cache, Duration::zero());
    for bad in ["601", "-1", "1m"] {
        let e = settings(&[("LIFELINE_DIAL_CACHE_SECONDS", bad)]).unwrap_err();
        assert!(e.to_string().contains("LIFELINE_DIAL_CACHE_SECONDS"), "{e}");
    }
}

#[test]
fn a_registered_location_is_fresh_for_a_shift_by_default() {
    let s = settings(&[]).unwrap();
    assert_eq!(s.location_fresh_for, Duration::hours(12));
    let week = settings(&[("LIFELINE_LOCATION_FRESH_HOURS", "168")]).unwrap();
    assert_eq!(week.location_fresh_for, Duration::hours(168));
    for bad in ["0", "169", "12h"] {
        let e = settings(&[("LIFELINE_LOCATION_FRESH_HOURS", bad)]).unwrap_err();
        assert!(
            e.to_string().contains("LIFELINE_LOCATION_FRESH_HOURS"),
            "{e}"
        );
    }
}

#[test]
fn the_dial_budget_defaults_to_two_and_a_half_seconds() {
    let s = settings(&[]).expect("defaults");
    assert_eq!(s.dial_budget.as_millis(), 2500);
    // A third of it: a read, a lease write and the record that settles it.
    assert_eq!(s.dial_attempt().as_millis(), 833);
}

#[test]
fn a_budget_the_function_cannot_honour_stops_the_cold_start() {
    let err = settings(&[
        ("LIFELINE_DIAL_BUDGET_MS", "4500"),
        ("LIFELINE_FUNCTION_TIMEOUT_S", "5"),
    ])
    .expect_err("4.5 s of a 5 s function");
    assert!(err.to_string().contains("LIFELINE_DIAL_BUDGET_MS"), "{err}");
    assert!(err.to_string().contains("at most 4000"), "{err}");
    let ok = settings(&[
        ("LIFELINE_DIAL_BUDGET_MS", "4000"),
        ("LIFELINE_FUNCTION_TIMEOUT_S", "5"),
    ])
    .expect("1 s to spare");
    assert_eq!(ok.dial_budget.as_millis(), 4000);
    assert!(settings(&[("LIFELINE_FUNCTION_TIMEOUT_S", "soon")]).is_err());
    // The default budget does not fit a 3 s function either.
    assert!(settings(&[("LIFELINE_FUNCTION_TIMEOUT_S", "3")]).is_err());
}

#[test]
fn fallback_recipients_are_a_validated_list_empty_by_default() {
    assert!(settings(&[])
        .expect("defaults")
        .fallback_recipients
        .is_empty());
    let s = settings(&[(
        "LIFELINE_FALLBACK_RECIPIENTS",
        " Security-Desk@Example.com ; ops@example.com;",
    )])
    .expect("a list");
    assert_eq!(
        s.fallback_recipients.joined(),
        "Security-Desk@example.com; ops@example.com"
    );
    let err = settings(&[(
        "LIFELINE_FALLBACK_RECIPIENTS",
        "desk@example.com; not-an-address",
    )])
    .expect_err("a bad address stops the cold start");
    assert!(
        err.to_string().contains("LIFELINE_FALLBACK_RECIPIENTS")
            && err.to_string().contains("not-an-address"),
        "{err}"
    );
}

#[test]
fn chat_hosts_are_an_exact_list_empty_by_default() {
    let none = settings(&[]).expect("defaults");
    assert_eq!(none.chat_allowed_hosts.as_slice(), &[] as &[String]);
    let s = settings(&[(
        "LIFELINE_CHAT_ALLOWED_HOSTS",
        " Hooks.Slack.com, chat.googleapis.com ,",
    )])
    .expect("a list");
    assert_eq!(
        s.chat_allowed_hosts.joined(),
        "hooks.slack.com,chat.googleapis.com"
    );
    let err = settings(&[("LIFELINE_CHAT_ALLOWED_HOSTS", "https://hooks.slack.com")])
        .expect_err("a URL is no host name");
    assert!(
        err.to_string().contains("LIFELINE_CHAT_ALLOWED_HOSTS"),
        "{err}"
    );
}

#[test]
fn each_request_gets_a_third_of_the_budget_at_most_the_sdk_attempt() {
    let s = settings(&[("LIFELINE_DIAL_BUDGET_MS", "600")]).expect("600 ms");
    assert_eq!(s.dial_attempt().as_millis(), 200);
    let s = settings(&[("LIFELINE_DIAL_BUDGET_MS", "4000")]).expect("4 s");
    assert_eq!(s.dial_attempt(), DIAL_ATTEMPT_TIMEOUT);
}

/// The template's minimums make a mid-call loss impossible: an active
/// call holds its number for the active-call limit, and the quarantine
/// (at least the window) comes on top.
#[test]
fn a_number_cannot_be_configured_to_leave_an_active_call_early() {
    let too_short = settings(&[("LIFELINE_ACTIVE_CALL_LIMIT_MINUTES", "30")]);
    assert!(too_short.is_err());
    let no_quarantine = settings(&[("LIFELINE_QUARANTINE_MINUTES", "0")]);
    assert!(no_quarantine.is_err());
    let raised = settings(&[
        ("LIFELINE_CALLBACK_WINDOW_MINUTES", "90"),
        ("LIFELINE_QUARANTINE_MINUTES", "60"),
    ])
    .expect("a longer window alone never stops a cold start");
    assert_eq!(
        raised.lease.quarantine.num_minutes(),
        90,
        "the quarantine is at least the window"
    );
    let least = settings(&[
        ("LIFELINE_ACTIVE_CALL_LIMIT_MINUTES", "120"),
        ("LIFELINE_QUARANTINE_MINUTES", "60"),
    ])
    .expect("the minimums");
    assert_eq!(
        (least.lease.active_call_limit + least.lease.quarantine).num_hours(),
        3
    );
}
