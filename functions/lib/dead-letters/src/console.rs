//! What the web console does with dead letters, as `lifeline dlq` does it:
//! the same gathering, the same masked text, the same replay (pure but for
//! the port's calls). The console builds the [`Places`] as the CLI does
//! ([`Places::new`] from the stage and the stream's failure bucket), and a
//! port: with the `aws` feature, `DeadLetterClients::from_conf(&sdk_config)`.
//! It asks its own confirmation before [`replay_one`]: a replay of one named
//! letter is given consent, as `lifeline dlq replay <id>` is ([`consent`]).
//!
//! [`consent`]: crate::consent::consent

use crate::letter::DeadLetter;
use crate::port::{gather, DeadLetterPort, FindError, GatherError, Places};
use crate::render::show_text;
use crate::replay::replay;

/// Every dead letter of `places`, as `lifeline dlq list` gathers them (its
/// lines are [`ListRow::of`](crate::render::ListRow::of) each). What was
/// skipped (a failure bucket not found), which the CLI says on stderr, is
/// left out: [`gather`] has it.
pub async fn list_letters(
    port: &impl DeadLetterPort,
    places: &Places,
) -> Result<Vec<DeadLetter>, GatherError> {
    Ok(gather(port, places).await?.letters)
}

/// What `lifeline dlq show <id>` prints of `letter` without `--raw`: every
/// field, its attributes and payload, with phone numbers (but their last 4
/// digits), addresses, coordinates and e-mail addresses masked, and no
/// control character. Lines end with `\n`.
pub fn masked_text(letter: &DeadLetter) -> String {
    show_text(letter, false)
}

/// Why [`replay_one`] did not replay a letter; each displays as `lifeline
/// dlq replay` says it.
#[derive(Debug, thiserror::Error)]
pub enum ReplayOneError {
    /// The places could not be read (the service's words), or `only` names
    /// none of them: nothing was replayed.
    #[error(transparent)]
    Gather(#[from] GatherError),
    /// The id names no dead letter, or more than one: nothing was replayed.
    #[error(transparent)]
    Find(#[from] FindError),
    /// It was not replayed (an unknown shape, or refused: it names another
    /// function than the stage's own), failed again (kept), or went through
    /// but is still kept: the CLI's account of it and its summary line (as
    /// in [`replay_one`]'s answer), after which the CLI exits 1.
    #[error("{0}")]
    NotDone(String),
}

/// What `lifeline dlq replay <id>` does for the one letter `id` names (its
/// whole id, short id or a unique beginning) once the caller has confirmed:
/// the letters of `places` are gathered; a letter its place's owners do not
/// allow is refused and never invoked; the others go through the stage's own
/// function (or back to the outbox) and are deleted once that went through.
/// The answer is what the CLI prints on stdout, without the last newline:
/// the letter's line (redacted) then the summary line, e.g.
/// `replayed a3f1d2c4 (schedule lease l-1)\nreplayed 1, failed again 0`.
pub async fn replay_one(
    port: &impl DeadLetterPort,
    places: &Places,
    id: &str,
) -> Result<String, ReplayOneError> {
    let letters = list_letters(port, places).await?;
    let chosen = crate::select(&letters, &[id.to_string()], false)?;
    let mut account = Vec::new();
    let summary = replay(port, &chosen, &mut account).await;
    let text = String::from_utf8_lossy(&account).into_owned() + &summary.line();
    match summary.all_done() {
        true => Ok(text),
        false => Err(ReplayOneError::NotDone(text)),
    }
}
