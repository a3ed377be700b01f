//! Lifeline's own webhook signatures (scheme v2): what a signature covers,
//! the shared secret handle it is checked with, and why one is refused.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use lifeline_domain::types::Invalid;

pub const SIGNATURE_HEADER: &str = "x-lifeline-signature";
/// Signatures older than this are refused.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;
/// Signatures dated further ahead than this are refused: clock skew, not a
/// second five-minute window for replays.
pub const SIGNATURE_FUTURE_SECS: i64 = 30;
/// The longest signature header read; a longer one is refused unparsed.
pub const MAX_SIGNATURE_HEADER_BYTES: usize = 1024;
/// The most `v2=` values one header may carry (a sender mid-rotation sends
/// two): each is compared, none costs another MAC.
pub const MAX_V2_VALUES: usize = 4;
/// An HMAC-SHA256 tag's length.
const TAG_BYTES: usize = 32;

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
    /// The shortest value taken as a key (at least [`MIN_SECRET_BYTES`]).
    min_len: usize,
}

/// The shortest webhook secret taken anywhere (the local one included).
pub const MIN_SECRET_BYTES: usize = 8;
/// The shortest taken on AWS: 256 bits, what `lifeline secret rotate` makes.
pub const AWS_MIN_SECRET_BYTES: usize = 32;

/// The webhook secret; never printed. A cheap shared handle: every clone
/// sees the same keys, so keys refreshed from Secrets Manager reach every
/// handler at once.
#[derive(Clone)]
pub struct WebhookSecret(Arc<RwLock<Keys>>, Arc<AtomicBool>);

impl WebhookSecret {
    pub fn new(secret: &str) -> Result<Self, Invalid> {
        Self::with_minimum(secret, MIN_SECRET_BYTES)
    }

    /// A secret of at least `min_len` bytes; every later value must be too.
    pub fn with_minimum(secret: &str, min_len: usize) -> Result<Self, Invalid> {
        Ok(WebhookSecret(
            Arc::new(RwLock::new(Keys {
                current: Self::key(secret, min_len)?,
                previous: None,
                min_len,
            })),
            Arc::default(),
        ))
    }

    /// From now on no value shorter than `min_len` is taken as a key (a
    /// handle the refresher fills on AWS).
    pub fn require_min_len(&self, min_len: usize) {
        self.0.write().unwrap_or_else(|p| p.into_inner()).min_len = min_len;
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

    fn key(secret: &str, min_len: usize) -> Result<Vec<u8>, Invalid> {
        let min_len = min_len.max(MIN_SECRET_BYTES);
        if secret.len() < min_len {
            return Err(Invalid(format!(
                "webhook secret must be at least {min_len} bytes"
            )));
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
        let mut keys = self.0.write().unwrap_or_else(|p| p.into_inner());
        let current = Self::key(current, keys.min_len)?;
        keys.previous = previous
            .and_then(|p| Self::key(p, keys.min_len).ok())
            .filter(|p| *p != current);
        keys.current = current;
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

    /// `f` of each key held, the current one first (none without a key).
    pub(crate) fn each_key<R>(&self, f: impl Fn(&[u8]) -> R) -> Vec<R> {
        let keys = self.keys();
        std::iter::once(&keys.current)
            .chain(keys.previous.as_ref())
            .filter(|k| !k.is_empty())
            .map(|k| f(k))
            .collect()
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

    /// Checks `t=<unix>,v2=<hex>[,v2=<hex>…]` against the request.
    pub fn verify(
        &self,
        header: Option<&str>,
        req: Signed<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), SignatureError> {
        self.verify_at(header, req, now).map(|_| ())
    }

    /// The same, answering the signed `t` (a state-setting request is
    /// applied only if no later one was). Bounded work whatever the header
    /// says: at most [`MAX_SIGNATURE_HEADER_BYTES`], [`MAX_V2_VALUES`] tags
    /// of 32 bytes, one MAC per key, each tag compared in constant time.
    /// Unknown schemes (`v1` among them) are ignored: a header with no `v2`
    /// is refused like a wrong one.
    pub fn verify_at(
        &self,
        header: Option<&str>,
        req: Signed<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64, SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let (t, tags) = parse_header(header)?;
        // In i128: no timestamp, however hostile, overflows the difference.
        let age = i128::from(now.timestamp()) - i128::from(t);
        if age > i128::from(SIGNATURE_TOLERANCE_SECS) || -age > i128::from(SIGNATURE_FUTURE_SECS) {
            return Err(SignatureError::Stale);
        }
        let keys = self.keys();
        let candidates = std::iter::once(&keys.current)
            .chain(keys.previous.as_ref())
            .filter(|k| !k.is_empty());
        for key in candidates {
            let mac = Self::mac(key, t, &req);
            // Several tags: the sender's side of a rotation. A clone of the
            // MAC's state finalises without hashing the body again.
            if tags.iter().any(|tag| mac.clone().verify_slice(tag).is_ok()) {
                return Ok(t);
            }
        }
        if !tags.is_empty() {
            self.1.store(true, Ordering::SeqCst);
        }
        Err(SignatureError::Mismatch)
    }
}

/// `t` and the `v2` tags of a signature header, refused before any MAC when
/// it is too long, carries too many tags, or a tag that is not 32 bytes.
fn parse_header(header: &str) -> Result<(i64, Vec<[u8; TAG_BYTES]>), SignatureError> {
    if header.len() > MAX_SIGNATURE_HEADER_BYTES {
        return Err(SignatureError::Oversized);
    }
    let mut t = None;
    let mut tags = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            Some(("v2", v)) => {
                if tags.len() == MAX_V2_VALUES {
                    return Err(SignatureError::Oversized);
                }
                let mut tag = [0u8; TAG_BYTES];
                hex::decode_to_slice(v, &mut tag).map_err(|_| SignatureError::Malformed)?;
                tags.push(tag);
            }
            Some(_) => {}
            None => return Err(SignatureError::Malformed),
        }
    }
    Ok((t.ok_or(SignatureError::Malformed)?, tags))
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
    #[error("X-Lifeline-Signature header over 1 KiB or with more than 4 v2 values")]
    Oversized,
    #[error("signature timestamp more than 5 minutes old or 30 s ahead")]
    Stale,
    #[error("signature does not match")]
    Mismatch,
}
