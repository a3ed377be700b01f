//! Verifying a console token (see [`super`]).

use std::collections::HashMap;

use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// What the console lets a group do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    /// Configuration: agents, pools, templates, the escalation policy.
    Admin,
    /// The incident board: read, acknowledge.
    SecurityDesk,
}

impl Group {
    /// The Cognito group's name.
    pub const fn name(self) -> &'static str {
        match self {
            Group::Admin => "admin",
            Group::SecurityDesk => "security-desk",
        }
    }

    fn from_name(name: &str) -> Option<Group> {
        [Group::Admin, Group::SecurityDesk]
            .into_iter()
            .find(|g| g.name() == name)
    }
}

/// A signed-in console user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleUser {
    pub username: String,
    /// The console's groups among the token's (others are ignored).
    pub groups: Vec<Group>,
}

impl ConsoleUser {
    pub fn is(&self, group: Group) -> bool {
        self.groups.contains(&group)
    }
}

/// Why a token is refused. None says more than a person needs to sign in
/// again; none quotes the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("the token does not read as a JWT")]
    Malformed,
    #[error("the token is not signed by a key of the user pool")]
    UnknownKey,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is from another issuer")]
    WrongIssuer,
    #[error("the token is for another app client")]
    WrongClient,
    #[error("the token is neither an ID nor an access token")]
    WrongUse,
}

/// The user pool's signing keys, by key id (its JWKS document).
#[derive(Clone)]
pub struct Jwks {
    keys: HashMap<String, DecodingKey>,
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("Jwks").field("kids", &ids).finish()
    }
}

#[derive(Deserialize)]
struct JwksDoc {
    keys: Vec<JwkDoc>,
}

#[derive(Deserialize)]
struct JwkDoc {
    kid: String,
    kty: String,
    #[serde(default)]
    alg: Option<String>,
    n: String,
    e: String,
}

impl Jwks {
    /// A JWKS document (`{"keys": [...]}`): its RSA keys for RS256.
    pub fn parse(json: &str) -> Result<Jwks, String> {
        let doc: JwksDoc = serde_json::from_str(json).map_err(|e| format!("JWKS: {e}"))?;
        let mut keys = HashMap::new();
        for k in doc.keys {
            if k.kty != "RSA" || k.alg.as_deref().is_some_and(|a| a != "RS256") {
                continue;
            }
            let key = DecodingKey::from_rsa_components(&k.n, &k.e)
                .map_err(|e| format!("JWKS key {}: {e}", k.kid))?;
            keys.insert(k.kid, key);
        }
        if keys.is_empty() {
            return Err("JWKS: no RS256 key".into());
        }
        Ok(Jwks { keys })
    }
}

/// Which tokens are the console's: the pool's issuer
/// (`https://cognito-idp.<region>.amazonaws.com/<pool id>`) and the app
/// client's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRules {
    pub issuer: String,
    pub client_id: String,
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    exp: i64,
    token_use: String,
    /// ID tokens name the client here…
    #[serde(default)]
    aud: Option<String>,
    /// …access tokens here.
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default, rename = "cognito:username")]
    cognito_username: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default, rename = "cognito:groups")]
    groups: Vec<String>,
}

/// The user `token` (a bare JWT, or `Bearer <JWT>`) signs in, at `now`
/// (Unix seconds, the caller's clock).
pub fn verify(
    token: &str,
    jwks: &Jwks,
    rules: &TokenRules,
    now: i64,
) -> Result<ConsoleUser, AuthError> {
    let token = token.trim();
    let token = match token.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ if token.eq_ignore_ascii_case("bearer") => "",
        _ => token,
    };
    if token.is_empty() {
        return Err(AuthError::Missing);
    }
    let header = decode_header(token).map_err(|_| AuthError::Malformed)?;
    if header.alg != Algorithm::RS256 {
        return Err(AuthError::BadSignature);
    }
    let key = header
        .kid
        .as_ref()
        .and_then(|kid| jwks.keys.get(kid))
        .ok_or(AuthError::UnknownKey)?;
    // Expiry, issuer and client are checked below, against the caller's
    // clock and rules: the library checks the signature alone.
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = decode::<Claims>(token, key, &validation)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => AuthError::BadSignature,
            _ => AuthError::Malformed,
        })?
        .claims;
    if claims.iss != rules.issuer {
        return Err(AuthError::WrongIssuer);
    }
    let client = match claims.token_use.as_str() {
        "id" => claims.aud.as_deref(),
        "access" => claims.client_id.as_deref(),
        _ => return Err(AuthError::WrongUse),
    };
    if client != Some(rules.client_id.as_str()) {
        return Err(AuthError::WrongClient);
    }
    if claims.exp <= now {
        return Err(AuthError::Expired);
    }
    Ok(ConsoleUser {
        username: claims
            .cognito_username
            .or(claims.username)
            .unwrap_or_default(),
        groups: claims
            .groups
            .iter()
            .filter_map(|g| Group::from_name(g))
            .collect(),
    })
}

#[cfg(test)]
mod tests;
