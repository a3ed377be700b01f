//! The emergency-call e-mail: its data (pure), Lifeline's own template
//! (editable, versioned, validated by rendering sample data) and rendering
//! with HTML auto-escaping.

use chrono::{DateTime, Utc};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

use crate::call::{AgentProfile, EmergencyCall, Location};
use crate::location::{spoken_lines, LocationQuality, LocationSource};
use crate::numbers::Country;
use crate::route::Route;
use crate::types::{CallId, Email};

pub const TEMPLATE_NAME: &str = "EmergencyCallNotification";

/// The three parts of the template, as files an admin edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationTemplate {
    pub subject: String,
    pub html: String,
    pub text: String,
    /// 0 for the built-in default; stored versions count from 1.
    pub version: u64,
}

impl NotificationTemplate {
    /// The default compiled into the binaries (`infra/templates/`).
    pub fn builtin() -> Self {
        NotificationTemplate {
            subject: include_str!(
                "../../../../infra/templates/emergency-call-notification/subject.txt"
            )
            .into(),
            html: include_str!("../../../../infra/templates/emergency-call-notification/body.html")
                .into(),
            text: include_str!("../../../../infra/templates/emergency-call-notification/body.txt")
                .into(),
            version: 0,
        }
    }
}

/// Everything a template may use (and nothing else: an unknown variable is an error).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotificationData {
    pub test: bool,
    pub dialed: String,
    pub emergency_number: String,
    pub agent_name: String,
    pub agent_email: Option<String>,
    pub dialed_at_utc: String,
    pub dialed_at_local: Option<String>,
    pub callback_number: String,
    /// The callback window: the number stays the agent's until this many
    /// minutes after the call ends (after the end of the agent's last
    /// emergency call; `LIFELINE_CALLBACK_WINDOW_MINUTES`).
    pub callback_window_minutes: i64,
    /// When the window ends, only when that is known at send time (the call
    /// had already ended): never a guess from the dial time.
    pub callback_valid_until: Option<String>,
    pub callback_is_agent_number: bool,
    /// A location is known: the dial's own, or the agent's registered one.
    pub location_provided: bool,
    /// The location as lines a person reads aloud (name, floor and room,
    /// street and number, city, region and postcode, country); empty when
    /// only coordinates or the country are known.
    pub location_lines: Vec<String>,
    /// `dispatchable`, `partial` or `country_only` (none: nothing known).
    pub location_quality: Option<String>,
    pub location_quality_description: Option<String>,
    /// `call`, `registered` or `profile_country`.
    pub location_source: Option<String>,
    pub location_source_description: Option<String>,
    /// The free text the desktop sent, as sent.
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The coordinates' uncertainty, in whole metres.
    pub radius_m: Option<u32>,
    pub country: Option<String>,
    pub route: String,
    pub route_description: String,
    /// A short reference to the call (not its id).
    pub reference: String,
    /// Sent to the configured fallback recipients (the security desk)
    /// because the agent's own list could not be used.
    pub sent_to_fallback: bool,
}

pub const VARIABLES: [&str; 26] = [
    "test",
    "dialed",
    "emergency_number",
    "agent_name",
    "agent_email",
    "dialed_at_utc",
    "dialed_at_local",
    "callback_number",
    "callback_window_minutes",
    "callback_valid_until",
    "callback_is_agent_number",
    "location_provided",
    "location_lines",
    "location_quality",
    "location_quality_description",
    "location_source",
    "location_source_description",
    "address",
    "latitude",
    "longitude",
    "radius_m",
    "country",
    "route",
    "route_description",
    "reference",
    "sent_to_fallback",
];

