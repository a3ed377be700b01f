//! The token of a personal acknowledgement link, `…/ack/<token>`: every
//! alert carries one. It names one incident and one recipient, expires
//! after 24 hours, and is signed (HMAC-SHA256) under a key derived from the
//! webhook secret, so it can be neither forged, nor moved to another
//! incident or recipient, nor kept past its day. The link is public, like
//! any e-mailed link: whoever holds it acknowledges as that recipient.
//!
//! `<base64url(v1|<incident>|<recipient>|<expiry>)>.<base64url(tag)>`; no
//! address or number is in it (the recipient is a digest), since links end
//! up in access logs and mail scanners.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub use lifeline_domain::ack::RecipientKey;
use lifeline_domain::types::CallId;

use super::signature::WebhookSecret;

/// How long an acknowledgement link works.
pub const ACK_LINK_VALIDITY: Duration = Duration::hours(24);

/// Longer than any token Lifeline issues: refused before any decoding.
pub const MAX_ACK_TOKEN_CHARS: usize = 512;

/// What the derived key is for: a webhook signature never verifies as a
/// token, nor a token as a signature.
const PURPOSE: &[u8] = b"lifeline ack link v1";
const VERSION: &str = "v1";

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckClaim {
    /// The incident: its call record's id.
    pub incident: CallId,
    pub recipient: RecipientKey,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AckTokenError {
    /// Not a token Lifeline issues (shape, length, encoding).
    #[error("not an acknowledgement link")]
    Malformed,
    /// Well-formed, but its signature does not verify (tampered, or made
    /// under a key Lifeline no longer holds).
    #[error("the acknowledgement link is not valid")]
    Forged,
    #[error("the acknowledgement link has expired")]
    Expired,
}

/// The token for `recipient` on `incident`, issued at `now` (valid
/// [`ACK_LINK_VALIDITY`]), signed with the current key.
pub fn issue_ack_token(
    secret: &WebhookSecret,
    incident: &CallId,
    recipient: &RecipientKey,
    now: DateTime<Utc>,
) -> String {
    let expires = (now + ACK_LINK_VALIDITY).timestamp();
    let payload = format!("{VERSION}|{incident}|{recipient}|{expires}");
    let tag = secret
        .derived_tags(PURPOSE, payload.as_bytes())
        .into_iter()
        .next()
        .unwrap_or_default();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// What `token` says, if Lifeline issued it (under the current or the
/// previous key) and it has not expired at `now`.
pub fn verify_ack_token(
    secret: &WebhookSecret,
    token: &str,
    now: DateTime<Utc>,
) -> Result<AckClaim, AckTokenError> {
    if token.len() > MAX_ACK_TOKEN_CHARS {
        return Err(AckTokenError::Malformed);
    }
    let (payload, tag) = token.split_once('.').ok_or(AckTokenError::Malformed)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| AckTokenError::Malformed)?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| AckTokenError::Malformed)?;
    if !secret.verify_derived(PURPOSE, &payload, &tag) {
        return Err(AckTokenError::Forged);
    }
    let claim = parse_payload(&payload).ok_or(AckTokenError::Malformed)?;
    if claim.expires_at <= now {
        return Err(AckTokenError::Expired);
    }
    Ok(claim)
}

/// The links of one deployment: `<base>/ack/<token>`, signed with its
/// webhook secret (the notifier holds a handle, refreshed as the HTTP
/// functions' are).
#[derive(Clone)]
pub struct SignedAckLinks {
    pub secret: WebhookSecret,
    /// The HTTP API's URL, no trailing `/`.
    pub base: String,
}

impl lifeline_app::ports::AckLinks for SignedAckLinks {
    fn link(&self, incident: &CallId, recipient: &RecipientKey, now: DateTime<Utc>) -> String {
        let token = issue_ack_token(&self.secret, incident, recipient, now);
        format!("{}/ack/{token}", self.base)
    }
}

fn parse_payload(payload: &[u8]) -> Option<AckClaim> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut parts = text.split('|');
    let (version, incident, recipient, expires) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if version != VERSION || parts.next().is_some() {
        return None;
    }
    Some(AckClaim {
        incident: incident.parse().ok()?,
        recipient: RecipientKey::parse(recipient)?,
        expires_at: DateTime::from_timestamp(expires.parse().ok()?, 0)?,
    })
}

