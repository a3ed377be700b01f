//! `lifeline dlq`: gathers the dead letters over the AWS adapter, then
//! lists, shows or replays them (the logic is [`crate::dlq`]'s).

use clap::{Args, Subcommand};
use lifeline_app::settings::table::{LIFELINE_STAGE, LIFELINE_STREAM_FAILURE_BUCKET};
use lifeline_aws::dlq::DeadLetterClients;

use super::context::Context;
use super::failure::{usage, Failure};
use super::output::emit;
use crate::dlq;

/// Where dead letters are kept.
#[derive(Args)]
pub struct DlqPlaces {
    /// The deployment stage: its SQS queues named `lifeline-<stage>-…-failures`
    /// and `…-dlq` are read (`local` for the local setup).
    #[arg(long, env = LIFELINE_STAGE.name, default_value = "prod")]
    stage: String,
    /// The S3 bucket where the stream's event source mapping keeps the
    /// batches it gave up on (unset: no bucket is read).
    #[arg(long, env = LIFELINE_STREAM_FAILURE_BUCKET.name)]
    failure_bucket: Option<String>,
}

#[derive(Subcommand)]
pub enum DlqCmd {
    /// List every dead letter, one line each.
    ///
    /// Per dead letter: id, queue or bucket, when, kind, function or target,
    /// what it concerns (call, lease, agent, item key), why. Looking does not
    /// hide messages from their other readers. Phone numbers are shown by
    /// their last 4 digits only.
    List {
        #[command(flatten)]
        places: DlqPlaces,
        /// Only this queue (or bucket).
        #[arg(long)]
        queue: Option<String>,
        /// A JSON array instead of lines: per dead letter id, shortId,
        /// source, sourceType (queue|bucket), kind, at, target, reason,
        /// subject, replayable, replay.
        #[arg(long)]
        json: bool,
    },
    /// Everything about one dead letter.
    ///
    /// Its attributes and payload, pretty-printed. Phone numbers, addresses,
    /// coordinates and e-mail addresses are masked unless --raw.
    Show {
        /// The dead letter: its id (SQS MessageId or S3 key), the short id
        /// `list` shows, or a unique beginning of its id.
        id: String,
        #[command(flatten)]
        places: DlqPlaces,
        /// Only look in this queue (or bucket).
        #[arg(long)]
        queue: Option<String>,
        /// Show the payload as stored, personal data included.
        #[arg(long)]
        raw: bool,
    },
    /// Replay dead letters, deleting each one that goes through.
    ///
    /// Each goes through the function that failed on it (a synchronous
    /// invoke; the outbox's go back to the outbox) and is deleted once it
    /// went through; one that fails again is kept and the reason said. Safe
    /// to repeat: every Lifeline handler is idempotent. Prints `replayed N,
    /// failed again M`; exits 1 unless all went through.
    Replay {
        /// The dead letters to replay (ids as `show` takes them).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        ids: Vec<String>,
        /// Every replayable dead letter (unknown shapes are left, and said).
        #[arg(long)]
        all: bool,
        /// Only dead letters of this queue (or bucket).
        #[arg(long)]
        queue: Option<String>,
        #[command(flatten)]
        places: DlqPlaces,
    },
}

pub async fn run(cmd: DlqCmd, ctx: &Context) -> Result<(), Failure> {
    let aws = DeadLetterClients::from_conf(&ctx.conf);
    match cmd {
        DlqCmd::List {
            places: p,
            queue,
            json,
        } => {
            let letters = gather(&aws, places(p, queue)?).await?;
            if json {
                emit(&format!("{}\n", dlq::list_json(&letters)));
            } else if letters.is_empty() {
                eprintln!("no dead letters");
            } else {
                emit(&dlq::list_text(&letters));
            }
        }
        DlqCmd::Show {
            id,
            places: p,
            queue,
            raw,
        } => {
            let letters = gather(&aws, places(p, queue)?).await?;
            let letter = dlq::find(&letters, &id).map_err(|e| Failure::Usage(e.to_string()))?;
            emit(&dlq::show_text(letter, raw));
        }
        DlqCmd::Replay {
            ids,
            all,
            queue,
            places: p,
        } => replay(&aws, &ids, all, places(p, queue)?).await?,
    }
    Ok(())
}

/// The places the flags name; `only` restricts them to one queue or bucket.
fn places(p: DlqPlaces, only: Option<String>) -> Result<dlq::Places, Failure> {
    Ok(dlq::Places {
        stage: dlq::Stage::parse(p.stage.trim()).map_err(usage("--stage"))?,
        failure_bucket: p
            .failure_bucket
            .map(|b| b.trim().to_string())
            .filter(|b| !b.is_empty()),
        only,
    })
}

/// Every dead letter of `places`; what was skipped is said on stderr.
async fn gather(
    aws: &DeadLetterClients,
    places: dlq::Places,
) -> Result<Vec<dlq::DeadLetter>, Failure> {
    let gathered = dlq::gather(aws, &places).await.map_err(|e| match e {
        dlq::GatherError::NoSuchPlace(..) => Failure::Usage(e.to_string()),
        dlq::GatherError::Aws(e) => Failure::Store(e.to_string()),
    })?;
    for note in &gathered.notes {
        eprintln!("note: {note}");
    }
    Ok(gathered.letters)
}

/// `dlq replay`: every id is resolved before anything is replayed; exit 1
/// unless all went through.
async fn replay(
    aws: &DeadLetterClients,
    ids: &[String],
    all: bool,
    places: dlq::Places,
) -> Result<(), Failure> {
    let letters = gather(aws, places).await?;
    let chosen = dlq::select(&letters, ids, all).map_err(|e| Failure::Usage(e.to_string()))?;
    let mut out = std::io::stdout();
    let summary = dlq::replay(aws, &chosen, &mut out).await;
    if all {
        let left = letters.iter().filter(|l| !l.replay.is_replayable()).count();
        if left > 0 {
            eprintln!("left {left} that cannot be replayed (`lifeline dlq list` shows them)");
        }
    }
    emit(&format!("{}\n", summary.line()));
    if !summary.all_done() {
        return Err(Failure::Exit(1));
    }
    Ok(())
}