/// What a fallback e-mail says about its recipients, whatever the template:
/// a stored template that does not use `sent_to_fallback` gets this line on
/// top of its text and HTML parts.
pub const FALLBACK_NOTE: &str = "You receive this as a fallback recipient: the agent's own notification list could not be used.";

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The local time zone a location gives: the country's, or, in the US and
/// Canada, one told by the longitude (approximate; no tz shapes shipped).
pub fn local_zone(l: &Location) -> Option<chrono_tz::Tz> {
    use chrono_tz::America as Am;
    let country = l
        .country
        .as_deref()
        .and_then(|c| c.parse::<Country>().ok())?;
    match (country, l.lat, l.lon) {
        (Country::GB, ..) => Some(chrono_tz::Europe::London),
        (Country::DK, ..) => Some(chrono_tz::Europe::Copenhagen),
        (Country::PR, ..) => Some(Am::Puerto_Rico),
        (Country::US, Some(lat), Some(lon)) => Some(match lon {
            _ if lat < 23.0 && lon < -150.0 => chrono_tz::Pacific::Honolulu,
            _ if lon < -130.0 => Am::Anchorage,
            _ if lon < -114.5 => Am::Los_Angeles,
            _ if lon < -101.0 => Am::Denver,
            _ if lon < -85.5 => Am::Chicago,
            _ => Am::New_York,
        }),
        (Country::CA, Some(_), Some(lon)) => Some(match lon {
            _ if lon < -120.0 => Am::Vancouver,
            _ if lon < -110.0 => Am::Edmonton,
            _ if lon < -101.5 => Am::Regina,
            _ if lon < -89.0 => Am::Winnipeg,
            _ if lon < -61.0 => Am::Toronto,
            _ if lon < -57.0 => Am::Halifax,
            _ => Am::St_Johns,
        }),
        _ => None,
    }
}

fn quality_description(q: LocationQuality) -> &'static str {
    match q {
        LocationQuality::Dispatchable => "Dispatchable: the street address is complete",
        LocationQuality::Partial => {
            "Partial: not enough to reach the door; confirm the address with the agent"
        }
        LocationQuality::CountryOnly => "Country only: no address is known",
    }
}

fn source_description(s: LocationSource) -> &'static str {
    match s {
        LocationSource::Call => "sent by the agent's desktop with the call",
        LocationSource::Registered => "the location the agent registered (none came with the call)",
        LocationSource::ProfileCountry => {
            "the agent profile's country (no location came with the call or was registered)"
        }
    }
}

fn route_description(route: Route) -> &'static str {
    match route {
        Route::DirectOffer => "Direct offer (calling plan)",
        Route::DirectRouting => "Direct routing (through the carrier's trunk)",
    }
}

/// The e-mail's data for a call (pure). `window` is the callback window
/// (`LeasePolicy::window`): the leased number stays the agent's until that
/// long after the end of the agent's last emergency call, so the end of it is
/// stated only once the call has ended.
pub fn notification_data(
    call: &EmergencyCall,
    agent: Option<&AgentProfile>,
    window: chrono::Duration,
) -> NotificationData {
    let local = call.location.as_ref().and_then(local_zone).map(|tz| {
        let t = call.dialed_at.with_timezone(&tz);
        format!("{} {}", t.format("%Y-%m-%d %H:%M"), t.format("%Z"))
    });
    let reference =
        hex::encode(&Sha256::digest(call.call_id.as_str().as_bytes())[..4]).to_uppercase();
    let quality = call.location_quality();
    NotificationData {
        test: call.test,
        dialed: call.dialed.clone(),
        emergency_number: call.emergency_number.clone(),
        agent_name: agent.map_or_else(|| format!("Agent {}", call.agent_id), |a| a.name.clone()),
        agent_email: agent
            .and_then(|a| a.email.as_ref())
            .map(|e| e.as_str().to_string()),
        dialed_at_utc: utc(call.dialed_at),
        dialed_at_local: local,
        callback_number: if call.caller_id.is_unknown() {
            "not known (no number could be presented)".into()
        } else {
            call.caller_id.to_string()
        },
        callback_window_minutes: window.num_minutes(),
        callback_valid_until: call
            .ended_at
            .filter(|_| call.leased_number.is_some())
            // Never earlier than the lease's own end when dialed (an earlier
            // call's window may reach further).
            .map(|end| {
                utc(call
                    .callback_expires_at
                    .map_or(end + window, |e| e.max(end + window)))
            }),
        callback_is_agent_number: call.leased_number.is_none(),
        location_provided: call.location.is_some(),
        location_lines: call
            .conveyed_location()
            .map(|l| spoken_lines(&l))
            .unwrap_or_default(),
        location_quality: quality.map(|q| q.as_str().to_string()),
        location_quality_description: quality.map(|q| quality_description(q).to_string()),
        location_source: call.location_source.map(|s| s.as_str().to_string()),
        location_source_description: call
            .location_source
            .map(|s| source_description(s).to_string()),
        address: call.location.as_ref().and_then(|l| l.address.clone()),
        latitude: call
            .location
            .as_ref()
            .and_then(|l| l.coordinates())
            .map(|c| c.0),
        longitude: call
            .location
            .as_ref()
            .and_then(|l| l.coordinates())
            .map(|c| c.1),
        radius_m: call
            .location
            .as_ref()
            .filter(|l| l.coordinates().is_some())
            .and_then(|l| l.radius_m)
            // Validated to 0..=1 000 000 m.
            .map(|r| r.round() as u32),
        country: call
            .location
            .as_ref()
            .and_then(|l| l.country.clone())
            .or_else(|| call.country.map(|c| c.code().to_string())),
        route: call.route.as_str().to_string(),
        route_description: route_description(call.route).to_string(),
        reference,
        sent_to_fallback: false,
    }
}

