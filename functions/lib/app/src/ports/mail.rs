//! Sending one e-mail message, and the provider's error codes (never its
//! messages).

use async_trait::async_trait;

/// An error as the notifier may keep it: the provider's error code only
/// (`MessageRejected`, `TooManyRequestsException`, `Transport`, ...), never
/// its message, which can quote recipient addresses. Anything that does not
/// look like a code (letters, digits, `.`, `_`, `-`; at most 64) becomes
/// `Unknown`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ErrorCode(String);

impl ErrorCode {
    pub fn new(code: &str) -> Self {
        let ok = !code.is_empty()
            && code.len() <= 64
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        ErrorCode(if ok { code } else { "Unknown" }.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a message was not sent, as an error code only (see [`ErrorCode`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Throttling, network, a 5xx: retry.
    #[error("transient: {0}")]
    Transient(ErrorCode),
    /// Rejected, unverified sender, bad request: retrying will not help.
    #[error("permanent: {0}")]
    Permanent(ErrorCode),
}

#[async_trait]
pub trait EmailSender: Send + Sync {
    /// Sends one message to exactly one address (nobody sees another
    /// recipient's address); its message id.
    async fn send(
        &self,
        from: &lifeline_domain::types::Email,
        to: &lifeline_domain::types::Email,
        email: &lifeline_domain::notification::RenderedEmail,
    ) -> Result<String, SendError>;
}
