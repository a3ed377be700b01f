//! The account's auth token and Twilio's request signatures
//! (https://www.twilio.com/docs/usage/security#validating-requests).

use std::fmt;
use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use lifeline_domain::types::Invalid;

use super::form::Form;

/// The account's auth token: the HMAC key of every request signature. Never
/// printed. A shared handle: a refreshed token reaches every holder at once.
#[derive(Clone)]
pub struct TwilioAuthToken(Arc<RwLock<Vec<u8>>>);

impl TwilioAuthToken {
    pub fn new(token: &str) -> Result<Self, Invalid> {
        Ok(TwilioAuthToken(Arc::new(RwLock::new(Self::key(token)?))))
    }

    /// No token yet (it is being fetched): every signature is refused.
    pub fn unset() -> Self {
        TwilioAuthToken(Arc::default())
    }

    /// Replaces the token for every holder; a bad value keeps the old one.
    pub fn replace(&self, token: &str) -> Result<(), Invalid> {
        let key = Self::key(token)?;
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = key;
        Ok(())
    }

    pub fn is_set(&self) -> bool {
        !self.0.read().unwrap_or_else(|p| p.into_inner()).is_empty()
    }

    /// Refuses an empty token and one holding whitespace: a token read with a
    /// stray newline would otherwise refuse every request, silently.
    fn key(token: &str) -> Result<Vec<u8>, Invalid> {
        if token.trim().is_empty() {
            return Err(Invalid("Twilio auth token must not be empty".into()));
        }
        if token.chars().any(char::is_whitespace) {
            return Err(Invalid(
                "Twilio auth token must not contain whitespace".into(),
            ));
        }
        Ok(token.as_bytes().to_vec())
    }
}

impl lifeline_edge::secret::SecretSlot for TwilioAuthToken {
    /// One token: Twilio signs with the account's primary token only.
    fn fill(&self, current: &str, _previous: Option<&str>) -> Result<(), String> {
        self.replace(current).map_err(|e| e.0)
    }

    fn is_set(&self) -> bool {
        TwilioAuthToken::is_set(self)
    }
}

impl fmt::Debug for TwilioAuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TwilioAuthToken(***)")
    }
}

/// Why a request's signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TwilioSignatureError {
    #[error("missing X-Twilio-Signature header")]
    Missing,
    #[error("X-Twilio-Signature does not match the request URL and parameters")]
    Mismatch,
}

/// The parameters in signing order: by name, then by value for a repeated
/// name, as Twilio's helper libraries sort them.
pub(crate) fn signing_order(form: &Form) -> Vec<&(String, String)> {
    let mut pairs: Vec<_> = form.0.iter().collect();
    pairs.sort_unstable();
    pairs
}

/// HMAC-SHA1 keyed by the auth token over the URL, then each parameter's
/// name immediately followed by its value, with no delimiters.
pub(crate) fn mac(token: &TwilioAuthToken, url: &str, params: &[&(String, String)]) -> Hmac<Sha1> {
    let key = token.0.read().unwrap_or_else(|p| p.into_inner());
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(&key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(url.as_bytes());
    for (name, value) in params {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// The `X-Twilio-Signature` Twilio sends for a POST of `form` to `url` (the
/// full URL it requested: scheme, host, path and query string as they are).
pub fn expected_signature(token: &TwilioAuthToken, url: &str, form: &Form) -> String {
    BASE64.encode(
        mac(token, url, &signing_order(form))
            .finalize()
            .into_bytes(),
    )
}

/// Checks the `X-Twilio-Signature` header of a POST of `form` to `url`, in
/// constant time. Like Twilio's helper libraries, a signature over the URL
/// with or without its port is accepted (see `port_variant`).
pub fn verify(
    token: &TwilioAuthToken,
    url: &str,
    form: &Form,
    header: Option<&str>,
) -> Result<(), TwilioSignatureError> {
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(TwilioSignatureError::Missing)?;
    // Not base64 cannot be Twilio's: the same answer as a wrong signature.
    let signature = BASE64
        .decode(header)
        .map_err(|_| TwilioSignatureError::Mismatch)?;
    // No token in hand (still being fetched): nothing can be verified.
    if !token.is_set() {
        return Err(TwilioSignatureError::Mismatch);
    }
    let params = signing_order(form);
    let other = port_variant(url);
    let matches = |u: &str| mac(token, u, &params).verify_slice(&signature).is_ok();
    if matches(url) || other.as_deref().is_some_and(matches) {
        Ok(())
    } else {
        Err(TwilioSignatureError::Mismatch)
    }
}

/// The other spelling of `url` that Twilio may have signed. Twilio is not
/// consistent about ports, so its helper libraries (twilio-python's
/// `RequestValidator.validate`, twilio-ruby, twilio-node) check the URL both
/// without a port and with the scheme's default port. The URL as given is
/// one of the two; this is the other: without its port when it has one (any
/// port, as twilio-python's `remove_port`), else with 443 for https and 80
/// for anything else (its `add_port`). `None` when there is no authority or
/// the port is not a number.
pub(crate) fn port_variant(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let (authority, tail) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    // Credentials may hold ':'; the host starts after the last '@'.
    let (userinfo, host_port) = authority.split_at(authority.rfind('@').map_or(0, |i| i + 1));
    // A ':' inside IPv6 brackets is no port separator.
    match host_port
        .rfind(':')
        .filter(|&i| !host_port[i..].contains(']'))
    {
        Some(i) => {
            let port = &host_port[i + 1..];
            if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(format!("{scheme}://{userinfo}{}{tail}", &host_port[..i]))
        }
        None => {
            let port = if scheme.eq_ignore_ascii_case("https") {
                443
            } else {
                80
            };
            Some(format!("{scheme}://{userinfo}{host_port}:{port}{tail}"))
        }
    }
}

/// The identity of a Twilio Client caller (`From` is `client:alice`).
pub fn client_identity(from: &str) -> Option<&str> {
    from.strip_prefix("client:").filter(|id| !id.is_empty())
}