/// Data to validate and preview a template with.
pub fn sample_data(test: bool, location: bool) -> NotificationData {
    NotificationData {
        test,
        dialed: if test { "933" } else { "911" }.into(),
        emergency_number: if test { "933" } else { "911" }.into(),
        agent_name: "Ana Diaz".into(),
        agent_email: Some("ana@example.com".into()),
        dialed_at_utc: "2026-11-24 05:00 UTC".into(),
        dialed_at_local: location.then(|| "2026-11-23 21:00 PST".into()),
        callback_number: "+14255550199".into(),
        callback_window_minutes: 60,
        callback_valid_until: None,
        callback_is_agent_number: !location,
        location_provided: location,
        location_lines: if location {
            [
                "Contoso HQ",
                "Floor 3, Room 301",
                "1 Main St",
                "Redmond",
                "WA 98052",
                "US",
            ]
            .map(String::from)
            .to_vec()
        } else {
            Vec::new()
        },
        location_quality: Some(
            if location {
                LocationQuality::Dispatchable
            } else {
                LocationQuality::CountryOnly
            }
            .as_str()
            .into(),
        ),
        location_quality_description: Some(
            quality_description(if location {
                LocationQuality::Dispatchable
            } else {
                LocationQuality::CountryOnly
            })
            .into(),
        ),
        location_source: Some(
            if location {
                LocationSource::Registered
            } else {
                LocationSource::ProfileCountry
            }
            .as_str()
            .into(),
        ),
        location_source_description: Some(
            source_description(if location {
                LocationSource::Registered
            } else {
                LocationSource::ProfileCountry
            })
            .into(),
        ),
        address: location.then(|| "1 Main St, Redmond WA".into()),
        latitude: location.then_some(47.6),
        longitude: location.then_some(-122.1),
        radius_m: location.then_some(30),
        country: Some("US".into()),
        route: "direct_offer".into(),
        route_description: route_description(Route::DirectOffer).into(),
        reference: "1A2B3C4D".into(),
        sent_to_fallback: false,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// A template that does not render, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{part}{}: {detail}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct TemplateError {
    pub part: &'static str,
    pub line: Option<usize>,
    pub detail: String,
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // HTML-escape everything in the HTML part; the subject and text stay text.
    env.set_auto_escape_callback(|name| {
        if name == "html" {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env
}

fn part_error(part: &'static str, e: minijinja::Error) -> TemplateError {
    TemplateError {
        part,
        line: e.line(),
        detail: e
            .detail()
            .map_or_else(|| e.kind().to_string(), String::from),
    }
}

/// Renders the three parts. The subject is one line.
pub fn render(
    t: &NotificationTemplate,
    data: &NotificationData,
) -> Result<RenderedEmail, TemplateError> {
    let env = environment();
    let one = |part: &'static str, source: &str| -> Result<String, TemplateError> {
        let tmpl = env
            .template_from_named_str(part, source)
            .map_err(|e| part_error(part, e))?;
        tmpl.render(minijinja::value::Serde(data))
            .map_err(|e| part_error(part, e))
    };
    let subject = one("subject", &t.subject)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if subject.is_empty() {
        return Err(TemplateError {
            part: "subject",
            line: None,
            detail: "renders empty".into(),
        });
    }
    let mut html = one("html", &t.html)?;
    let mut text = one("text", &t.text)?;
    // A fallback e-mail must say so, even through a template that predates
    // the variable.
    if data.sent_to_fallback {
        if !t.text.contains("sent_to_fallback") {
            text = format!("{FALLBACK_NOTE}\n\n{text}");
        }
        if !t.html.contains("sent_to_fallback") {
            html = with_html_note(&html, FALLBACK_NOTE);
        }
    }
    Ok(RenderedEmail {
        subject,
        html,
        text,
    })
}

/// A short tag for one recipient of one call's e-mail, to record that it was
/// sent (or refused) without storing the address: the first 6 bytes of
/// SHA-256 over the call id and the address, as hex. Per call, so the same
/// address tags differently on another call.
pub fn recipient_tag(call: &CallId, to: &Email) -> String {
    let mut h = Sha256::new();
    h.update(call.as_str().as_bytes());
    h.update([0u8]);
    h.update(to.as_str().as_bytes());
    hex::encode(&h.finalize()[..6])
}

/// `note` (plain text, escaped here) as the first paragraph of the body.
fn with_html_note(html: &str, note: &str) -> String {
    let escaped = note
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&#x27;");
    let paragraph = format!("<p style=\"font-weight:700;\">{escaped}</p>");
    // Just inside <body ...>, else first.
    match html
        .to_ascii_lowercase()
        .find("<body")
        .and_then(|start| html[start..].find('>').map(|end| start + end + 1))
    {
        Some(at) => format!("{}\n{paragraph}{}", &html[..at], &html[at..]),
        None => format!("{paragraph}\n{html}"),
    }
}

/// Checks an edited template before it is saved: only known variables, and it
/// renders sample data of every shape (test or not, with or without location).
pub fn validate(t: &NotificationTemplate) -> Result<(), TemplateError> {
    let env = environment();
    let known: BTreeSet<&str> = VARIABLES.into_iter().collect();
    for (part, source) in [
        ("subject", &t.subject),
        ("html", &t.html),
        ("text", &t.text),
    ] {
        let tmpl = env
            .template_from_named_str(part, source)
            .map_err(|e| part_error(part, e))?;
        let unknown: Vec<String> = tmpl
            .undeclared_variables(false)
            .into_iter()
            .filter(|v| !known.contains(v.as_str()))
            .collect();
        if !unknown.is_empty() {
            let line = unknown
                .first()
                .and_then(|v| source.lines().position(|l| l.contains(v.as_str())))
                .map(|i| i + 1);
            return Err(TemplateError {
                part,
                line,
                detail: format!(
                    "unknown variable {}; known: {}",
                    unknown.join(", "),
                    VARIABLES.join(", ")
                ),
            });
        }
    }
    for (test, location) in [(false, true), (true, true), (false, false), (true, false)] {
        render(t, &sample_data(test, location))?;
    }
    render(
        t,
        &NotificationData {
            sent_to_fallback: true,
            ..sample_data(false, true)
        },
    )?;
    // The call had already ended when the e-mail was written.
    render(
        t,
        &NotificationData {
            callback_valid_until: Some("2026-11-24 06:10 UTC".into()),
            ..sample_data(false, true)
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::Location;

    fn call(test: bool, location: Option<Location>) -> EmergencyCall {
        let t = DateTime::parse_from_rfc3339("2026-11-24T05:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        EmergencyCall {
            call_id: "c-1".parse().unwrap(),
            agent_id: "a-42".parse().unwrap(),
            dialed: if test { "933" } else { "112" }.into(),
            emergency_number: if test { "933" } else { "911" }.into(),
            test,
            country: Some(Country::US),
            location_source: location
                .as_ref()
                .map(|_| crate::location::LocationSource::Call),
            location,
            caller_id: "+14255550199".parse().unwrap(),
            leased_number: Some("+14255550199".parse().unwrap()),
            lease_id: None,
            callback_expires_at: Some(t + chrono::Duration::hours(1)),
            route: Route::DirectOffer,
            degraded: false,
            reason: None,
            dialed_at: t,
            desktop_time: None,
            ended_at: None,
        }
    }

    fn ana() -> AgentProfile {
        AgentProfile {
            id: "a-42".parse().unwrap(),
            name: "Ana <b>Diaz</b>".into(),
            email: "ana@example.com".parse().ok(),
            country: Some(Country::US),
            source_number: "+14255550100".parse().unwrap(),
            number_type: crate::route::NumberType::CallingPlan,
            recipients: Default::default(),
            fallback: vec![],
            other_country: None,
            outbound_profile: Some("OVP-emergency".into()),
            platform: Default::default(),
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
                part.contains("the agent's own number")
                    || part.contains("the agent&#x27;s own number"),
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
}
