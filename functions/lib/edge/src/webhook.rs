//! The webhook edge: signatures, problem answers and request validation.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::sync::{Arc, RwLock};

use lifeline_domain::call::{CallEnded, InboundCall, Location, OutboundDial};
use lifeline_domain::types::Invalid;

pub const SIGNATURE_HEADER: &str = "x-lifeline-signature";
/// Signatures older (or further in the future) than this are refused.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;
/// Largest body a webhook accepts.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The webhook secret; never printed. A cheap shared handle: every clone
/// sees the same key, so a refreshed key (see [`crate::secret`]) reaches
/// every handler at once.
#[derive(Clone)]
pub struct WebhookSecret(Arc<RwLock<Vec<u8>>>);

impl WebhookSecret {
    pub fn new(secret: &str) -> Result<Self, Invalid> {
        Ok(WebhookSecret(Arc::new(RwLock::new(Self::key(secret)?))))
    }

    /// No secret: for functions that serve no webhook (stream consumers,
    /// schedule targets), and for a webhook whose secret is not loaded yet.
    /// Refuses every signature, should it ever be asked.
    pub fn refuse_all() -> Self {
        WebhookSecret(Arc::new(RwLock::new(Vec::new())))
    }

    fn key(secret: &str) -> Result<Vec<u8>, Invalid> {
        if secret.len() < 8 {
            return Err(Invalid("webhook secret must be at least 8 bytes".into()));
        }
        Ok(secret.as_bytes().to_vec())
    }

    /// Replaces the key for every holder of this handle (a refresh, a
    /// rotation). A value too short to be a secret leaves the key as it was.
    pub fn replace(&self, secret: &str) -> Result<(), Invalid> {
        let key = Self::key(secret)?;
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = key;
        Ok(())
    }

    /// Whether a key is held (else every signature is refused).
    pub fn is_set(&self) -> bool {
        !self.0.read().unwrap_or_else(|p| p.into_inner()).is_empty()
    }

    /// Whether the held key is `secret` (a refresh that changed nothing).
    pub fn holds(&self, secret: &str) -> bool {
        *self.0.read().unwrap_or_else(|p| p.into_inner()) == secret.as_bytes()
    }

    fn mac(key: &[u8], t: i64, body: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The header value for a body signed at `t` (for clients and tests).
    pub fn sign(&self, t: i64, body: &[u8]) -> String {
        format!(
            "t={t},v1={}",
            hex::encode(
                Self::mac(&self.0.read().unwrap_or_else(|p| p.into_inner()), t, body)
                    .finalize()
                    .into_bytes()
            )
        )
    }

    /// Checks `t=<unix>,v1=<hex>` against the raw body, in constant time.
    pub fn verify(
        &self,
        header: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let mut t = None;
        let mut v1 = Vec::new();
        for part in header.split(',') {
            match part.trim().split_once('=') {
                Some(("t", v)) => {
                    t = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?)
                }
                Some(("v1", v)) => v1.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
                Some(_) => {}
                None => return Err(SignatureError::Malformed),
            }
        }
        let t = t.ok_or(SignatureError::Malformed)?;
        if v1.is_empty() {
            return Err(SignatureError::Malformed);
        }
        if (now.timestamp() - t).abs() > SIGNATURE_TOLERANCE_SECS {
            return Err(SignatureError::Stale);
        }
        // Several v1 values allow secret rotation on the sender's side.
        let key = self.0.read().unwrap_or_else(|p| p.into_inner());
        if !key.is_empty()
            && v1
                .iter()
                .any(|sig| Self::mac(&key, t, body).verify_slice(sig).is_ok())
        {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
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

/// An RFC 9457 problem answer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Problem {
    pub fn new(status: u16, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Problem {
            kind: format!("urn:lifeline:problem:{slug}"),
            title: title.into(),
            status,
            detail: detail.into(),
            field: None,
        }
    }

    pub fn invalid_field(field: &str, detail: impl Into<String>) -> Self {
        let mut p = Problem::new(400, "invalid-request", "Invalid request", detail);
        p.field = Some(field.into());
        p
    }

    pub fn too_large() -> Self {
        Problem::new(
            413,
            "body-too-large",
            "Body too large",
            format!("at most {MAX_BODY_BYTES} bytes"),
        )
    }

    /// A missing or wrong signature (Lifeline's or a platform's own).
    pub fn unauthorized(e: impl std::fmt::Display) -> Self {
        Problem::new(401, "bad-signature", "Unauthorized", e.to_string())
    }

    /// The store failed: the caller should retry (nothing was lost).
    pub fn unavailable() -> Self {
        Problem::new(503, "unavailable", "Service unavailable", "try again")
    }
}

fn field<T: std::str::FromStr<Err = Invalid>>(name: &str, v: Option<String>) -> Result<T, Problem> {
    let v = v.ok_or_else(|| Problem::invalid_field(name, format!("`{name}` is required")))?;
    v.parse::<T>()
        .map_err(|e| Problem::invalid_field(name, format!("`{name}`: {e}")))
}

fn timestamp(v: Option<String>) -> Result<Option<DateTime<Utc>>, Problem> {
    v.map(|s| {
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                Problem::invalid_field("timestamp", "`timestamp` must be an RFC 3339 date-time")
            })
    })
    .transpose()
}

