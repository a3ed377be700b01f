//! The incident board: every open incident first (newest first), then the
//! recent closed ones. Each row says who dialed and since when, the callback
//! number and how long it stays, where the caller is (as a person reads an
//! address), who was alerted on which channel, whether someone acknowledged,
//! and whether the emergency service called back.

use chrono::{DateTime, Utc};
use maud::{html, Markup};

use lifeline_app::service::incident::BoardEntry;
use lifeline_domain::incident::{Acknowledgement, EntryKind};
use lifeline_domain::location::spoken_lines;

use crate::layout::{ago, clock, path_segment};

/// One alert, as the board lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertCell {
    pub channel: String,
    /// Masked as stored (a number's last four digits, a webhook's host).
    pub recipient: String,
    pub sent: bool,
    /// `tier 2`, `follow-up`, an error code.
    pub note: Option<String>,
}

/// One incident on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardRow {
    pub call_id: String,
    pub agent_id: String,
    pub drill: bool,
    pub open: bool,
    pub since: DateTime<Utc>,
    /// The number the emergency service calls back, and until when.
    pub callback_number: Option<String>,
    pub callback_until: Option<DateTime<Utc>>,
    pub location_quality: Option<String>,
    pub address: Vec<String>,
    pub alerts: Vec<AlertCell>,
    pub acknowledged: Option<Acknowledgement>,
    pub escalated: bool,
    /// When the emergency service called back (routed to the agent).
    pub called_back: Option<DateTime<Utc>>,
}

impl BoardRow {
    pub fn of(e: &BoardEntry) -> BoardRow {
        let call = e.call.as_ref();
        let alerts = e
            .timeline
            .iter()
            .filter(|x| matches!(x.kind, EntryKind::Alerted | EntryKind::Failed))
            .filter_map(|x| {
                Some(AlertCell {
                    channel: x.detail.channel.clone()?,
                    recipient: x.detail.recipient.clone()?,
                    sent: x.kind == EntryKind::Alerted,
                    note: x.detail.reason.clone().or_else(|| x.detail.note.clone()),
                })
            })
            .collect();
        BoardRow {
            call_id: e.head.call_id.to_string(),
            agent_id: e.head.agent_id.to_string(),
            drill: e.head.drill,
            open: e.head.is_open(),
            since: e.head.opened_at,
            callback_number: call.map(|c| c.caller_id.to_string()),
            callback_until: call.and_then(|c| c.callback_expires_at),
            location_quality: call
                .and_then(|c| c.location_quality())
                .map(|q| q.as_str().replace('_', " ")),
            address: call
                .and_then(|c| c.location.as_ref())
                .map(spoken_lines)
                .unwrap_or_default(),
            alerts,
            acknowledged: e.head.acknowledged.clone(),
            escalated: e.head.escalated_at.is_some(),
            called_back: e
                .timeline
                .iter()
                .find(|x| x.kind == EntryKind::Callback)
                .map(|x| x.at),
        }
    }
}

/// The board: open incidents, then the recent closed ones.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Board {
    pub open: Vec<BoardRow>,
    pub closed: Vec<BoardRow>,
}

impl Board {
    /// From the incidents the service read (newest first).
    pub fn of(entries: &[BoardEntry]) -> Board {
        let (open, closed) = entries.iter().map(BoardRow::of).partition(|r| r.open);
        Board { open, closed }
    }

    /// The board's content (the page's `main`), as of `now`; `can_ack`:
    /// the viewer may acknowledge.
    pub fn render(&self, now: DateTime<Utc>, can_ack: bool) -> Markup {
        html! {
            section aria-labelledby="open-heading" {
                h2 #open-heading { "Open emergency calls (" (self.open.len()) ")" }
                @if self.open.is_empty() {
                    p.quiet { "No emergency call is open." }
                }
                @for row in &self.open {
                    (row.render(now, can_ack))
                }
            }
            section aria-labelledby="closed-heading" {
                h2 #closed-heading { "Recently closed" }
                @if self.closed.is_empty() {
                    p.quiet { "None." }
                }
                @for row in &self.closed {
                    (row.render(now, false))
                }
            }
        }
    }
}

impl BoardRow {
    pub(crate) fn render(&self, now: DateTime<Utc>, can_ack: bool) -> Markup {
        let id = format!("incident-{}", path_segment(&self.call_id));
        html! {
            article.incident.open[self.open].drill[self.drill] aria-labelledby=(id) {
                h3 #(id) {
                    @if self.drill { span.badge { "TEST" } " " }
                    a href={ "/console/incidents/" (path_segment(&self.call_id)) } { "Agent " (self.agent_id) }
                    " — since " (clock(self.since)) " (" (ago(self.since, now)) ")"
                }
                dl {
                    dt { "Callback number" }
                    dd {
                        @match &self.callback_number {
                            Some(n) => { (n) }
                            None => { "unknown" }
                        }
                        @if let Some(until) = self.callback_until {
                            @if until > now { " — stays until " (clock(until)) " (" (ago(now, until)) " left)" }
                            @else { " — released at " (clock(until)) }
                        }
                    }
                    dt { "Location" }
                    dd {
                        (self.location_quality.as_deref().unwrap_or("unknown"))
                        @if !self.address.is_empty() {
                            br;
                            @for (i, line) in self.address.iter().enumerate() {
                                @if i > 0 { ", " }
                                (line)
                            }
                        }
                    }
                    dt { "Alerted" }
                    dd {
                        @if self.alerts.is_empty() { "nobody yet" }
                        ul.alerts {
                            @for a in &self.alerts {
                                li.sent[a.sent].failed[!a.sent] {
                                    (a.channel) ": " (a.recipient)
                                    @if !a.sent { " — not sent" }
                                    @if let Some(note) = &a.note { " (" (note) ")" }
                                }
                            }
                        }
                        @if self.escalated { p { "Escalated: nobody acknowledged within the first tier's delay." } }
                    }
                    dt { "Acknowledged" }
                    dd {
                        @match &self.acknowledged {
                            Some(a) => { "by " (a.by) " at " (clock(a.at)) " (" (a.channel) ")" }
                            None => { strong { "not yet" } }
                        }
                    }
                    dt { "Callback" }
                    dd {
                        @match self.called_back {
                            Some(at) => { "the emergency service called back at " (clock(at)) }
                            None => { "none yet" }
                        }
                    }
                }
                @if can_ack && self.acknowledged.is_none() {
                    @let api = format!("/console/api/incidents/{}/acknowledge", path_segment(&self.call_id));
                    form method="post" action=(api) data-api=(api) {
                        button type="submit" { "Acknowledge" }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
