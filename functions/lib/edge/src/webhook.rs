//! The webhook edge: signatures, problem answers and request validation.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::sync::{Arc, RwLock};

use lifeline_domain::call::{CallEnded, InboundCall, Location, OutboundDial};
use lifeline_domain::location::LocationInput;
use lifeline_domain::types::Invalid;

pub const SIGNATURE_HEADER: &str = "x-lifeline-signature";
/// Signatures older (or further in the future) than this are refused.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;
/// Largest body a webhook accepts.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

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
/// sees the same keys, so refreshed keys (see [`crate::secret`]) reach every
/// handler at once.
#[derive(Clone)]
pub struct WebhookSecret(Arc<RwLock<Keys>>, Arc<std::sync::atomic::AtomicBool>);

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
        self.1.swap(false, std::sync::atomic::Ordering::SeqCst)
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
            self.1.store(true, std::sync::atomic::Ordering::SeqCst);
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
pub fn parse_json<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Problem> {
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
    location: Option<LocationInput>,
    timestamp: Option<String>,
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
    let location = match b.location {
        Some(l) => parse_location(l)?,
        None => None,
    };
    Ok(OutboundDial {
        call_id: field("callId", b.call_id)?,
        agent_id: field("agentId", b.agent_id)?,
        dialed,
        from: field("from", b.from)?,
        location,
        registered_location: false,
        timestamp: timestamp(b.timestamp)?,
    })
}

