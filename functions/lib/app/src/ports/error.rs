//! The error every store port shares: the store did not answer as asked.

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Network, throttling, timeouts, emulator down: worth a retry later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// An item that does not decode: a bug or a hand edit.
    #[error("corrupt item {key}: {detail}")]
    Corrupt { key: String, detail: String },
    /// No answer within the time the caller could give: a write may still
    /// have committed.
    #[error("no answer from the store within {0} ms")]
    TimedOut(u64),
}
