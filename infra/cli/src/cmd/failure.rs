//! How a command fails, and the exit code each way gives.

/// A user mistake (exit 2) or a failure to reach the store (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Store(String),
    /// Not a failure of the command: the exit code it reports (doctor).
    #[error("exit {0}")]
    Exit(u8),
}

/// A value given on the command line that does not parse: the flag (or
/// argument) named, then why.
pub fn usage<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> Failure + '_ {
    move |e| Failure::Usage(format!("{what}: {e}"))
}

pub fn store_err(e: lifeline_app::ports::StoreError) -> Failure {
    Failure::Store(e.to_string())
}
