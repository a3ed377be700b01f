//! The console's sign-in against an Amazon Cognito user pool: `InitiateAuth`
//! with `USER_PASSWORD_AUTH` for the console's app client. An unknown user
//! and a wrong password are one answer; only error codes are logged.

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use aws_sdk_cognitoidentityprovider::Client;

use lifeline_app::ports::{ConsoleSignIn, SignInError, SignedIn};

#[derive(Debug, Clone)]
pub struct CognitoSignIn {
    client: Client,
    client_id: String,
}

impl CognitoSignIn {
    /// Signs in to the app client `client_id` of the pool `client` reaches.
    pub fn new(client: Client, client_id: impl Into<String>) -> Self {
        CognitoSignIn {
            client,
            client_id: client_id.into(),
        }
    }

    /// A client on the shared configuration (its TLS stack and timeouts).
    pub fn from_conf(conf: &aws_config::SdkConfig, client_id: impl Into<String>) -> Self {
        CognitoSignIn::new(Client::new(conf), client_id)
    }
}

#[async_trait]
impl ConsoleSignIn for CognitoSignIn {
    async fn sign_in(&self, username: &str, password: &str) -> Result<SignedIn, SignInError> {
        let r = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password)
            .send()
            .await;
        let out = match r {
            Ok(out) => out,
            Err(e) => {
                let code = e.code().unwrap_or("unknown").to_string();
                return Err(match code.as_str() {
                    "NotAuthorizedException" | "UserNotFoundException" => {
                        SignInError::WrongCredentials
                    }
                    "PasswordResetRequiredException" | "UserNotConfirmedException" => {
                        SignInError::Challenge(code)
                    }
                    _ => {
                        tracing::warn!(error = %code, "console sign-in: the user pool did not answer");
                        SignInError::Unavailable(code)
                    }
                });
            }
        };
        if let Some(challenge) = out.challenge_name() {
            return Err(SignInError::Challenge(challenge.as_str().to_string()));
        }
        let result = out
            .authentication_result()
            .ok_or_else(|| SignInError::Unavailable("no tokens in the answer".into()))?;
        match (result.id_token(), result.access_token()) {
            (Some(id), Some(access)) => Ok(SignedIn {
                id_token: id.to_string(),
                access_token: access.to_string(),
                expires_in: i64::from(result.expires_in()),
            }),
            _ => Err(SignInError::Unavailable("no tokens in the answer".into())),
        }
    }
}
