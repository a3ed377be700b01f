//! Lifeline's dead letters: what failed in its asynchronous side effects,
//! and its replay once the cause is fixed — for `lifeline dlq` and the web
//! console alike ([`console`]). Dead letters are the stage's failure
//! queues' messages (`lifeline-<stage>-…-failures`, `…-dlq`) and the
//! stream's failure bucket's objects; each is recognised by its shape
//! ([`letter`], pure), shown without anyone's full phone number ([`render`],
//! [`redact`], [`printable`]) and replayed over the [`port`] ([`replay`]) —
//! only ever through the stage's own function that its place belongs to
//! ([`owner`]), and `--all` only once confirmed ([`consent`]).
//!
//! Nothing here reads the environment or the process's stdin or stdout: the
//! caller gives the places ([`Places::new`]), the consent and where the
//! replay's account goes. The port over AWS (`DeadLetterClients`) is behind
//! the `aws` feature.

pub mod consent;
pub mod console;
pub mod letter;
pub mod owner;
pub mod plan;
pub mod port;
pub mod printable;
pub mod redact;
pub mod render;
pub mod replay;

pub use consent::{consent, is_yes, prompt, Consent};
pub use console::{list_letters, masked_text, replay_one, ReplayOneError};
pub use letter::{classify_message, classify_object, DeadLetter, Kind, ReplayPlan, Source, Stage};
#[cfg(feature = "aws")]
pub use lifeline_aws::dlq::DeadLetterClients;
pub use owner::Owners;
pub use plan::StageFunction;
pub use port::{
    find, gather, DeadLetterPort, FindError, GatherError, Gathered, Places, DEFAULT_STAGE,
};
pub use render::{list_entry, list_json, list_text, show_text, ListRow};
pub use replay::{replay, went_through, ReplaySummary};

/// The dead letters a replay takes: every replayable or refused one (`all`:
/// a refused one is reported, never invoked), or each one named (replayable
/// or not: a named one that is not is reported). Nothing is taken if any
/// name does not resolve.
pub fn select<'a>(
    letters: &'a [DeadLetter],
    ids: &[String],
    all: bool,
) -> Result<Vec<&'a DeadLetter>, FindError> {
    if all {
        return Ok(letters
            .iter()
            .filter(|l| l.replay.is_replayable() || l.replay.is_refused())
            .collect());
    }
    let mut chosen: Vec<&DeadLetter> = Vec::new();
    for id in ids {
        let letter = find(letters, id)?;
        if !chosen.iter().any(|c| std::ptr::eq(*c, letter)) {
            chosen.push(letter);
        }
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests;
