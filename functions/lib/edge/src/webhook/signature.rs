//! Lifeline's own webhook signatures (scheme v2): what a signature covers,
//! the shared secret handle it is checked with, and why one is refused.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use lifeline_domain::types::Invalid;

pub const SIGNATURE_HEADER: &str = "x-lifeline-signature";
/// Signatures older (or further in the future) than this are refused.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;

/// What a signature covers: the request's method, its path (as the client
/// sent it, without the query string) and its raw body, so a signature for
/// one route is worth nothing on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signed<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub body: &'a [u8],
}

impl<'a> Signed<'a> {
    pub fn new(method: &'a str, path: &'a str, body: &'a [u8]) -> Self {
        Signed { method, path, body }
    }

    /// A `POST` of `body` to `path` (every webhook but the presence API).
    pub fn post(path: &'a str, body: &'a [u8]) -> Self {
        Signed::new("POST", path, body)
    }
}

/// The keys a signature may be made with: the current secret and, during a
/// rotation, the previous one (Secrets Manager's `AWSCURRENT` and
/// `AWSPREVIOUS`).
#[derive(Default)]
struct Keys {
    current: Vec<u8>,
    previous: Option<Vec<u8>>,
}

/// The webhook secret; never printed. A cheap shared handle: every clone
/// sees the same keys, so keys refreshed from Secrets Manager reach every
/// handler at once.
#[derive(Clone)]
pub struct WebhookSecret(Arc<RwLock<Keys>>, Arc<AtomicBool>);

impl WebhookSecret {
    pub fn new(secret: &str) -> Result<Self, Invalid> {
        Ok(WebhookSecret(
            Arc::new(RwLock::new(Keys {
                current: Self::key(secret)?,
                previous: None,
            })),
            Arc::default(),
        ))
    }

    /// No secret: for functions that serve no webhook (stream consumers,
    /// schedule targets), and for a webhook whose secret is not loaded yet.
    /// Refuses every signature, should it ever be asked.
    pub fn refuse_all() -> Self {
        WebhookSecret(Arc::default(), Arc::default())
    }

    /// Whether a well-formed, timely signature failed to match since the
    /// last call (the refresher then fetches the keys again).
    pub fn take_mismatch(&self) -> bool {
        self.1.swap(false, Ordering::SeqCst)
    }

    fn key(secret: &str) -> Result<Vec<u8>, Invalid> {
        if secret.len() < 8 {
            return Err(Invalid("webhook secret must be at least 8 bytes".into()));
        }
        Ok(secret.as_bytes().to_vec())
    }

    fn keys(&self) -> std::sync::RwLockReadGuard<'_, Keys> {
        self.0.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the current key for every holder of this handle, with no
    /// previous one. A value too short to be a secret leaves the keys as
    /// they were.
    pub fn replace(&self, secret: &str) -> Result<(), Invalid> {
        self.rotate(secret, None)
    }

    /// The current key and, during a rotation, the previous one: signatures
    /// with either verify. A current value too short to be a secret leaves
    /// the keys as they were; an unusable previous one is dropped.
    pub fn rotate(&self, current: &str, previous: Option<&str>) -> Result<(), Invalid> {
        let current = Self::key(current)?;
        let previous = previous
            .and_then(|p| Self::key(p).ok())
            .filter(|p| *p != current);
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Keys { current, previous };
        Ok(())
    }

    /// Whether a key is held (else every signature is refused).
    pub fn is_set(&self) -> bool {
        !self.keys().current.is_empty()
    }

    /// Whether the current key is `secret` (a refresh that changed nothing).
    pub fn holds(&self, secret: &str) -> bool {
        self.keys().current == secret.as_bytes()
    }

    /// HMAC-SHA256 over `"<t>.<METHOD>.<path>.<raw body>"` (scheme v2).
    fn mac(key: &[u8], t: i64, req: &Signed<'_>) -> Hmac<Sha256> {
        // HMAC accepts keys of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(req.method.to_ascii_uppercase().as_bytes());
        mac.update(b".");
        mac.update(req.path.as_bytes());
        mac.update(b".");
        mac.update(req.body);
        mac
    }

    /// The header value for `req` signed at `t` with the current key:
    /// `t=<t>,v2=<hex>` (for clients and tests).
    pub fn sign(&self, t: i64, req: Signed<'_>) -> String {
        let mac = Self::mac(&self.keys().current, t, &req);
        format!("t={t},v2={}", hex::encode(mac.finalize().into_bytes()))
    }

    /// The retired scheme v1 (`"<t>.<raw body>"`, bound to no route): what
    /// an old sender sends. Refused on its own; ignored beside a `v2`.
    pub fn sign_v1(&self, t: i64, body: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.keys().current)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
    }

    /// Checks `t=<unix>,v2=<hex>[,v2=<hex>…]` against the request, in
    /// constant time per MAC. Unknown schemes (`v1` among them) are ignored:
    /// a header with no `v2` is refused like a wrong one.
    pub fn verify(
        &self,
        header: Option<&str>,
        req: Signed<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let mut t = None;
        let mut v2 = Vec::new();
        for part in header.split(',') {
            match part.trim().split_once('=') {
                Some(("t", v)) => {
                    t = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?)
                }
                Some(("v2", v)) => v2.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
                Some(_) => {}
                None => return Err(SignatureError::Malformed),
            }
        }
        let t = t.ok_or(SignatureError::Malformed)?;
        // In i128: no timestamp, however hostile, overflows the difference.
        if (i128::from(now.timestamp()) - i128::from(t)).abs()
            > i128::from(SIGNATURE_TOLERANCE_SECS)
        {
            return Err(SignatureError::Stale);
        }
        let keys = self.keys();
        let candidates = std::iter::once(&keys.current)
            .chain(keys.previous.as_ref())
            .filter(|k| !k.is_empty());
        // Several v2 values: the sender's side of a rotation.
        for key in candidates {
            if v2
                .iter()
                .any(|sig| Self::mac(key, t, &req).verify_slice(sig).is_ok())
            {
                return Ok(());
            }
        }
        if !v2.is_empty() {
            self.1.store(true, Ordering::SeqCst);
        }
        Err(SignatureError::Mismatch)
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing X-Lifeline-Signature header")]
    Missing,
    #[error("malformed X-Lifeline-Signature header")]
    Malformed,
    #[error("signature timestamp outside the allowed 5 minutes")]
    Stale,
    #[error("signature does not match")]
    Mismatch,
}
