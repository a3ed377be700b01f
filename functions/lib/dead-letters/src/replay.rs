//! Replay: each dead letter back through the stage's own function that its
//! place belongs to (or its queue), then removed — only once it went
//! through. A letter that names another function is refused, never invoked,
//! and kept. Every Lifeline handler is idempotent, so a replay that is
//! repeated does no harm.

use std::io::Write;

use lifeline_aws::dlq::Invocation;
use serde_json::Value;

use super::letter::{DeadLetter, ReplayPlan, Source};
use super::port::DeadLetterPort;
use super::redact::redact_text;
use crate::printable;

/// What a replay run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReplaySummary {
    /// Went through and removed (or already gone).
    pub replayed: usize,
    /// Failed again: kept, to replay once the cause is fixed.
    pub failed: usize,
    /// Went through but could not be removed: would be replayed again.
    pub kept: usize,
    /// Asked for but not replayable (unknown shape, no payload).
    pub not_replayable: usize,
    /// Naming another function than the stage's own: not invoked, kept.
    pub refused: usize,
}

impl ReplaySummary {
    /// `replayed N, failed again M` (and the rest, when there is any).
    pub fn line(&self) -> String {
        let mut line = format!("replayed {}, failed again {}", self.replayed, self.failed);
        if self.kept > 0 {
            line += &format!(", went through but still kept {}", self.kept);
        }
        if self.not_replayable > 0 {
            line += &format!(", not replayable {}", self.not_replayable);
        }
        if self.refused > 0 {
            line += &format!(", refused {}", self.refused);
        }
        line
    }

    /// Whether everything asked for is done.
    pub fn all_done(&self) -> bool {
        self.failed == 0 && self.kept == 0 && self.not_replayable == 0 && self.refused == 0
    }
}

/// Whether an invocation's answer means the work was done: no function
/// error, and for a stream batch no failed item in its `batchItemFailures`.
pub fn went_through(invocation: &Invocation, stream_batch: bool) -> Result<(), String> {
    if let Some(kind) = &invocation.function_error {
        let text = |k: &str| invocation.payload.get(k).and_then(Value::as_str);
        let detail = [text("errorType"), text("errorMessage")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": ");
        return Err(match detail.is_empty() {
            true => format!("function error ({kind})"),
            false => format!("function error ({kind}): {detail}"),
        });
    }
    if stream_batch {
        if let Some(failures) = invocation
            .payload
            .get("batchItemFailures")
            .and_then(Value::as_array)
            .filter(|f| !f.is_empty())
        {
            let ids: Vec<&str> = failures
                .iter()
                .filter_map(|f| f.get("itemIdentifier").and_then(Value::as_str))
                .collect();
            return Err(format!(
                "{} record(s) of the batch failed again ({})",
                failures.len(),
                ids.join(", ")
            ));
        }
    }
    Ok(())
}

/// Replays `letters` one after the other, saying what happened to each on
/// `out`; one failing does not stop the others.
pub async fn replay(
    port: &impl DeadLetterPort,
    letters: &[&DeadLetter],
    out: &mut impl Write,
) -> ReplaySummary {
    let mut summary = ReplaySummary::default();
    for letter in letters {
        let id = letter.short_id();
        let sent = match &letter.replay {
            ReplayPlan::Never { why } => {
                summary.not_replayable += 1;
                say(out, &format!("not replayed {id}: {why}"));
                continue;
            }
            ReplayPlan::Refused { why } => {
                summary.refused += 1;
                say(out, &format!("refused {id} (not invoked, kept): {why}"));
                continue;
            }
            ReplayPlan::Invoke {
                function,
                payload,
                stream_batch,
            } => match port.invoke(function.name(), payload).await {
                Ok(invocation) => went_through(&invocation, *stream_batch),
                Err(e) => Err(e.to_string()),
            },
            ReplayPlan::SendBack { queue, body } => {
                port.send(queue, body).await.map_err(|e| e.to_string())
            }
        };
        if let Err(why) = sent {
            summary.failed += 1;
            say(out, &format!("failed again {id}: {why}"));
            continue;
        }
        let what = format!(
            "{} {}",
            letter.kind.as_str(),
            letter.subject.as_deref().unwrap_or("")
        );
        match remove(port, letter).await {
            Ok(true) => {
                summary.replayed += 1;
                say(out, &format!("replayed {id} ({})", what.trim_end()));
            }
            Ok(false) => {
                summary.replayed += 1;
                say(
                    out,
                    &format!(
                        "replayed {id} ({}); it was no longer in {} to delete",
                        what.trim_end(),
                        letter.source.name()
                    ),
                );
            }
            Err(e) => {
                summary.kept += 1;
                say(
                    out,
                    &format!(
                        "replayed {id}, but it is still kept (a later replay repeats it): {e}"
                    ),
                );
            }
        }
    }
    summary
}

/// Removes a dead letter that went through.
async fn remove(
    port: &impl DeadLetterPort,
    letter: &DeadLetter,
) -> Result<bool, lifeline_aws::dlq::DlqError> {
    match &letter.source {
        Source::Queue(queue) => port.delete_message(queue, &letter.id).await,
        Source::Bucket(bucket) => port.delete_object(bucket, &letter.id).await.map(|()| true),
    }
}

/// One line of the replay's account: its reasons come from the letters and
/// the functions' answers, so redacted and made printable.
fn say(out: &mut impl Write, line: &str) {
    let _ = writeln!(out, "{}", redact_text(&printable::line(line)));
}
