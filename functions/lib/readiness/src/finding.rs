//! A finding: one check's verdict on one scope (the deployment, or an
//! agent), and how spans of time read in one.

use chrono::Duration;
use serde::Serialize;

use lifeline_domain::call::AgentProfile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Warning,
    Error,
}

impl Level {
    pub fn mark(self) -> &'static str {
        match self {
            Level::Ok => "✔",
            Level::Warning => "⚠",
            Level::Error => "✖",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `deployment` or `agent a-42`.
    pub scope: String,
    pub check: &'static str,
    pub level: Level,
    pub detail: String,
    /// One line on what to do (none when all is well).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
}

pub(super) fn finding(
    scope: &str,
    check: &'static str,
    level: Level,
    detail: String,
    advice: Option<String>,
) -> Finding {
    Finding {
        scope: scope.to_string(),
        check,
        level,
        detail,
        advice,
    }
}

/// The scope of an agent's findings: `agent a-42`.
pub(super) fn agent_scope(a: &AgentProfile) -> String {
    format!("agent {}", a.id)
}

/// The scope of the deployment's findings.
pub(super) const DEPLOYMENT: &str = "deployment";

/// A span of time as an admin reads it: `45 min`, `13 h 20 min`, `3 d 4 h`.
pub fn span(d: Duration) -> String {
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let parts = [(days, "d"), (hours, "h"), (mins, "min")];
    let mut shown: Vec<String> = parts
        .iter()
        .skip_while(|(n, _)| *n == 0)
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    if shown.is_empty() {
        shown.push("0 min".into());
    }
    shown.join(" ")
}
