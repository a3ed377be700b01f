//! `lifeline dlq`: gathers the dead letters over the AWS adapter, then
//! lists, shows or replays them (the logic is `lifeline_dead_letters`'s,
//! which the web console runs too).

use clap::{Args, Subcommand};
use lifeline_app::settings::table::{LIFELINE_STAGE, LIFELINE_STREAM_FAILURE_BUCKET};
use lifeline_dead_letters as dlq;
use lifeline_dead_letters::DeadLetterClients;

use super::context::Context;
use super::failure::{usage, Failure};
use super::output::{emit, note};

/// Where dead letters are kept.
#[derive(Args)]
pub struct DlqPlaces {
    /// The deployment stage: its SQS queues named `lifeline-<stage>-…-failures`
    /// and `…-dlq` are read (`local` for the local setup).
    #[arg(long, env = LIFELINE_STAGE.name, default_value = dlq::DEFAULT_STAGE)]
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
    /// Each goes through the stage's own function that its queue (or
    /// bucket) belongs to, named from the stage (`lifeline-<stage>-<name>`,
    /// a synchronous invoke; the outbox's go back to the outbox), and is
    /// deleted once it went through; one that fails again is kept and the
    /// reason said. One that names another function, version or account is
    /// refused: never invoked, kept. Safe to repeat: every Lifeline handler
    /// is idempotent. Prints `replayed N, failed again M`; exits 1 unless all
    /// went through.
    Replay {
        /// The dead letters to replay (ids as `show` takes them).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        ids: Vec<String>,
        /// Every replayable dead letter (unknown shapes are left, and said).
        /// Asks for confirmation (`y/N`) on a terminal; without one, needs
        /// --yes.
        #[arg(long)]
        all: bool,
        /// Replay --all without asking.
        #[arg(long, short = 'y')]
        yes: bool,
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
            yes,
            queue,
            places: p,
        } => replay(&aws, &ids, (all, yes), places(p, queue)?).await?,
    }
    Ok(())
}

/// The places the flags name; `only` restricts them to one queue or bucket.
fn places(p: DlqPlaces, only: Option<String>) -> Result<dlq::Places, Failure> {
    dlq::Places::new(&p.stage, p.failure_bucket.as_deref(), only).map_err(usage("--stage"))
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
    for n in &gathered.notes {
        note(&format!("note: {n}"));
    }
    Ok(gathered.letters)
}

/// `dlq replay`: every id is resolved, and `--all` confirmed, before
/// anything is replayed; exit 1 unless all went through.
async fn replay(
    aws: &DeadLetterClients,
    ids: &[String],
    (all, yes): (bool, bool),
    places: dlq::Places,
) -> Result<(), Failure> {
    let stage = places.stage.clone();
    let letters = gather(aws, places).await?;
    let chosen = dlq::select(&letters, ids, all).map_err(|e| Failure::Usage(e.to_string()))?;
    if !chosen.is_empty() && !confirmed(&stage, &chosen, all, yes)? {
        note("nothing replayed");
        return Err(Failure::Exit(1));
    }
    let mut out = std::io::stdout();
    let summary = dlq::replay(aws, &chosen, &mut out).await;
    if all {
        let left = letters
            .iter()
            .filter(|l| !l.replay.is_replayable() && !l.replay.is_refused())
            .count();
        if left > 0 {
            note(&format!(
                "left {left} that cannot be replayed (`lifeline dlq list` shows them)"
            ));
        }
    }
    emit(&format!("{}\n", summary.line()));
    if !summary.all_done() {
        return Err(Failure::Exit(1));
    }
    Ok(())
}

/// Whether the replay may go ahead: `--all` is asked on a terminal (`y`
/// only), refused without one unless `--yes`.
fn confirmed(
    stage: &dlq::Stage,
    chosen: &[&dlq::DeadLetter],
    all: bool,
    yes: bool,
) -> Result<bool, Failure> {
    use std::io::{BufRead, IsTerminal, Write};
    match dlq::consent(all, yes, std::io::stdin().is_terminal()) {
        dlq::Consent::Given => Ok(true),
        dlq::Consent::Missing => Err(Failure::Usage(
            "--all replays every dead letter with your credentials: confirm with --yes \
             (no terminal to ask on)"
                .into(),
        )),
        dlq::Consent::Ask => {
            eprint!("{}", dlq::prompt(stage, chosen));
            let _ = std::io::stderr().flush();
            let mut answer = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut answer)
                .map_err(|e| Failure::Usage(format!("no answer read: {e}")))?;
            Ok(dlq::is_yes(&answer))
        }
    }
}