/// A checked location (a location with nothing in it is none), or a
/// problem naming the field (`location.civic.XYZ`).
pub fn parse_location(l: LocationInput) -> Result<Option<Location>, Problem> {
    l.validate()
        .map_err(|e| Problem::invalid_field(&format!("location.{}", e.field), e.to_string()))
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

    const OUTBOUND: &str = "/calls/outbound";

    #[test]
    fn signatures() {
        let s = WebhookSecret::new("local-secret").unwrap();
        let body = br#"{"a":1}"#;
        let req = Signed::post(OUTBOUND, body);
        let t = now().timestamp();
        let h = s.sign(t, req);
        assert!(h.starts_with(&format!("t={t},v2=")), "{h}");
        assert_eq!(s.verify(Some(&h), req, now()), Ok(()));
        assert_eq!(s.verify(None, req, now()), Err(SignatureError::Missing));
        assert_eq!(
            s.verify(Some("garbage"), req, now()),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            s.verify(Some(&format!("t={t},v2=zz")), req, now()),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            s.verify(Some(&format!("t={t}")), req, now()),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            s.verify(Some(&h), Signed::post(OUTBOUND, br#"{"a":2}"#), now()),
            Err(SignatureError::Mismatch)
        );
        let other = WebhookSecret::new("another-secret").unwrap();
        assert_eq!(
            other.verify(Some(&h), req, now()),
            Err(SignatureError::Mismatch)
        );
        let old = s.sign(t - 301, req);
        assert_eq!(s.verify(Some(&old), req, now()), Err(SignatureError::Stale));
        let future = s.sign(t + 301, req);
        assert_eq!(
            s.verify(Some(&future), req, now()),
            Err(SignatureError::Stale)
        );
        let edge = s.sign(t - 300, req);
        assert_eq!(s.verify(Some(&edge), req, now()), Ok(()));
        // Replaying a body under a new timestamp with the old MAC fails.
        let replay = h.replace(&format!("t={t}"), &format!("t={}", t + 10));
        assert_eq!(
            s.verify(Some(&replay), req, now()),
            Err(SignatureError::Mismatch)
        );
        // The sender's rotation: any matching v2 is accepted.
        let both = format!(
            "{},v2={}",
            other.sign(t, req),
            &h[h.find("v2=").unwrap() + 3..]
        );
        assert_eq!(s.verify(Some(&both), req, now()), Ok(()));
    }

    /// A signature is bound to its route: the same bytes and header replayed
    /// to another path or with another method are refused.
    #[test]
    fn a_signature_is_bound_to_its_method_and_path() {
        let s = WebhookSecret::new("local-secret").unwrap();
        let body = br#"{"callId":"c-1","agentId":"a-42"}"#;
        let t = now().timestamp();
        let h = s.sign(t, Signed::post(OUTBOUND, body));
        for other in [
            Signed::post("/calls/ended", body),
            Signed::post("/calls/inbound", body),
            Signed::new("PUT", "/agents/x/presence", body),
            Signed::new("GET", OUTBOUND, body),
            Signed::post("/calls/outbound/", body),
        ] {
            assert_eq!(
                s.verify(Some(&h), other, now()),
                Err(SignatureError::Mismatch),
                "{other:?}"
            );
        }
        let put = |agent: &'static str| Signed::new("PUT", agent, br#"{"status":"available"}"#);
        let mine = s.sign(t, put("/agents/a-42/presence"));
        assert_eq!(
            s.verify(Some(&mine), put("/agents/a-42/presence"), now()),
            Ok(())
        );
        assert_eq!(
            s.verify(Some(&mine), put("/agents/a-43/presence"), now()),
            Err(SignatureError::Mismatch)
        );
        // The method's case does not matter to the MAC: it is upper-cased.
        assert_eq!(
            s.verify(
                Some(&mine),
                Signed::new("put", "/agents/a-42/presence", br#"{"status":"available"}"#),
                now()
            ),
            Ok(())
        );
    }

    /// v1 alone (the retired scheme) is refused like a wrong signature; v1
    /// beside v2 is ignored, so a sender can send both while it migrates.
    #[test]
    fn v1_alone_is_refused_and_ignored_beside_v2() {
        let s = WebhookSecret::new("local-secret").unwrap();
        let body = br#"{"a":1}"#;
        let req = Signed::post(OUTBOUND, body);
        let t = now().timestamp();
        let v1 = s.sign_v1(t, body);
        assert!(v1.starts_with(&format!("t={t},v1=")));
        assert_eq!(
            s.verify(Some(&v1), req, now()),
            Err(SignatureError::Mismatch)
        );
        let v2 = s.sign(t, req);
        let both = format!("{v1},{}", &v2[v2.find("v2=").unwrap()..]);
        assert_eq!(s.verify(Some(&both), req, now()), Ok(()));
        let unknown = format!("{v2},v9=abc,scheme=x");
        assert_eq!(s.verify(Some(&unknown), req, now()), Ok(()));
    }

    /// Hostile timestamps are stale, never an overflow.
    #[test]
    fn extreme_timestamps_are_stale_not_a_panic() {
        let s = WebhookSecret::new("local-secret").unwrap();
        let req = Signed::post(OUTBOUND, b"{}");
        for t in [i64::MIN, i64::MIN + 1, i64::MAX, -1, 0] {
            let h = s.sign(t, req);
            assert_eq!(
                s.verify(Some(&h), req, now()),
                Err(SignatureError::Stale),
                "{t}"
            );
        }
    }

    /// During a rotation the previous key still verifies, next to the current.
    #[test]
    fn the_previous_key_verifies_during_a_rotation() {
        let held = WebhookSecret::new("old-secret-value").unwrap();
        let old = WebhookSecret::new("old-secret-value").unwrap();
        let new = WebhookSecret::new("new-secret-value").unwrap();
        let req = Signed::post(OUTBOUND, b"{}");
        let t = now().timestamp();
        assert_eq!(
            held.verify(Some(&new.sign(t, req)), req, now()),
            Err(SignatureError::Mismatch)
        );
        held.rotate("new-secret-value", Some("old-secret-value"))
            .unwrap();
        assert_eq!(held.verify(Some(&new.sign(t, req)), req, now()), Ok(()));
        assert_eq!(held.verify(Some(&old.sign(t, req)), req, now()), Ok(()));
        // Once the rotation is over, the old one is refused.
        held.rotate("new-secret-value", None).unwrap();
        assert_eq!(
            held.verify(Some(&old.sign(t, req)), req, now()),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_replaced_key_reaches_every_clone() {
        let held = WebhookSecret::refuse_all();
        let handler_copy = held.clone();
        let signer = WebhookSecret::new("local-secret").unwrap();
        let req = Signed::post(OUTBOUND, b"{}");
        let h = signer.sign(now().timestamp(), req);
        assert!(!held.is_set());
        assert_eq!(
            handler_copy.verify(Some(&h), req, now()),
            Err(SignatureError::Mismatch)
        );
        held.replace("local-secret").unwrap();
        assert!(handler_copy.is_set() && handler_copy.holds("local-secret"));
        assert_eq!(handler_copy.verify(Some(&h), req, now()), Ok(()));
        // A value too short to be a secret leaves the key as it was.
        assert!(held.replace("short").is_err());
        assert_eq!(handler_copy.verify(Some(&h), req, now()), Ok(()));
        // Independent handles stay independent.
        assert_eq!(
            WebhookSecret::refuse_all().verify(Some(&h), req, now()),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn known_vector() {
        // printf '1795496400.POST./calls/outbound.{}' | openssl dgst -sha256 -hmac local-secret
        let s = WebhookSecret::new("local-secret").unwrap();
        let h = s.sign(1_795_496_400, Signed::post(OUTBOUND, b"{}"));
        assert_eq!(
            h,
            "t=1795496400,v2=5451d3742ff56063507f3c1b06f6d6f23cd4b2b6886f1c32999ce3185c7696e6"
        );
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
                for c in lifeline_domain::numbers::Country::all() {
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
                prop_assert!(s.verify(Some(&header), Signed::post(OUTBOUND, &body), now()).is_err());
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
