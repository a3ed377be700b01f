use super::*;
use crate::call::{AgentProfile, EmergencyCall, Location};
use crate::location::LocationSource;
use crate::recipient::Recipients;
use crate::testing::{self, at};
use crate::types::{CallId, Email};

/// A 112 (a 933 when a test) from the US, presenting a leased number whose
/// lease ran to an hour after the dial.
fn call(test: bool, location: Option<Location>) -> EmergencyCall {
    let dialed_at = at("2026-11-24T05:00:00Z");
    EmergencyCall {
        dialed: if test { "933" } else { "112" }.into(),
        emergency_number: if test { "933" } else { "911" }.into(),
        test,
        location_source: location.as_ref().map(|_| LocationSource::Call),
        location,
        caller_id: "+14255550199".parse().unwrap(),
        leased_number: Some("+14255550199".parse().unwrap()),
        callback_expires_at: Some(dialed_at + chrono::Duration::hours(1)),
        ..testing::call("c-1", "a-42", dialed_at)
    }
}

fn ana() -> AgentProfile {
    AgentProfile {
        name: "Ana <b>Diaz</b>".into(),
        email: "ana@example.com".parse().ok(),
        recipients: Recipients::default(),
        ..testing::agent("a-42")
    }
}

#[test]
fn a_registered_dispatchable_location_reads_aloud_with_its_quality_and_source() {
    use crate::location::CivicKey::*;
    let loc = Location {
        country: Some("US".into()),
        civic: [
            (NAM, "Smith & Sons <HQ>"),
            (FLR, "3"),
            (ROOM, "301"),
            (HNO, "1"),
            (RD, "Main St"),
            (A3, "Redmond"),
            (A1, "WA"),
            (PC, "98052"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect(),
        lat: Some(47.6),
        lon: Some(-122.1),
        radius_m: Some(30.0),
        ..Default::default()
    };
    let mut c = call(false, Some(loc));
    c.location_source = Some(LocationSource::Registered);
    let d = notification_data(&c, Some(&ana()), chrono::Duration::minutes(60));
    assert_eq!(d.location_quality.as_deref(), Some("dispatchable"));
    assert_eq!(d.location_source.as_deref(), Some("registered"));
    let e = render(&NotificationTemplate::builtin(), &d).unwrap();
    for line in ["Floor 3, Room 301", "1 Main St", "Redmond", "WA 98052"] {
        assert!(e.text.contains(line), "{line} in\n{}", e.text);
        assert!(e.html.contains(line), "{line}");
    }
    assert!(e.text.contains("Smith & Sons <HQ>"));
    assert!(e.html.contains("Smith &amp; Sons &lt;HQ&gt;"));
    assert!(!e.html.contains("<HQ>"));
    assert!(e.text.contains("47.6, -122.1 (within 30 m)"), "{}", e.text);
    assert!(e.text.contains("Dispatchable"));
    assert!(e.text.contains("the location the agent registered"));
    // Coordinates are text, never a link (the only link is the agent's mailto).
    assert_eq!(e.html.matches("href").count(), 1);
    assert!(e.html.contains("href=\"mailto:"));

    let mut partial = call(
        false,
        Some(Location {
            country: Some("US".into()),
            address: Some("somewhere on Main St".into()),
            ..Default::default()
        }),
    );
    partial.location_source = Some(LocationSource::Call);
    let d = notification_data(&partial, None, chrono::Duration::minutes(60));
    let e = render(&NotificationTemplate::builtin(), &d).unwrap();
    assert!(e.text.contains("somewhere on Main St"));
    assert!(e.text.contains("Partial: not enough to reach the door"));
    assert!(e.text.contains("sent by the agent's desktop"));
}

#[test]
fn builtin_validates_and_renders_every_field() {
    validate(&NotificationTemplate::builtin()).unwrap();
    let loc = Location {
        country: Some("US".into()),
        address: Some("1 Main St <script>alert(1)</script>".into()),
        lat: Some(47.6),
        lon: Some(-122.1),
        ..Default::default()
    };
    let d = notification_data(&call(false, Some(loc)), Some(&ana()), HOUR);
    assert_eq!(d.dialed_at_local.as_deref(), Some("2026-11-23 21:00 PST"));
    let e = render(&NotificationTemplate::builtin(), &d).unwrap();
    assert_eq!(e.subject, "Emergency call to 112 by Ana <b>Diaz</b>");
    for needle in [
        "112",
        "placed as 911",
        "ana@example.com",
        "2026-11-24 05:00 UTC",
        "21:00 PST",
        "+14255550199",
        "valid until 60 minutes after the call ends",
        "47.6",
        "-122.1",
        "Direct offer",
        &d.reference,
    ] {
        assert!(e.html.contains(needle), "html lacks {needle}");
        assert!(e.text.contains(needle), "text lacks {needle}");
    }
    assert!(e.html.contains("Ana &lt;b&gt;Diaz"), "escaped");
    assert!(!e.html.contains("<b>Diaz"), "no markup from data");
    assert!(e.html.contains("&lt;script&gt;"), "escaped address");
    assert!(!e.html.contains("<script>"));
    assert!(!e.html.contains("<img"), "no remote images");
    assert!(
        !e.subject.contains("c-1") && !e.html.contains("c-1"),
        "no call id"
    );
    assert!(!e.html.contains("TEST"));
    // Not the dial time plus the window: the window runs from the end.
    assert!(!e.html.contains("06:00") && !e.text.contains("06:00"));
    assert!(
        !e.text.contains("that is until"),
        "the end is not known yet"
    );
}

const HOUR: chrono::Duration = chrono::Duration::minutes(60);

#[test]
fn the_window_runs_from_the_end_of_the_call_not_from_the_dial() {
    let c = call(false, None);
    let d = notification_data(&c, Some(&ana()), chrono::Duration::minutes(90));
    assert_eq!(d.callback_window_minutes, 90);
    assert_eq!(d.callback_valid_until, None, "not ended: no time stated");
    let e = render(&NotificationTemplate::builtin(), &d).unwrap();
    for part in [&e.text, &e.html] {
        assert!(
            part.contains("valid until 90 minutes after the call ends"),
            "{part}"
        );
        // The dial (05:00) plus the lease's window at the dial (06:00)
        // is not when the number stops being the agent's.
        assert!(!part.contains("06:00"), "{part}");
        assert!(!part.contains("own number"), "{part}");
    }
    assert!(
        e.text
            .lines()
            .any(|l| l.trim() == "valid until 90 minutes after the call ends"),
        "readable: its own line\n{}",
        e.text
    );

    // Ended at 05:20 when the e-mail is written: 05:20 + 90 min, stated.
    let mut ended = c.clone();
    ended.ended_at = Some(c.dialed_at + chrono::Duration::minutes(20));
    let d = notification_data(&ended, Some(&ana()), chrono::Duration::minutes(90));
    assert_eq!(
        d.callback_valid_until.as_deref(),
        Some("2026-11-24 06:50 UTC")
    );
    let e = render(&NotificationTemplate::builtin(), &d).unwrap();
    for part in [&e.text, &e.html] {
        assert!(
            part.contains("valid until 90 minutes after the call ends"),
            "{part}"
        );
        assert!(part.contains("until 2026-11-24 06:50 UTC"), "{part}");
    }

    // An earlier call's window that reaches further is not shortened.
    let mut longer = ended.clone();
    longer.callback_expires_at = Some(c.dialed_at + chrono::Duration::hours(3));
    assert_eq!(
        notification_data(&longer, None, chrono::Duration::minutes(90))
            .callback_valid_until
            .as_deref(),
        Some("2026-11-24 08:00 UTC")
    );
}

#[test]
fn a_call_with_no_number_known_never_shows_a_made_up_one() {
    let mut c = call(false, None);
    c.leased_number = None;
    c.degraded = true;
    c.caller_id = crate::types::E164::unknown();
    let d = notification_data(&c, Some(&ana()), HOUR);
    let e = render(&NotificationTemplate::builtin(), &d).unwrap();
    for part in [&e.text, &e.html] {
        assert!(part.contains("not known"), "{part}");
        assert!(!part.contains("+10000000000"), "{part}");
    }
}

#[test]
fn an_own_number_call_says_so_and_states_no_window() {
    let mut c = call(false, None);
    c.leased_number = None;
    c.callback_expires_at = None;
    c.degraded = true;
    c.caller_id = "+14255550100".parse().unwrap();
    c.ended_at = Some(c.dialed_at + chrono::Duration::minutes(5));
    let d = notification_data(&c, Some(&ana()), HOUR);
    assert!(d.callback_is_agent_number);
    assert_eq!(d.callback_valid_until, None);
    let e = render(&NotificationTemplate::builtin(), &d).unwrap();
    for part in [&e.text, &e.html] {
        assert!(part.contains("+14255550100"), "{part}");
        assert!(
            part.contains("the agent's own number") || part.contains("the agent&#x27;s own number"),
            "{part}"
        );
        assert!(!part.contains("valid until"), "{part}");
    }
}

#[test]
fn the_window_is_a_template_variable() {
    assert!(VARIABLES.contains(&"callback_window_minutes"));
    let mut t = NotificationTemplate::builtin();
    t.text = "Valid {{ callback_window_minutes }} min after the end{% if callback_valid_until %} ({{ callback_valid_until }}){% endif %}".into();
    validate(&t).unwrap();
    let d = notification_data(&call(false, None), None, chrono::Duration::minutes(120));
    assert_eq!(render(&t, &d).unwrap().text, "Valid 120 min after the end");
}

#[test]
fn recipient_tags_are_short_per_call_and_hold_no_address() {
    let a: Email = "ana@example.com".parse().unwrap();
    let b: Email = "bo@example.com".parse().unwrap();
    let c1: CallId = "c-1".parse().unwrap();
    let c2: CallId = "c-2".parse().unwrap();
    let t = recipient_tag(&c1, &a);
    assert_eq!(t.len(), 12);
    assert!(t.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(t, recipient_tag(&c1, &a), "stable");
    assert_ne!(t, recipient_tag(&c1, &b));
    assert_ne!(t, recipient_tag(&c2, &a), "per call");
}

#[test]
fn test_calls_and_missing_locations_say_so() {
    let e = render(
        &NotificationTemplate::builtin(),
        &notification_data(&call(true, None), Some(&ana()), HOUR),
    )
    .unwrap();
    assert!(e.subject.starts_with("[TEST] "));
    assert!(e.html.contains("TEST CALL"));
    assert!(e.text.contains("TEST CALL"));
    assert!(e.html.contains("Location not provided"));
    assert!(e.text.contains("Location not provided"));
}

#[test]
fn a_fallback_email_says_it_went_to_the_fallback_list() {
    let mut d = notification_data(&call(false, None), Some(&ana()), HOUR);
    let plain = render(&NotificationTemplate::builtin(), &d).unwrap();
    assert!(!plain.text.contains("fallback") && !plain.html.contains("fallback"));
    d.sent_to_fallback = true;
    let e = render(&NotificationTemplate::builtin(), &d).unwrap();
    assert_eq!(e.subject, plain.subject, "the subject says nothing new");
    for part in [&e.text, &e.html] {
        assert_eq!(part.matches("fallback recipient").count(), 1, "{part}");
        assert!(
            part.contains("notification list could not be used"),
            "{part}"
        );
    }
    // A stored template without the variable still says it, once, on top.
    let mut old = NotificationTemplate::builtin();
    old.text = "Call by {{ agent_name }}".into();
    old.html = "<html><body class=\"x\"><p>Call by {{ agent_name }}</p></body></html>".into();
    let e = render(&old, &d).unwrap();
    assert!(e.text.starts_with(FALLBACK_NOTE), "{}", e.text);
    assert!(e.text.ends_with("Call by Ana <b>Diaz</b>"));
    assert!(
        e.html.starts_with("<html><body class=\"x\">\n<p style=\"font-weight:700;\">You receive this as a fallback recipient: the agent&#x27;s own"),
        "{}",
        e.html
    );
    assert!(e.html.contains("Call by Ana &lt;b&gt;Diaz"));
    // Not a fallback: the stored template as it is.
    d.sent_to_fallback = false;
    assert_eq!(render(&old, &d).unwrap().text, "Call by Ana <b>Diaz</b>");
}

#[test]
fn broken_templates_name_the_part_and_line() {
    let mut t = NotificationTemplate::builtin();
    t.text = "line one\n{{ callback_number }}\n{{ agent_nmae }}\n".into();
    let e = validate(&t).unwrap_err();
    assert_eq!((e.part, e.line), ("text", Some(3)));
    assert!(e.detail.contains("agent_nmae"), "{e}");
    let mut t = NotificationTemplate::builtin();
    t.html = "<p>\n{% if test %}\nunclosed\n".into();
    let e = validate(&t).unwrap_err();
    assert_eq!(e.part, "html");
    assert!(e.line.is_some(), "{e}");
    let mut t = NotificationTemplate::builtin();
    t.subject = "{% if false %}x{% endif %}".into();
    assert!(validate(&t).is_err(), "an empty subject");
}

#[test]
fn local_zones() {
    let l = |c: &str, lat, lon| Location {
        country: Some(c.into()),
        address: None,
        lat,
        lon,
        ..Default::default()
    };
    assert_eq!(
        local_zone(&l("GB", None, None)),
        Some(chrono_tz::Europe::London)
    );
    assert_eq!(
        local_zone(&l("US", Some(40.7), Some(-74.0))),
        Some(chrono_tz::America::New_York)
    );
    assert_eq!(
        local_zone(&l("US", Some(21.3), Some(-157.8))),
        Some(chrono_tz::Pacific::Honolulu)
    );
    assert_eq!(
        local_zone(&l("US", None, None)),
        None,
        "no guess without coordinates"
    );
    assert_eq!(local_zone(&l("FR", Some(48.8), Some(2.3))), None);
}
