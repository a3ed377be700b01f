//! The incidents: the board (every open incident, then the recent closed
//! ones), one incident's page (its timeline, its PIDF-LO, and a summary to
//! read to a PSAP), and Acknowledge.

use http::Response;
use maud::{html, Markup};

use lifeline_app::service::incident::{BoardEntry, IncidentError};
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::incident::{Acknowledgement, Entry};
use lifeline_domain::location::spoken_lines;
use lifeline_edge::console::ConsoleUser;

use crate::answer::{done, fragment, not_found, unavailable};
use crate::app::ConsoleApp;
use crate::board::{Board, BoardRow};
use crate::layout::clock;
use crate::pages::Needs;

/// How far back the board lists closed incidents.
const BOARD_HOURS: i64 = 12;
const BOARD_LIMIT: usize = 100;

impl ConsoleApp {
    pub(crate) async fn board_view(&self, user: &ConsoleUser) -> Response<String> {
        let now = self.clock.now();
        let since = now - chrono::Duration::hours(BOARD_HOURS);
        match self.incidents.board(since, BOARD_LIMIT).await {
            Ok(entries) => fragment(Board::of(&entries).render(now, Needs::Desk.allows(user))),
            Err(e) => unavailable(&e),
        }
    }

    pub(crate) async fn incident_view(&self, call_id: &str) -> Response<String> {
        let Ok(call) = call_id.parse() else {
            return not_found("this incident");
        };
        match self.incidents.detail(&call).await {
            Ok(Some(entry)) => fragment(detail(&entry, self.clock.now())),
            Ok(None) => not_found("this incident"),
            Err(e) => unavailable(&e),
        }
    }

    /// `POST /console/api/incidents/<callId>/acknowledge`, recorded on the
    /// incident (channel `console`): escalation stops at it.
    pub(crate) async fn acknowledge(&self, user: &ConsoleUser, call_id: &str) -> Response<String> {
        let Ok(call) = call_id.parse() else {
            return not_found("this incident");
        };
        let ack = Acknowledgement {
            by: user.username.clone(),
            at: self.clock.now(),
            channel: "console".into(),
        };
        match self.incidents.acknowledge(&call, &ack).await {
            Ok(d) if d.first => done("Acknowledged: escalation stops here."),
            Ok(_) => done("Acknowledged (someone had already)."),
            Err(IncidentError::NoIncident(_)) => not_found("this incident"),
            Err(e) => unavailable(&e),
        }
    }
}

/// An incident's page content: its row as the board shows it, the summary
/// for a PSAP, the timeline, the PIDF-LO.
pub fn detail(entry: &BoardEntry, now: chrono::DateTime<chrono::Utc>) -> Markup {
    let row = BoardRow::of(entry);
    html! {
        (row.render(now, true))
        @if let Some(call) = &entry.call {
            section aria-labelledby="psap-heading" {
                h2 #psap-heading { "For the PSAP" }
                p { "Read this to the emergency service, or copy it." }
                textarea #psap-summary readonly rows="7" aria-labelledby="psap-heading" { (psap_summary(call)) }
                p { button type="button" data-copy="#psap-summary" { "Copy the summary" } }
            }
        }
        section aria-labelledby="timeline-heading" {
            h2 #timeline-heading { "Timeline" }
            table {
                thead { tr { th scope="col" { "At" } th scope="col" { "What" } th scope="col" { "Details" } } }
                tbody {
                    @for e in &entry.timeline {
                        tr { td { (clock(e.at)) } td { (e.kind.as_str().replace('_', " ")) } td { (details(e)) } }
                    }
                }
            }
        }
        @if let Some(pidf) = entry.call.as_ref().and_then(EmergencyCall::pidf_lo) {
            section aria-labelledby="pidf-heading" {
                h2 #pidf-heading { "Location as sent (PIDF-LO, RFC 4119)" }
                pre { code { (pidf) } }
            }
        }
    }
}

