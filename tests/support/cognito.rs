//! A user pool on moto's Cognito (`cognito-idp`), for the console's
//! sign-in tests: the pool, its app client, users in groups, and their
//! tokens, through the service's JSON API (moto does not check signatures;
//! the credential scope names the region).

use serde_json::{json, Value};

/// One user pool and its app client.
#[derive(Debug, Clone)]
pub struct LocalPool {
    pub pool_id: String,
    pub client_id: String,
    /// What its tokens name as `iss` (AWS's host, as on AWS).
    pub issuer: String,
    /// Where moto serves its signing keys.
    pub jwks_url: String,
}

fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into())
}

/// One call of the Cognito API: its answer, or the error's `__type`.
pub async fn cognito(action: &str, body: Value) -> Result<Value, String> {
    let r = reqwest::Client::new()
        .post(endpoint())
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("AWSCognitoIdentityProviderService.{action}"))
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=local/20261207/us-east-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let ok = r.status().is_success();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    if ok {
        Ok(v)
    } else {
        Err(v["__type"].as_str().unwrap_or("error").to_string())
    }
}

impl LocalPool {
    /// A new pool named `name`, with groups `admin` and `security-desk` and
    /// an app client that signs in with a password.
    pub async fn create(name: &str) -> LocalPool {
        let pool = cognito("CreateUserPool", json!({"PoolName": name}))
            .await
            .expect("a pool");
        let pool_id = pool["UserPool"]["Id"]
            .as_str()
            .expect("pool id")
            .to_string();
        let client = cognito(
            "CreateUserPoolClient",
            json!({"UserPoolId": pool_id, "ClientName": "console",
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
        )
        .await
        .expect("a client");
        for group in ["admin", "security-desk"] {
            cognito(
                "CreateGroup",
                json!({"UserPoolId": pool_id, "GroupName": group}),
            )
            .await
            .expect("a group");
        }
        LocalPool {
            client_id: client["UserPoolClient"]["ClientId"]
                .as_str()
                .expect("client id")
                .to_string(),
            issuer: format!("https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"),
            jwks_url: format!("{}/{pool_id}/.well-known/jwks.json", endpoint()),
            pool_id,
        }
    }

    /// A confirmed user with a permanent password, in `groups`.
    pub async fn add_user(&self, name: &str, password: &str, groups: &[&str]) {
        cognito(
            "AdminCreateUser",
            json!({"UserPoolId": self.pool_id, "Username": name, "MessageAction": "SUPPRESS"}),
        )
        .await
        .expect("a user");
        cognito(
            "AdminSetUserPassword",
            json!({"UserPoolId": self.pool_id, "Username": name, "Password": password, "Permanent": true}),
        )
        .await
        .expect("a password");
        for group in groups {
            cognito(
                "AdminAddUserToGroup",
                json!({"UserPoolId": self.pool_id, "Username": name, "GroupName": group}),
            )
            .await
            .expect("in the group");
        }
    }

    /// Signs `name` in: (ID token, access token), or Cognito's error.
    pub async fn sign_in(&self, name: &str, password: &str) -> Result<(String, String), String> {
        let r = cognito(
            "InitiateAuth",
            json!({"ClientId": self.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": name, "PASSWORD": password}}),
        )
        .await?;
        let token = |k: &str| {
            r["AuthenticationResult"][k]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        Ok((token("IdToken"), token("AccessToken")))
    }

    /// The pool's JWKS document, as moto serves it.
    pub async fn jwks(&self) -> String {
        reqwest::get(&self.jwks_url)
            .await
            .expect("moto answers")
            .text()
            .await
            .expect("a body")
    }
}
