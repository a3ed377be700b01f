//! Whether `dlq replay --all` may go ahead (pure): it invokes functions with
//! the admin's credentials for every dead letter of a stage, so it is
//! confirmed first — on a terminal by answering `y`, elsewhere by `--yes`.

use std::collections::BTreeMap;

use super::letter::{DeadLetter, ReplayPlan, Stage};

/// What stands between `--all` and the replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// Named letters, or `--yes`: go ahead.
    Given,
    /// On a terminal: ask, and go ahead on `y` only.
    Ask,
    /// No terminal to ask on, and no `--yes`: refuse.
    Missing,
}

/// Whether a replay needs asking: only `--all` does, unless `--yes`.
pub fn consent(all: bool, yes: bool, on_terminal: bool) -> Consent {
    match (all && !yes, on_terminal) {
        (false, _) => Consent::Given,
        (true, true) => Consent::Ask,
        (true, false) => Consent::Missing,
    }
}

/// Whether an answer to [`prompt`] is a yes (`y` or `yes`, any case); anything
/// else, an empty line included, is a no.
pub fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// The question `--all` asks: how many letters, and where each kind goes.
pub fn prompt(stage: &Stage, letters: &[&DeadLetter]) -> String {
    let mut ways: BTreeMap<String, usize> = BTreeMap::new();
    for l in letters {
        let way = match &l.replay {
            ReplayPlan::Invoke { function, .. } => format!("invoke {}", function.name()),
            ReplayPlan::SendBack { queue, .. } => format!("send back to {queue}"),
            ReplayPlan::Refused { .. } => "refused (not invoked)".to_string(),
            ReplayPlan::Never { .. } => "not replayable".to_string(),
        };
        *ways.entry(way).or_default() += 1;
    }
    let ways: Vec<String> = ways.iter().map(|(w, n)| format!("{n} {w}")).collect();
    format!(
        "replay {} dead letter(s) of stage {} with your credentials ({})? [y/N] ",
        letters.len(),
        stage.name(),
        ways.join(", ")
    )
}