impl WebhookSecret {
    /// HMAC-SHA256 of `message` under a key derived for `purpose` from each
    /// key held (the current one first).
    pub(crate) fn derived_tags(&self, purpose: &[u8], message: &[u8]) -> Vec<[u8; 32]> {
        self.each_key(|key| {
            let derived = hmac(key, purpose);
            hmac(&derived, message)
        })
    }

    /// Whether `tag` is `message`'s under a key derived for `purpose` from
    /// any key held (compared in constant time).
    pub(crate) fn verify_derived(&self, purpose: &[u8], message: &[u8], tag: &[u8]) -> bool {
        self.each_key(|key| {
            let derived = hmac(key, purpose);
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&derived)
                .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
            mac.update(message);
            mac.verify_slice(tag).is_ok()
        })
        .into_iter()
        .any(|ok| ok)
    }
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(hours: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_496_400, 0).unwrap() + Duration::hours(hours)
    }

    fn secret() -> WebhookSecret {
        WebhookSecret::new("0123456789abcdef0123456789abcdef").unwrap()
    }

    fn ana() -> RecipientKey {
        RecipientKey::of(
            lifeline_domain::recipient::Channel::Email,
            "ana@example.com",
        )
    }

    #[test]
    fn a_token_names_its_incident_and_recipient_for_a_day() {
        let s = secret();
        let c1: CallId = "c-1".parse().unwrap();
        let token = issue_ack_token(&s, &c1, &ana(), t(0));
        let claim = verify_ack_token(&s, &token, t(23)).unwrap();
        assert_eq!((claim.incident, claim.recipient), (c1, ana()));
        assert_eq!(
            verify_ack_token(&s, &token, t(24)),
            Err(AckTokenError::Expired)
        );
        assert!(!token.contains("ana"), "no address in the link: {token}");
    }

    #[test]
    fn tampering_another_key_or_another_incident_is_refused() {
        let s = secret();
        let c1: CallId = "c-1".parse().unwrap();
        let token = issue_ack_token(&s, &c1, &ana(), t(0));
        // The payload rewritten to another incident, the tag kept.
        let (_, tag) = token.split_once('.').unwrap();
        let moved = format!(
            "{}.{tag}",
            URL_SAFE_NO_PAD.encode(format!(
                "v1|c-2|{}|{}",
                ana(),
                (t(0) + ACK_LINK_VALIDITY).timestamp()
            ))
        );
        assert_eq!(
            verify_ack_token(&s, &moved, t(1)),
            Err(AckTokenError::Forged)
        );
        // Another deployment's secret.
        let other = WebhookSecret::new("another-secret-of-32-bytes-long!").unwrap();
        assert_eq!(
            verify_ack_token(&other, &token, t(1)),
            Err(AckTokenError::Forged)
        );
        // A flipped character in the tag.
        let mut bytes = token.clone().into_bytes();
        let last = bytes.len() - 1;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(bytes).unwrap();
        assert_ne!(
            verify_ack_token(&s, &flipped, t(1)).ok(),
            Some(verify_ack_token(&s, &token, t(1)).unwrap())
        );
        for junk in ["", ".", "x.y", "not-a-token", &"a".repeat(600)] {
            assert!(verify_ack_token(&s, junk, t(1)).is_err(), "{junk}");
        }
    }

    #[test]
    fn a_token_survives_a_rotation_of_the_secret() {
        let s = secret();
        let c1: CallId = "c-1".parse().unwrap();
        let token = issue_ack_token(&s, &c1, &ana(), t(0));
        s.rotate(
            "a-new-secret-0123456789abcdef012",
            Some("0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        assert!(verify_ack_token(&s, &token, t(1)).is_ok());
        s.replace("a-new-secret-0123456789abcdef012").unwrap();
        assert_eq!(
            verify_ack_token(&s, &token, t(1)),
            Err(AckTokenError::Forged)
        );
    }

    #[test]
    fn a_webhook_signature_is_no_token() {
        let s = secret();
        let payload = format!("v1|c-1|{}|{}", ana(), t(5).timestamp());
        // A plain HMAC under the secret (not the derived key) does not verify.
        let tag = hmac(b"0123456789abcdef0123456789abcdef", payload.as_bytes());
        let token = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(tag)
        );
        assert_eq!(
            verify_ack_token(&s, &token, t(1)),
            Err(AckTokenError::Forged)
        );
    }
}
