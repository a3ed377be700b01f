//! `lifeline`: the admin CLI. Same AWS configuration as the functions
//! (`AWS_ENDPOINT_URL*`, `AWS_REGION`, `LIFELINE_TABLE`). The subcommands
//! are `lifeline_cli::cmd`'s.

use clap::Parser;
use lifeline_cli::cmd::{run, Cli, Failure};
use lifeline_cli::printable;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        // The message may carry a service's words or a stored value.
        Err(Failure::Usage(m)) => {
            eprintln!("error: {}", printable::text(&m));
            ExitCode::from(2)
        }
        Err(Failure::Store(m)) => {
            eprintln!("error: {}", printable::text(&m));
            ExitCode::from(1)
        }
        Err(Failure::Exit(code)) => ExitCode::from(code),
    }
}
