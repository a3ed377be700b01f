//! Tokens signed here with a test key (generated for these tests only),
//! verified as the console verifies Cognito's.

use super::*;
use base64::Engine;
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::{json, Value};

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_console";
const CLIENT: &str = "console-client";
const NOW: i64 = 1_796_680_000;

fn key() -> EncodingKey {
    let der = base64::engine::general_purpose::STANDARD
        .decode(include_str!("../test_key.der.b64").trim())
        .unwrap();
    EncodingKey::from_rsa_der(&der)
}

fn jwks(kid: &str) -> Jwks {
    let n = include_str!("../test_key.n.txt").trim();
    Jwks::parse(&json!({"keys": [{"kid": kid, "kty": "RSA", "alg": "RS256", "use": "sig", "n": n, "e": "AQAB"}]}).to_string()).unwrap()
}

fn rules() -> TokenRules {
    TokenRules {
        issuer: ISSUER.into(),
        client_id: CLIENT.into(),
    }
}

fn id_token(claims: Value) -> String {
    let mut base = json!({"iss": ISSUER, "aud": CLIENT, "token_use": "id", "exp": NOW + 3600,
        "cognito:username": "desk", "cognito:groups": ["security-desk", "other"]});
    if let (Some(b), Some(c)) = (base.as_object_mut(), claims.as_object()) {
        for (k, v) in c {
            b.insert(k.clone(), v.clone());
        }
    }
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("k1".into());
    encode(&header, &base, &key()).unwrap()
}

#[test]
fn a_pool_token_signs_its_user_in_with_the_consoles_groups() {
    let user = verify(
        &format!("Bearer {}", id_token(json!({}))),
        &jwks("k1"),
        &rules(),
        NOW,
    )
    .unwrap();
    assert_eq!(user.username, "desk");
    assert_eq!(user.groups, vec![Group::SecurityDesk]);
    assert!(!user.is(Group::Admin));
    // An access token names its client in `client_id`.
    let access = id_token(
        json!({"token_use": "access", "aud": null, "client_id": CLIENT,
        "username": "ana", "cognito:username": null, "cognito:groups": ["admin"]}),
    );
    let user = verify(&access, &jwks("k1"), &rules(), NOW).unwrap();
    assert_eq!(
        (user.username.as_str(), user.groups.as_slice()),
        ("ana", &[Group::Admin][..])
    );
}

#[test]
fn every_other_token_is_refused() {
    let good = id_token(json!({}));
    let cases: Vec<(String, AuthError)> = vec![
        (String::new(), AuthError::Missing),
        ("Bearer ".into(), AuthError::Missing),
        ("not.a.jwt".into(), AuthError::Malformed),
        (id_token(json!({"exp": NOW})), AuthError::Expired),
        (
            id_token(json!({"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"})),
            AuthError::WrongIssuer,
        ),
        (
            id_token(json!({"aud": "another-client"})),
            AuthError::WrongClient,
        ),
        (
            id_token(json!({"token_use": "refresh"})),
            AuthError::WrongUse,
        ),
    ];
    for (token, want) in cases {
        assert_eq!(
            verify(&token, &jwks("k1"), &rules(), NOW),
            Err(want),
            "{token}"
        );
    }
    // Another key id, a forged payload under the right signature.
    assert_eq!(
        verify(&good, &jwks("k2"), &rules(), NOW),
        Err(AuthError::UnknownKey)
    );
    let mut parts: Vec<&str> = good.split('.').collect();
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
        json!({"iss": ISSUER, "aud": CLIENT, "token_use": "id", "exp": NOW + 3600,
            "cognito:username": "desk", "cognito:groups": ["admin"]})
        .to_string(),
    );
    parts[1] = &forged;
    assert_eq!(
        verify(&parts.join("."), &jwks("k1"), &rules(), NOW),
        Err(AuthError::BadSignature)
    );
    // The clock decides expiry: an hour later the same token is refused.
    assert_eq!(
        verify(&good, &jwks("k1"), &rules(), NOW + 3600),
        Err(AuthError::Expired)
    );
}

#[test]
fn a_jwks_without_an_rs256_key_is_refused() {
    assert!(Jwks::parse(r#"{"keys": []}"#).is_err());
    assert!(Jwks::parse(r#"{"keys": [{"kid": "x", "kty": "EC", "n": "", "e": ""}]}"#).is_err());
    assert!(Jwks::parse("nope").is_err());
}
