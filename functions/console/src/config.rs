//! The console's own settings, read once at cold start and validated: the
//! user pool whose tokens it takes, and where its keys are.

use lifeline_app::settings::table::{
    LIFELINE_CONSOLE_CLIENT_ID, LIFELINE_CONSOLE_ISSUER, LIFELINE_CONSOLE_JWKS_URL,
};
use lifeline_app::settings::ConfigError;
use lifeline_edge::console::TokenRules;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleConfig {
    pub rules: TokenRules,
    pub jwks_url: String,
}

impl ConsoleConfig {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let issuer = LIFELINE_CONSOLE_ISSUER
            .value(&get)
            .ok_or_else(|| LIFELINE_CONSOLE_ISSUER.missing())?;
        let issuer = issuer.trim().trim_end_matches('/').to_string();
        if !(issuer.starts_with("https://") || issuer.starts_with("http://127.0.0.1")) {
            return Err(LIFELINE_CONSOLE_ISSUER.invalid(format!(
                "`{issuer}` is not a pool's issuer (https://cognito-idp.<region>.amazonaws.com/<pool id>)"
            )));
        }
        let client_id = LIFELINE_CONSOLE_CLIENT_ID
            .value(&get)
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| LIFELINE_CONSOLE_CLIENT_ID.missing())?;
        if client_id.len() > 128 || !client_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(LIFELINE_CONSOLE_CLIENT_ID
                .invalid("an app client id is 1 to 128 letters and digits"));
        }
        let jwks_url = match LIFELINE_CONSOLE_JWKS_URL.raw_or_default(&get).trim() {
            "" => format!("{issuer}/.well-known/jwks.json"),
            url if url.starts_with("https://") || url.starts_with("http://127.0.0.1") => {
                url.to_string()
            }
            url => {
                return Err(LIFELINE_CONSOLE_JWKS_URL
                    .invalid(format!("`{url}`: https (plain http only on 127.0.0.1)")))
            }
        };
        Ok(ConsoleConfig {
            rules: TokenRules { issuer, client_id },
            jwks_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_pool_is_named_and_its_keys_default_to_the_issuers() {
        let c = ConsoleConfig::from_lookup(lookup(&[
            (
                "LIFELINE_CONSOLE_ISSUER",
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc/",
            ),
            ("LIFELINE_CONSOLE_CLIENT_ID", "4abc123"),
        ]))
        .unwrap();
        assert_eq!(
            c.rules.issuer,
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"
        );
        assert_eq!(
            c.jwks_url,
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc/.well-known/jwks.json"
        );
        for bad in [
            vec![("LIFELINE_CONSOLE_CLIENT_ID", "4abc123")],
            vec![("LIFELINE_CONSOLE_ISSUER", "https://x")],
            vec![
                ("LIFELINE_CONSOLE_ISSUER", "ftp://x"),
                ("LIFELINE_CONSOLE_CLIENT_ID", "a"),
            ],
            vec![
                ("LIFELINE_CONSOLE_ISSUER", "https://x"),
                ("LIFELINE_CONSOLE_CLIENT_ID", "a b"),
            ],
            vec![
                ("LIFELINE_CONSOLE_ISSUER", "https://x"),
                ("LIFELINE_CONSOLE_CLIENT_ID", "a"),
                ("LIFELINE_CONSOLE_JWKS_URL", "http://evil.example.com/keys"),
            ],
        ] {
            let e = ConsoleConfig::from_lookup(lookup(&bad)).expect_err("refused");
            assert!(e.to_string().contains("CONSOLE"), "{e}");
        }
    }
}
