//! `lifeline table`: the shared table.

use clap::Subcommand;

use super::context::Context;
use super::failure::{store_err, Failure};

#[derive(Subcommand)]
pub enum TableCmd {
    /// Create the table (keys, index, stream, TTL) if it does not exist — for local and test setups;
    /// on AWS the SAM template creates it.
    Create,
}

pub async fn run(cmd: TableCmd, ctx: &Context) -> Result<(), Failure> {
    match cmd {
        TableCmd::Create => {
            let created = ctx.store.create_table().await.map_err(store_err)?;
            eprintln!(
                "table {} {}",
                ctx.table,
                if created { "created" } else { "already exists" }
            );
        }
    }
    Ok(())
}