/// What a call-taker asks first, in the order they ask: where, the
/// callback number, who, when.
pub fn psap_summary(call: &EmergencyCall) -> String {
    let mut lines = Vec::new();
    if call.test {
        lines.push("TEST CALL (933): no emergency.".to_string());
    }
    let spoken = call.location.as_ref().map(spoken_lines).unwrap_or_default();
    let coordinates = call
        .location
        .as_ref()
        .and_then(|l| Some(format!("{:.5}, {:.5}", l.lat?, l.lon?)));
    let country = call.location.as_ref().and_then(|l| l.country.clone());
    match (spoken.is_empty(), coordinates, country) {
        (false, coordinates, _) => {
            let quality = call
                .location_quality()
                .map(|q| q.as_str().replace('_', " "))
                .unwrap_or_else(|| "unknown".into());
            lines.push(format!("Location ({quality}): {}", spoken.join(", ")));
            if let Some(c) = coordinates {
                lines.push(format!("Coordinates: {c}"));
            }
        }
        (true, Some(c), _) => lines.push(format!(
            "Location: coordinates only, {c} — ask the caller for the address."
        )),
        (true, None, Some(country)) => lines.push(format!(
            "Location: only the country is known ({country}) — ask the caller where they are."
        )),
        (true, None, None) => lines.push("Location: unknown — ask the caller.".into()),
    }
    lines.push(format!("Callback number: {}", call.caller_id));
    if let Some(until) = call.callback_expires_at {
        lines.push(format!("It reaches the caller until {}.", clock(until)));
    }
    lines.push(format!(
        "Caller: contact-center agent {}, dialed {} at {}.",
        call.agent_id,
        call.dialed,
        clock(call.dialed_at)
    ));
    lines.join("\n")
}

/// An entry's details, as the CLI lists them: masked as stored.
fn details(e: &Entry) -> String {
    let d = &e.detail;
    let mut parts = Vec::new();
    if let Some(c) = &d.caller_id {
        parts.push(format!("caller ID {c}"));
    }
    if let Some(r) = d.degraded {
        parts.push(format!("degraded: {r}"));
    }
    if let Some(q) = d.location_quality {
        parts.push(format!("location {}", q.as_str().replace('_', " ")));
    }
    if d.test {
        parts.push("test call".into());
    }
    for (label, value) in [
        ("channel", &d.channel),
        ("to", &d.recipient),
        ("by", &d.by),
        ("status", &d.status),
        ("reason", &d.reason),
        ("note", &d.note),
    ] {
        if let Some(v) = value {
            parts.push(format!("{label} {v}"));
        }
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::psap_summary;
    use lifeline_domain::location::Location;
    use lifeline_domain::testing::{at, call};

    #[test]
    fn the_psap_hears_where_first_and_what_is_missing() {
        let mut c = call("c-1", "a-42", at("2026-11-24T05:00:00Z"));
        let none = psap_summary(&c);
        assert!(
            none.starts_with("Location: unknown — ask the caller."),
            "{none}"
        );
        assert!(
            none.contains("Callback number: +1")
                && none.contains("agent a-42, dialed 911 at 05:00:00 UTC")
        );
        c.location = Some(Location {
            country: Some("US".into()),
            ..Default::default()
        });
        assert!(psap_summary(&c).contains("only the country is known (US)"));
        c.location = Some(Location {
            country: Some("US".into()),
            address: Some("1 Main St, Redmond WA".into()),
            lat: Some(47.6),
            lon: Some(-122.1),
            ..Default::default()
        });
        let full = psap_summary(&c);
        assert!(full.contains("1 Main St, Redmond WA"), "{full}");
        assert!(full.contains("Coordinates: 47.60000, -122.10000"), "{full}");
        c.test = true;
        assert!(psap_summary(&c).starts_with("TEST CALL (933)"));
    }
}
