//! Console tokens for handler tests: signed with a key made for tests only
//! (never a pool's), and the JWKS that verifies them.

use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use super::auth::{Jwks, TokenRules};

pub const TEST_ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_console";
pub const TEST_CLIENT: &str = "console-client";
const KID: &str = "test-key";

/// The rules the test tokens pass.
pub fn test_rules() -> TokenRules {
    TokenRules {
        issuer: TEST_ISSUER.into(),
        client_id: TEST_CLIENT.into(),
    }
}

/// The JWKS of the test key.
pub fn test_jwks() -> Jwks {
    let n = include_str!("test_key.n.txt").trim();
    Jwks::parse(
        &json!({"keys": [{"kid": KID, "kty": "RSA", "alg": "RS256", "n": n, "e": "AQAB"}]})
            .to_string(),
    )
    .unwrap_or_else(|e| panic!("the test key's JWKS: {e}"))
}

/// An ID token for `username` in `groups`, expiring at `exp` (Unix seconds),
/// with `extra` claims over the usual ones.
pub fn test_token(username: &str, groups: &[&str], exp: i64, extra: Value) -> String {
    let mut claims = json!({"iss": TEST_ISSUER, "aud": TEST_CLIENT, "token_use": "id",
        "exp": exp, "cognito:username": username, "cognito:groups": groups});
    if let (Some(c), Some(x)) = (claims.as_object_mut(), extra.as_object()) {
        for (k, v) in x {
            c.insert(k.clone(), v.clone());
        }
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(include_str!("test_key.der.b64").trim())
        .unwrap_or_default();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(KID.into());
    encode(&header, &claims, &EncodingKey::from_rsa_der(&der)).unwrap_or_default()
}
