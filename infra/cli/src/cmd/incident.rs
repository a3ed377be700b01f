//! `lifeline incident`: each emergency call's incident and its timeline
//! (docs/incidents.md). The tables never show a full phone number or
//! e-mail address; `--json` carries them (it is for tools).

use chrono::Duration;
use clap::Subcommand;
use serde_json::{json, Value};

use lifeline_app::ports::{IncidentFilter, IncidentRecord, IncidentStore};
use lifeline_domain::incident::{Entry, Incident};
use lifeline_domain::types::{CallId, E164};

use super::context::Context;
use super::failure::{store_err, usage, Failure};
use super::output::{emit, print_json};

#[derive(Subcommand)]
pub enum IncidentCmd {
    /// Incidents, newest first: the open ones and those opened in the last
    /// `--days` (a table: callId, agent, state, drill, acknowledged, opened).
    List {
        /// Only the open ones.
        #[arg(long)]
        open: bool,
        /// How far back closed incidents are listed.
        #[arg(long, default_value_t = 7)]
        days: i64,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// One incident and its timeline, sorted by time.
    Show {
        /// The call record's id (`c-1`, or `c-1~2` for a reused id's second record).
        call_id: String,
        /// The incident as JSON, addresses and numbers unmasked.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(cmd: IncidentCmd, ctx: &Context) -> Result<(), Failure> {
    match cmd {
        IncidentCmd::List { open, days, limit } => {
            let filter = if open {
                IncidentFilter::Open
            } else {
                IncidentFilter::Recent {
                    since: ctx.now - Duration::days(days.max(0)),
                    limit,
                }
            };
            emit(&list(&ctx.store, filter).await?);
            Ok(())
        }
        IncidentCmd::Show { call_id, json } => {
            let call: CallId = call_id.parse().map_err(usage("callId"))?;
            let record = show(&ctx.store, &call).await?;
            if json {
                print_json(&incident_json(&record));
            } else {
                emit(&incident_text(&record));
            }
            Ok(())
        }
    }
}

/// The listing as a table.
pub async fn list<S: IncidentStore>(store: &S, filter: IncidentFilter) -> Result<String, Failure> {
    let heads = store.incidents(filter).await.map_err(store_err)?;
    Ok(list_text(&heads))
}

/// One incident; a usage failure when there is none.
pub async fn show<S: IncidentStore>(store: &S, call: &CallId) -> Result<IncidentRecord, Failure> {
    let mut record = store.incident(call).await.map_err(store_err)?;
    if record.head.is_none() {
        return Err(Failure::Usage(format!("no incident for call {call}")));
    }
    lifeline_domain::incident::sort_timeline(&mut record.timeline);
    Ok(record)
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    lifeline_domain::types::rfc3339(t)
}

pub fn list_text(heads: &[Incident]) -> String {
    let rows: Vec<[String; 6]> = heads
        .iter()
        .map(|h| {
            [
                h.call_id.to_string(),
                h.agent_id.to_string(),
                h.state.as_str().to_string(),
                if h.drill { "yes" } else { "no" }.to_string(),
                h.acknowledged.as_ref().map_or("-".to_string(), |a| {
                    format!("{} ({})", mask(&a.by), a.channel)
                }),
                time(h.opened_at),
            ]
        })
        .collect();
    let header = ["CALL", "AGENT", "STATE", "DRILL", "ACKNOWLEDGED", "OPENED"].map(String::from);
    table(&header, &rows)
}

fn table<const N: usize>(header: &[String; N], rows: &[[String; N]]) -> String {
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String; N]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    std::iter::once(line(header))
        .chain(rows.iter().map(line))
        .collect()
}

/// The incident as `show --json` prints it (the contract's shape).
pub fn incident_json(record: &IncidentRecord) -> Value {
    let Some(h) = &record.head else {
        return Value::Null;
    };
    json!({
        "callId": h.call_id,
        "agentId": h.agent_id,
        "state": h.state,
        "drill": h.drill,
        "acknowledged": h.acknowledged,
        "timeline": record.timeline,
    })
}

/// The incident for people: no full number or address.
pub fn incident_text(record: &IncidentRecord) -> String {
    let Some(h) = &record.head else {
        return String::new();
    };
    let mut out = format!(
        "incident {}  agent {}  {}{}\nopened {}{}\n",
        h.call_id,
        h.agent_id,
        h.state.as_str(),
        if h.drill { "  DRILL" } else { "" },
        time(h.opened_at),
        h.closed_at
            .map(|t| format!("  closed {}", time(t)))
            .unwrap_or_default(),
    );
    out += &match &h.acknowledged {
        Some(a) => format!(
            "acknowledged by {} via {} at {}\n",
            mask(&a.by),
            a.channel,
            time(a.at)
        ),
        None => "not acknowledged\n".to_string(),
    };
    out += "\n";
    let rows: Vec<[String; 3]> = record
        .timeline
        .iter()
        .map(|e| [time(e.at), e.kind.to_string(), details(e)])
        .collect();
    out + &table(&["AT", "KIND", "DETAILS"].map(String::from), &rows)
}

/// An entry's details on one line, masked.
fn details(e: &Entry) -> String {
    let d = &e.detail;
    let mut parts = Vec::new();
    if let Some(c) = &d.caller_id {
        parts.push(format!("caller ID {}", c.redacted()));
    }
    if let Some(r) = d.degraded {
        parts.push(format!("degraded: {r}"));
    }
    if let Some(q) = d.location_quality {
        parts.push(format!("location {}", q.as_str()));
    }
    if d.test {
        parts.push("test call".into());
    }
    if let Some(l) = &d.lease_id {
        parts.push(format!("lease {l}"));
    }
    for (label, value) in [("channel", &d.channel), ("to", &d.recipient), ("by", &d.by)] {
        if let Some(v) = value {
            parts.push(format!("{label} {}", mask(v)));
        }
    }
    for (label, value) in [("reason", &d.reason), ("status", &d.status), ("", &d.note)] {
        if let Some(v) = value {
            parts.push(format!("{label} {}", mask_all(v)).trim().to_string());
        }
    }
    if let Some(c) = d.connected {
        parts.push(if c { "connected" } else { "not connected" }.into());
    }
    parts.join("; ")
}

/// A recipient or acknowledger for people: a number's last four digits, an
/// address's first letter and domain.
pub fn mask(s: &str) -> String {
    if let Ok(n) = s.parse::<E164>() {
        return n.redacted();
    }
    if let Some((local, domain)) = s.split_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}***@{domain}");
    }
    mask_all(s)
}

/// Free text: every word that looks like an address or a number masked.
fn mask_all(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let digits = w.chars().filter(char::is_ascii_digit).count();
            if w.contains('@') && w.len() > 1 {
                mask(w)
            } else if digits >= 7 {
                let keep = w.len().saturating_sub(4);
                w.char_indices()
                    .map(|(i, c)| {
                        if i < keep && c.is_ascii_digit() {
                            '*'
                        } else {
                            c
                        }
                    })
                    .collect()
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
#[path = "incident_tests.rs"]
mod tests;
