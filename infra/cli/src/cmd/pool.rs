//! `lifeline pool`: the callback-number pools, one per country.

use clap::Subcommand;
use lifeline_app::ports::{AdminStore, RemoveError};
use lifeline_domain::numbers::Country;
use lifeline_domain::types::E164;

use super::context::Context;
use super::failure::{store_err, usage, Failure};
use super::output::{emit, print_json};

pub mod export;

#[derive(Subcommand)]
pub enum PoolCmd {
    /// Add callback numbers to a country's pool, available at once. A number
    /// already in the table (free, leased or in quarantine) is left exactly
    /// as it is and reported as already present.
    Add {
        /// Pool country (US, CA, PR, GB, DK).
        #[arg(long)]
        country: String,
        /// Numbers in E.164 form.
        #[arg(required = true)]
        numbers: Vec<String>,
    },
    /// Remove numbers from their pool: refused while a number is leased, and
    /// after its lease while it is in quarantine (a late emergency callback
    /// may still come for its previous holder); the refusal names the time
    /// it becomes possible. Exit 2 if any was refused.
    Remove {
        /// Numbers in E.164 form.
        #[arg(required = true)]
        numbers: Vec<String>,
    },
    /// List pool numbers and their state (free, leased to whom until when,
    /// quarantined until when), as JSON.
    List {
        /// Only this country's pool.
        #[arg(long)]
        country: Option<String>,
    },
    /// Every pool number, for a SIP proxy that must know them when Lifeline
    /// cannot answer (`--format kamailio`: the db_text table `pool` that
    /// infra/sip's Kamailio re-reads without a restart).
    Export {
        /// The proxy's format.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Write here (whole, by a rename) instead of stdout, e.g. the
        /// proxy's data folder's `pool`.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// Kamailio's db_text table for `htable` (infra/sip).
    Kamailio,
}

pub async fn run(cmd: PoolCmd, ctx: &Context) -> Result<(), Failure> {
    match cmd {
        PoolCmd::Add { country, numbers } => {
            let country: Country = country.parse().map_err(usage("--country"))?;
            let numbers = parse_numbers(&numbers)?;
            pool_add(
                &ctx.store,
                country,
                &numbers,
                ctx.now,
                &mut std::io::stderr(),
            )
            .await
        }
        PoolCmd::Remove { numbers } => {
            let numbers = parse_numbers(&numbers)?;
            pool_remove(&ctx.store, &numbers, ctx.now, &mut std::io::stderr()).await
        }
        PoolCmd::List { country } => {
            let country = country
                .map(|c| c.parse::<Country>())
                .transpose()
                .map_err(usage("--country"))?;
            let list = ctx
                .store
                .list_pool(country, ctx.now)
                .await
                .map_err(store_err)?;
            print_json(&serde_json::to_value(list).unwrap_or_default());
            Ok(())
        }
        PoolCmd::Export { format, out } => {
            let list = ctx
                .store
                .list_pool(None, ctx.now)
                .await
                .map_err(store_err)?;
            let text = match format {
                ExportFormat::Kamailio => export::kamailio_table(&list),
            };
            match out {
                None => emit(&text),
                Some(path) => {
                    export::write_atomically(&path, &text)
                        .map_err(|e| Failure::Usage(format!("--out {}: {e}", path.display())))?;
                    eprintln!("{} pool numbers written to {}", list.len(), path.display());
                }
            }
            Ok(())
        }
    }
}

/// Numbers as given on the command line; the first malformed one is named.
fn parse_numbers(numbers: &[String]) -> Result<Vec<E164>, Failure> {
    numbers
        .iter()
        .map(|n| {
            n.parse::<E164>()
                .map_err(|e| Failure::Usage(format!("`{n}`: {e}")))
        })
        .collect()
}

/// `pool add`: says how many were added and which were already present
/// (left as they were: a leased or quarantined number keeps its lease and
/// its quarantine).
async fn pool_add(
    store: &impl AdminStore,
    country: Country,
    numbers: &[E164],
    now: chrono::DateTime<chrono::Utc>,
    out: &mut impl std::io::Write,
) -> Result<(), Failure> {
    let r = store
        .add_numbers(country, numbers, now)
        .await
        .map_err(store_err)?;
    let _ = writeln!(
        out,
        "added {} to the {country} pool, already present {}",
        r.added.len(),
        r.present.len()
    );
    if !r.present.is_empty() {
        let _ = writeln!(
            out,
            "already present, left as they were (lease and quarantine unchanged; `lifeline pool list` shows them): {}",
            r.present
                .iter()
                .map(E164::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    Ok(())
}

/// `pool remove`: each number in turn, each outcome said; a refusal (leased,
/// in quarantine, unknown) leaves the number as it is and the command exits
/// 2 once the others are done. A store failure stops at once (exit 1).
async fn pool_remove(
    store: &impl AdminStore,
    numbers: &[E164],
    now: chrono::DateTime<chrono::Utc>,
    out: &mut impl std::io::Write,
) -> Result<(), Failure> {
    let mut refused = 0;
    for n in numbers {
        match store.remove_number(n, now).await {
            Ok(()) => {
                let _ = writeln!(out, "{n} removed");
            }
            Err(RemoveError::Store(e)) => return Err(store_err(e)),
            Err(e) => {
                refused += 1;
                let _ = writeln!(out, "refused: {e}");
            }
        }
    }
    match refused {
        0 => Ok(()),
        _ => Err(Failure::Usage(format!(
            "{refused} of {} not removed",
            numbers.len()
        ))),
    }
}

#[cfg(test)]
mod tests;
