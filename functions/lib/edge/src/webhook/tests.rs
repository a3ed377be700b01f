//! Signatures (scheme v2, rotation, v1), request parsing, and never a panic.

use super::*;
use chrono::{DateTime, Utc};
use lifeline_domain::testing::at;

/// 1795496400 in Unix time: the known vector's timestamp.
fn now() -> DateTime<Utc> {
    at("2026-11-24T05:00:00Z")
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
    // Ahead of the clock: 30 s of skew, no more (no second replay window).
    let future = s.sign(t + 31, req);
    assert_eq!(
        s.verify(Some(&future), req, now()),
        Err(SignatureError::Stale)
    );
    assert_eq!(s.verify(Some(&s.sign(t + 30, req)), req, now()), Ok(()));
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

/// The header's cost is bounded before any MAC: 1 KiB, 4 tags of 32 bytes.
#[test]
fn oversized_or_stuffed_headers_are_refused_unread() {
    let s = WebhookSecret::new("local-secret").unwrap();
    let req = Signed::post(OUTBOUND, b"{}");
    let t = now().timestamp();
    let good = s.sign(t, req);
    let tag = &good[good.find("v2=").unwrap() + 3..];
    let wrong = "00".repeat(32);
    // The issue's attack: `t=<now>,` then ~95 000 empty `v2=`.
    let stuffed = format!("t={t},{}", "v2=,".repeat(95_000));
    let started = std::time::Instant::now();
    assert_eq!(
        s.verify(Some(&stuffed), req, now()),
        Err(SignatureError::Oversized)
    );
    assert!(started.elapsed() < std::time::Duration::from_millis(50));
    // Five tags (the right one last) under 1 KiB: still refused.
    let five = format!("t={t},{}v2={tag}", format!("v2={wrong},").repeat(4));
    assert!(five.len() < 1024);
    assert_eq!(
        s.verify(Some(&five), req, now()),
        Err(SignatureError::Oversized)
    );
    // Four (the right one last) verify.
    let four = format!("t={t},{}v2={tag}", format!("v2={wrong},").repeat(3));
    assert_eq!(s.verify(Some(&four), req, now()), Ok(()));
    // An empty or short tag is malformed, not a MAC to compute.
    assert_eq!(
        s.verify(Some(&format!("t={t},v2=")), req, now()),
        Err(SignatureError::Malformed)
    );
    assert_eq!(
        s.verify(Some(&format!("t={t},v2=abcd")), req, now()),
        Err(SignatureError::Malformed)
    );
    // Over 1 KiB of padding around a good signature: refused.
    let padded = format!("{good},{}", "x=1,".repeat(260));
    assert_eq!(
        s.verify(Some(&padded), req, now()),
        Err(SignatureError::Oversized)
    );
    // The signed time comes back for the freshness checks of state changes.
    assert_eq!(s.verify_at(Some(&good), req, now()), Ok(t));
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
            let lenient = crate::webhook::parse_outbound_lenient(&body).err();
            for r in [parse_outbound(&body).err(), lenient, parse_ended(&body).err(), parse_inbound(&body).err()].into_iter().flatten() {
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
    let i = parse_inbound(br#"{"callId":"c-9","to":"+14255550199","from":"anonymous"}"#).unwrap();
    assert!(i.from.is_none());
    assert_eq!(
        parse_inbound(br#"{"callId":"c-9","to":"911"}"#)
            .unwrap_err()
            .field
            .as_deref(),
        Some("to")
    );
}