/// Parses JSON into `T`, answering a problem naming the field when the body is
/// not JSON or a field has the wrong type.
fn parse_json<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Problem> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Problem::too_large());
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() || path == "." {
            Problem::new(
                400,
                "invalid-request",
                "Invalid request",
                format!("body must be a JSON object: {inner}"),
            )
        } else {
            Problem::invalid_field(&path, format!("`{path}`: {inner}"))
        }
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OutboundBody {
    call_id: Option<String>,
    agent_id: Option<String>,
    dialed: Option<String>,
    from: Option<String>,
    location: Option<LocationBody>,
    timestamp: Option<String>,
}

#[derive(Deserialize)]
struct LocationBody {
    country: Option<String>,
    address: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
}

pub fn parse_outbound(body: &[u8]) -> Result<OutboundDial, Problem> {
    let b: OutboundBody = parse_json(body)?;
    let dialed = b
        .dialed
        .ok_or_else(|| Problem::invalid_field("dialed", "`dialed` is required"))?;
    if dialed.trim().is_empty() || dialed.len() > 64 {
        return Err(Problem::invalid_field(
            "dialed",
            "`dialed` must be 1 to 64 characters",
        ));
    }
    // A location with nothing in it is no location.
    let location = b.location.map(parse_location).transpose()?.filter(|l| {
        l.country.is_some() || l.address.is_some() || l.lat.is_some() || l.lon.is_some()
    });
    Ok(OutboundDial {
        call_id: field("callId", b.call_id)?,
        agent_id: field("agentId", b.agent_id)?,
        dialed,
        from: field("from", b.from)?,
        location,
        timestamp: timestamp(b.timestamp)?,
    })
}

