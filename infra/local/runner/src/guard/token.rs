//! The runner's per-run token: what `/_local/*` and Lambda's Invoke API path
//! require, so that only someone who can read it (the developer's own shell,
//! through `infra/local/env.sh`) drives the clock or invokes functions.

use rand::RngCore;
use std::path::Path;

/// The header that carries the token.
pub const TOKEN_HEADER: &str = "x-lifeline-local-token";

/// Random bytes in a token (hex-encoded: twice as many characters).
const TOKEN_BYTES: usize = 32;

/// A random token made at the runner's start. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct LocalToken(String);

impl LocalToken {
    /// A fresh token from rand's thread-local CSPRNG (ChaCha, seeded and
    /// reseeded from the operating system's).
    pub fn generate() -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        LocalToken(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The token itself, to hand to a client (a test, `run.sh`).
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// Whether `offered` is this token, in time that does not depend on
    /// where the first difference is.
    pub fn matches(&self, offered: &[u8]) -> bool {
        let want = self.0.as_bytes();
        want.len() == offered.len()
            && want
                .iter()
                .zip(offered)
                .fold(0u8, |differ, (a, b)| differ | (a ^ b))
                == 0
    }

    /// Writes the token to a new file at `path`, readable by its owner only
    /// (`run.sh` reads it from there into `infra/local/env.sh`). An existing
    /// file is an error: someone else may have put it there.
    pub fn write_new(&self, path: &Path) -> std::io::Result<()> {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(path)?.write_all(self.0.as_bytes())
    }
}

impl std::fmt::Debug for LocalToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalToken(…)")
    }
}
