//! The board from incidents as the service reads them.

use super::*;
use lifeline_domain::incident::{Entry, EntryDetail, Incident, IncidentState};
use lifeline_domain::testing::{at, call};

fn t(s: &str) -> DateTime<Utc> {
    at(s)
}

fn entry(id: &str, agent: &str, open: bool) -> BoardEntry {
    let dialed = t("2026-11-24T05:00:00Z");
    let mut c = call(id, agent, dialed);
    c.callback_expires_at = Some(t("2026-11-24T06:00:00Z"));
    BoardEntry {
        head: Incident {
            call_id: id.parse().unwrap(),
            agent_id: agent.parse().unwrap(),
            state: if open {
                IncidentState::Open
            } else {
                IncidentState::Closed
            },
            drill: false,
            opened_at: dialed,
            closed_at: (!open).then(|| t("2026-11-24T05:10:00Z")),
            acknowledged: None,
            escalated_at: None,
            lease_id: None,
            dnd_held: open,
        },
        call: Some(c),
        timeline: vec![
            Entry::new(t("2026-11-24T05:00:01Z"), EntryKind::Alerted, "a").with(EntryDetail {
                channel: Some("sms".into()),
                recipient: Some("+*******0111".into()),
                ..EntryDetail::default()
            }),
            Entry::new(t("2026-11-24T05:00:01Z"), EntryKind::Failed, "b").with(EntryDetail {
                channel: Some("chat".into()),
                recipient: Some("https://hooks.example.com/…".into()),
                reason: Some("WebhookGone".into()),
                ..EntryDetail::default()
            }),
            // The outcome's summary (no recipient) is not a row of its own.
            Entry::new(t("2026-11-24T05:00:02Z"), EntryKind::Alerted, "email"),
        ],
    }
}

#[test]
fn open_incidents_come_first_with_their_alerts_and_callback_window() {
    let board = Board::of(&[entry("c-2", "a-2", false), entry("c-1", "a-42", true)]);
    assert_eq!(board.open.len(), 1);
    assert_eq!(board.closed.len(), 1);
    let row = &board.open[0];
    assert_eq!(row.alerts.len(), 2);
    assert_eq!(
        (row.alerts[1].sent, row.alerts[1].note.as_deref()),
        (false, Some("WebhookGone"))
    );
    let html = board.render(t("2026-11-24T05:02:00Z"), true).into_string();
    assert!(html.contains("Agent a-42"), "{html}");
    assert!(
        html.contains("stays until 06:00:00 UTC (58 min left)"),
        "{html}"
    );
    assert!(html.contains("sms: +*******0111"), "{html}");
    assert!(
        html.contains("/console/api/incidents/c-1/acknowledge"),
        "{html}"
    );
    assert!(html.contains("<strong>not yet</strong>"), "{html}");
    // The closed one has no button.
    assert_eq!(html.matches("Acknowledge</button>").count(), 1);
    // A desk that may not acknowledge gets none.
    let html = board.render(t("2026-11-24T05:02:00Z"), false).into_string();
    assert!(!html.contains("Acknowledge</button>"));
}

#[test]
fn what_a_call_says_is_escaped_and_an_id_is_one_path_segment() {
    let mut e = entry("c-1~2", "a-42", true);
    if let Some(c) = e.call.as_mut() {
        c.location = Some(lifeline_domain::location::Location {
            address: Some("<script>alert(1)</script> 1 Main St".into()),
            ..Default::default()
        });
    }
    let html = Board::of(&[e])
        .render(t("2026-11-24T05:02:00Z"), true)
        .into_string();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(
        html.contains("/console/api/incidents/c-1~2/acknowledge"),
        "{html}"
    );
    assert_eq!(crate::layout::path_segment("a/b c"), "a%2Fb%20c");
}

#[test]
fn a_page_hides_the_admins_navigation_until_the_token_says_admin() {
    let page = crate::layout::page("Incidents", html! { p { "x" } }).into_string();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("lang=\"en\"") && page.contains("name=\"viewport\""));
    // Listed, hidden: the script shows them to an admin; the API refuses
    // them to anyone else whatever the page shows.
    assert!(
        page.contains("<li data-needs=\"admin\" hidden><a href=\"/console/template\">"),
        "{page}"
    );
    assert!(page.contains("<li><a href=\"/console/\">Incidents</a></li>"));
}