fn parse_location(l: LocationBody) -> Result<Location, Problem> {
    if let Some(c) = &l.country {
        if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(Problem::invalid_field(
                "location.country",
                "`location.country` must be an ISO 3166 alpha-2 code",
            ));
        }
    }
    if let Some(a) = &l.address {
        if a.len() > 500 {
            return Err(Problem::invalid_field(
                "location.address",
                "`location.address` must be at most 500 characters",
            ));
        }
    }
    if l.lat.is_some_and(|v| !(-90.0..=90.0).contains(&v)) {
        return Err(Problem::invalid_field(
            "location.lat",
            "`location.lat` must be between -90 and 90",
        ));
    }
    if l.lon.is_some_and(|v| !(-180.0..=180.0).contains(&v)) {
        return Err(Problem::invalid_field(
            "location.lon",
            "`location.lon` must be between -180 and 180",
        ));
    }
    Ok(Location {
        country: l.country.map(|c| c.to_ascii_uppercase()),
        address: l.address.filter(|a| !a.trim().is_empty()),
        lat: l.lat,
        lon: l.lon,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EndedBody {
    call_id: Option<String>,
    agent_id: Option<String>,
    timestamp: Option<String>,
}

pub fn parse_ended(body: &[u8]) -> Result<CallEnded, Problem> {
    let b: EndedBody = parse_json(body)?;
    Ok(CallEnded {
        call_id: field("callId", b.call_id)?,
        agent_id: field("agentId", b.agent_id)?,
        timestamp: timestamp(b.timestamp)?,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InboundBody {
    call_id: Option<String>,
    to: Option<String>,
    from: Option<String>,
    sip_priority: Option<String>,
    timestamp: Option<String>,
}

pub fn parse_inbound(body: &[u8]) -> Result<InboundCall, Problem> {
    let b: InboundBody = parse_json(body)?;
    timestamp(b.timestamp)?;
    Ok(InboundCall {
        call_id: field("callId", b.call_id)?,
        to: field("to", b.to)?,
        // Caller ids from the PSTN can be withheld or odd: never refuse a callback for it.
        from: b.from.and_then(|f| f.parse().ok()),
        sip_priority: b.sip_priority,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_496_400, 0).unwrap()
    }

    #[test]
    fn signatures() {
        let s = WebhookSecret::new("local-secret").unwrap();
        let body = br#"{"a":1}"#;
        let t = now().timestamp();
        let h = s.sign(t, body);
        assert_eq!(s.verify(Some(&h), body, now()), Ok(()));
        assert_eq!(s.verify(None, body, now()), Err(SignatureError::Missing));
        assert_eq!(
            s.verify(Some("garbage"), body, now()),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            s.verify(Some("t=1,v1=zz"), body, now()),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            s.verify(Some(&format!("t={t}")), body, now()),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            s.verify(Some(&h), br#"{"a":2}"#, now()),
            Err(SignatureError::Mismatch)
        );
        let other = WebhookSecret::new("another-secret").unwrap();
        assert_eq!(
            other.verify(Some(&h), body, now()),
            Err(SignatureError::Mismatch)
        );
        let old = s.sign(t - 301, body);
        assert_eq!(
            s.verify(Some(&old), body, now()),
            Err(SignatureError::Stale)
        );
        let future = s.sign(t + 301, body);
        assert_eq!(
            s.verify(Some(&future), body, now()),
            Err(SignatureError::Stale)
        );
        let edge = s.sign(t - 300, body);
        assert_eq!(s.verify(Some(&edge), body, now()), Ok(()));
        // Replaying a body under a new timestamp with the old MAC fails.
        let replay = h.replace(&format!("t={t}"), &format!("t={}", t + 10));
        assert_eq!(
            s.verify(Some(&replay), body, now()),
            Err(SignatureError::Mismatch)
        );
        // Rotation: any matching v1 is accepted.
        let both = format!(
            "{},v1={}",
            other.sign(t, body),
            &h[h.find("v1=").unwrap() + 3..]
        );
        assert_eq!(s.verify(Some(&both), body, now()), Ok(()));
    }

    #[test]
    fn a_replaced_key_reaches_every_clone() {
        let held = WebhookSecret::refuse_all();
        let handler_copy = held.clone();
        let signer = WebhookSecret::new("local-secret").unwrap();
        let h = signer.sign(now().timestamp(), b"{}");
        assert!(!held.is_set());
        assert_eq!(
            handler_copy.verify(Some(&h), b"{}", now()),
            Err(SignatureError::Mismatch)
        );
        held.replace("local-secret").unwrap();
        assert!(handler_copy.is_set() && handler_copy.holds("local-secret"));
        assert_eq!(handler_copy.verify(Some(&h), b"{}", now()), Ok(()));
        // A value too short to be a secret leaves the key as it was.
        assert!(held.replace("short").is_err());
        assert_eq!(handler_copy.verify(Some(&h), b"{}", now()), Ok(()));
        // Independent handles stay independent.
        assert_eq!(
            WebhookSecret::refuse_all().verify(Some(&h), b"{}", now()),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn known_vector() {
        // printf '1795496400.{}' | openssl dgst -sha256 -hmac local-secret
        let s = WebhookSecret::new("local-secret").unwrap();
        let h = s.sign(1_795_496_400, b"{}");
        assert!(h.starts_with("t=1795496400,v1="));
        assert_eq!(h.len(), "t=1795496400,v1=".len() + 64);
    }

    #[test]
    fn outbound_validation_names_the_field() {
        let ok = br#"{"callId":"c-1","agentId":"a-42","dialed":"9-911","from":"+14255550100",
          "location":{"country":"us","address":"1 Main St","lat":47.6,"lon":-122.1},
          "timestamp":"2026-11-24T05:00:00Z","extra":true}"#;
        let d = parse_outbound(ok).unwrap();
        assert_eq!(d.location.unwrap().country.as_deref(), Some("US"));
        let cases: &[(&[u8], &str)] = &[
            (br#"{"agentId":"a","dialed":"911","from":"+14255550100"}"#, "callId"),
            (br#"{"callId":"c","dialed":"911","from":"+14255550100"}"#, "agentId"),
            (br#"{"callId":"c","agentId":"a","from":"+14255550100"}"#, "dialed"),
            (br#"{"callId":"c","agentId":"a","dialed":"911"}"#, "from"),
            (br#"{"callId":"c","agentId":"a","dialed":"911","from":"4255550100"}"#, "from"),
            (br#"{"callId":5,"agentId":"a","dialed":"911","from":"+14255550100"}"#, "callId"),
            (br#"{"callId":"c","agentId":"a","dialed":"911","from":"+14255550100","location":{"lat":91}}"#, "location.lat"),
            (br#"{"callId":"c","agentId":"a","dialed":"911","from":"+14255550100","location":{"country":"USA"}}"#, "location.country"),
            (br#"{"callId":"c","agentId":"a","dialed":"911","from":"+14255550100","timestamp":"yesterday"}"#, "timestamp"),
        ];
        for (body, f) in cases {
            let p = parse_outbound(body).unwrap_err();
            assert_eq!(p.status, 400);
            assert_eq!(
                p.field.as_deref(),
                Some(*f),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        for bad in [&b"not json"[..], b"[]", b"", b"null"] {
            let p = parse_outbound(bad).unwrap_err();
            assert_eq!(p.status, 400, "{}", String::from_utf8_lossy(bad));
        }
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(parse_outbound(&big).unwrap_err().status, 413);
    }

    mod never_panic {
        use super::*;
        use proptest::prelude::*;

        fn json_ish() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..300),
                "[ -~]{0,200}".prop_map(String::into_bytes),
                (any::<String>(), any::<String>(), any::<String>(), any::<i64>()).prop_map(|(a, b, c, n)| {
                    serde_json::json!({"callId": a, "agentId": b, "dialed": c, "from": format!("+{n}"),
                        "to": c, "location": {"country": b, "lat": n, "lon": a}, "timestamp": a})
                    .to_string()
                    .into_bytes()
                }),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Any body: a value or a 400/413 problem, never a panic.
            #[test]
            fn parsers(body in json_ish()) {
                for r in [parse_outbound(&body).err(), parse_ended(&body).err(), parse_inbound(&body).err()].into_iter().flatten() {
                    prop_assert!(r.status == 400 || r.status == 413, "{r:?}");
                }
            }

            #[test]
            fn normaliser(dialed in "\\PC{0,40}", prefix in "[0-9]{0,3}") {
                let prefix: lifeline_domain::numbers::OutsideLinePrefix = prefix.parse().unwrap_or_default();
                for c in lifeline_domain::numbers::Country::ALL {
                    if let Some(m) = lifeline_domain::numbers::match_emergency(&dialed, c, &prefix) {
                        // A match is always a whole short code of that country.
                        prop_assert!(c.recognised_numbers().contains(&m.dialed));
                    }
                }
            }

            /// Any header: refused unless it is the right MAC, never a panic.
            #[test]
            fn signatures(header in "\\PC{0,120}", body in proptest::collection::vec(any::<u8>(), 0..64)) {
                let s = WebhookSecret::new("local-secret").unwrap();
                prop_assert!(s.verify(Some(&header), &body, now()).is_err());
            }
        }
    }

    #[test]
    fn an_empty_location_is_no_location() {
        let d = parse_outbound(
            br#"{"callId":"c","agentId":"a","dialed":"911","from":"+14255550100","location":{}}"#,
        )
        .unwrap();
        assert_eq!(d.location, None);
    }

    #[test]
    fn ended_and_inbound() {
        assert!(parse_ended(
            br#"{"callId":"c-1","agentId":"a-42","timestamp":"2026-11-24T05:12:00Z"}"#
        )
        .is_ok());
        assert_eq!(
            parse_ended(br#"{"callId":"c-1"}"#)
                .unwrap_err()
                .field
                .as_deref(),
            Some("agentId")
        );
        let i =
            parse_inbound(br#"{"callId":"c-9","to":"+14255550199","from":"anonymous"}"#).unwrap();
        assert!(i.from.is_none());
        assert_eq!(
            parse_inbound(br#"{"callId":"c-9","to":"911"}"#)
                .unwrap_err()
                .field
                .as_deref(),
            Some("to")
        );
    }
}
