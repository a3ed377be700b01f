//! The console's sign-in: a user name and password for the user pool's
//! tokens. The password goes to the identity provider and nowhere else.

use async_trait::async_trait;

/// The tokens a sign-in gives.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub id_token: String,
    pub access_token: String,
    /// How long they are valid, in seconds.
    pub expires_in: i64,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The tokens are credentials: never in a log.
        f.debug_struct("SignedIn")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// Why a sign-in gave no tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// Unknown user or wrong password (one answer for both).
    #[error("wrong user name or password")]
    WrongCredentials,
    /// The pool wants something first (a new password, a second factor):
    /// the user finishes it with the identity provider.
    #[error("the user pool asks for {0} first")]
    Challenge(String),
    /// The identity provider did not answer as it should: try again.
    #[error("the identity provider is unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait ConsoleSignIn: Send + Sync {
    async fn sign_in(&self, username: &str, password: &str) -> Result<SignedIn, SignInError>;
}
