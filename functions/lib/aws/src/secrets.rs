//! Secrets (the webhook secret, Twilio's auth token): the plain variable
//! itself (local and development runs, e.g. `LIFELINE_WEBHOOK_SECRET`), else
//! the Secrets Manager secret named by the `…_ARN` variable (AWS: the secret
//! never sits in the template, the repository or the Lambda environment).
//! Twilio's token is read once at cold start ([`secret`]); the webhook secret
//! is read within a bounded time and refreshed by the edge
//! ([`SecretsManagerSecret`] with [`SecretBudget::BOUNDED`]).

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;

use lifeline_app::settings::table::{
    LIFELINE_TWILIO_AUTH_TOKEN, LIFELINE_TWILIO_AUTH_TOKEN_ARN, LIFELINE_WEBHOOK_SECRET,
    LIFELINE_WEBHOOK_SECRET_ARN,
};

pub const SECRET_VAR: &str = LIFELINE_WEBHOOK_SECRET.name;
pub const SECRET_ARN_VAR: &str = LIFELINE_WEBHOOK_SECRET_ARN.name;
pub const TWILIO_TOKEN_VAR: &str = LIFELINE_TWILIO_AUTH_TOKEN.name;
pub const TWILIO_TOKEN_ARN_VAR: &str = LIFELINE_TWILIO_AUTH_TOKEN_ARN.name;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "{plain} is not configured: set {plain} (local) or {arn_var} (a Secrets Manager secret)"
    )]
    NotConfigured {
        plain: &'static str,
        arn_var: &'static str,
    },
    #[error("{arn_var} {arn}: {detail}")]
    Unreadable {
        arn_var: &'static str,
        arn: String,
        detail: String,
    },
}

impl SecretError {
    /// A Secrets Manager request about `arn` (named by `arn_var`) failed:
    /// the SDK's whole error context, never a value.
    fn request_failed(arn_var: &'static str, arn: &str, e: impl std::error::Error) -> Self {
        SecretError::Unreadable {
            arn_var,
            arn: arn.to_string(),
            detail: aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string(),
        }
    }
}

/// Where the secret comes from, decided from the environment alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `LIFELINE_WEBHOOK_SECRET`: the value itself.
    Plain(String),
    /// `LIFELINE_WEBHOOK_SECRET_ARN`: a Secrets Manager secret (ARN or name).
    SecretsManager(String),
}

impl SecretSource {
    /// The plain variable wins (an explicit local override); empty values count as unset.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SecretError> {
        Self::of(SECRET_VAR, SECRET_ARN_VAR, get)
    }

    /// The same for any pair of variables.
    pub fn of(
        plain: &'static str,
        arn_var: &'static str,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SecretError> {
        let set = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        match (set(plain), set(arn_var)) {
            (Some(s), _) => Ok(SecretSource::Plain(s)),
            (None, Some(arn)) => Ok(SecretSource::SecretsManager(arn.trim().to_string())),
            (None, None) => Err(SecretError::NotConfigured { plain, arn_var }),
        }
    }
}

/// The webhook secret's value: `LIFELINE_WEBHOOK_SECRET` if set, else one
/// `GetSecretValue` of `LIFELINE_WEBHOOK_SECRET_ARN` (its `SecretString`).
/// Call it once, at cold start.
pub async fn webhook_secret(
    aws: &aws_config::SdkConfig,
    get: impl Fn(&str) -> Option<String>,
) -> Result<String, SecretError> {
    secret(aws, SECRET_VAR, SECRET_ARN_VAR, get).await
}

/// `plain` if set, else one `GetSecretValue` of the secret `arn_var` names.
/// Call it once, at cold start.
pub async fn secret(
    aws: &aws_config::SdkConfig,
    plain: &'static str,
    arn_var: &'static str,
    get: impl Fn(&str) -> Option<String>,
) -> Result<String, SecretError> {
    let arn = match SecretSource::of(plain, arn_var, get)? {
        SecretSource::Plain(s) => return Ok(s),
        SecretSource::SecretsManager(arn) => arn,
    };
    // Init may take up to 10 s on Lambda; the webhook clients' tight
    // critical-path timeouts are not meant for this one cold-start read.
    SecretsManagerSecret::new(aws, arn_var, arn, SecretBudget::COLD_START)
        .get()
        .await
}

/// How long one read of a secret may take, retries included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretBudget {
    pub connect: Duration,
    pub attempt: Duration,
    pub total: Duration,
    pub attempts: u32,
}

impl SecretBudget {
    /// A read that may hold up a cold start (Twilio's auth token).
    pub const COLD_START: SecretBudget = SecretBudget {
        connect: Duration::from_secs(1),
        attempt: Duration::from_secs(2),
        total: Duration::from_secs(6),
        attempts: 3,
    };
    /// A read that must not: the webhook secret, which the function can
    /// start without and fetch again later (1.5 s at most, one retry).
    pub const BOUNDED: SecretBudget = SecretBudget {
        connect: Duration::from_millis(500),
        attempt: Duration::from_millis(1000),
        total: Duration::from_millis(1500),
        attempts: 2,
    };
}

/// One Secrets Manager secret, read as often as asked with a client built
/// once (at cold start).
#[derive(Debug, Clone)]
pub struct SecretsManagerSecret {
    client: aws_sdk_secretsmanager::Client,
    arn_var: &'static str,
    arn: String,
}

impl SecretsManagerSecret {
    pub fn new(
        aws: &aws_config::SdkConfig,
        arn_var: &'static str,
        arn: String,
        budget: SecretBudget,
    ) -> Self {
        let conf = aws_sdk_secretsmanager::config::Builder::from(aws)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(budget.connect)
                    .operation_attempt_timeout(budget.attempt)
                    .operation_timeout(budget.total)
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(budget.attempts))
            .build();
        SecretsManagerSecret {
            client: aws_sdk_secretsmanager::Client::from_conf(conf),
            arn_var,
            arn,
        }
    }

    /// The secret's current `SecretString` (one `GetSecretValue`).
    pub async fn get(&self) -> Result<String, SecretError> {
        self.get_stage(None).await
    }

    /// The current value and, during a rotation, the previous one
    /// (`AWSPREVIOUS`; none when the secret has no such version): the two
    /// requests at once.
    pub async fn get_with_previous(&self) -> Result<(String, Option<String>), SecretError> {
        let (current, previous) =
            tokio::join!(self.get_stage(None), self.get_stage(Some("AWSPREVIOUS")));
        // A missing or unreadable previous version is no reason to refuse the current.
        Ok((current?, previous.ok()))
    }

    async fn get_stage(&self, stage: Option<&str>) -> Result<String, SecretError> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(&self.arn)
            .set_version_stage(stage.map(String::from))
            .send()
            .await
            .map_err(|e| SecretError::request_failed(self.arn_var, &self.arn, e))?;
        match out.secret_string() {
            Some(s) if !s.is_empty() => Ok(s.to_string()),
            _ => Err(SecretError::Unreadable {
                arn_var: self.arn_var,
                arn: self.arn.clone(),
                detail: "the secret has no SecretString".into(),
            }),
        }
    }
}

/// A rotation of the webhook secret, in Secrets Manager's own stages: the new
/// value becomes `AWSCURRENT` and the old one `AWSPREVIOUS`. The functions
/// accept both (they refresh every few minutes), so the sender can move over
/// with no window where either secret is refused; then
/// [`retire_previous`] ends the old one's acceptance.
pub async fn rotate(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    new_value: &str,
) -> Result<(), SecretError> {
    client
        .put_secret_value()
        .secret_id(secret_id)
        .secret_string(new_value)
        .send()
        .await
        .map_err(|e| SecretError::request_failed(SECRET_ARN_VAR, secret_id, e))?;
    Ok(())
}

/// Takes `AWSPREVIOUS` off the old version: once the functions refresh, the
/// old secret is refused. Whether there was a previous version.
pub async fn retire_previous(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<bool, SecretError> {
    let failed = |e| SecretError::request_failed(SECRET_ARN_VAR, secret_id, e);
    let described = client
        .describe_secret()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(failed)?;
    let previous = described
        .version_ids_to_stages()
        .into_iter()
        .flatten()
        .find(|(_, stages)| stages.iter().any(|s| s == "AWSPREVIOUS"))
        .map(|(id, _)| id.clone());
    let Some(previous) = previous else {
        return Ok(false);
    };
    client
        .update_secret_version_stage()
        .secret_id(secret_id)
        .version_stage("AWSPREVIOUS")
        .remove_from_version_id(previous)
        .send()
        .await
        .map_err(|e| SecretError::request_failed(SECRET_ARN_VAR, secret_id, e))?;
    Ok(true)
}

/// One version of a secret, as `ListSecretVersionIds` lists it: its staging
/// labels (`AWSCURRENT`, `AWSPREVIOUS`, …) and when it was created. No value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretVersion {
    pub stages: Vec<String>,
    pub created: Option<chrono::DateTime<chrono::Utc>>,
}

impl SecretVersion {
    pub fn is(&self, stage: &str) -> bool {
        self.stages.iter().any(|s| s == stage)
    }
}

/// Every labelled version of the secret (`ListSecretVersionIds`, all pages):
/// what `lifeline doctor` reads to tell how long a previous value has stayed
/// accepted, without reading any value.
pub async fn secret_versions(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<Vec<SecretVersion>, SecretError> {
    let mut versions = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = client
            .list_secret_version_ids()
            .secret_id(secret_id)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| SecretError::request_failed(SECRET_ARN_VAR, secret_id, e))?;
        versions.extend(page.versions().iter().map(|v| {
            SecretVersion {
                stages: v.version_stages().to_vec(),
                created: v
                    .created_date()
                    .and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())),
            }
        }));
        match page.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_string()),
            _ => return Ok(versions),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(vars: &[(&str, &str)]) -> Result<SecretSource, SecretError> {
        SecretSource::from_lookup(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn plain_value_wins_then_the_arn_else_an_error_naming_both() {
        assert_eq!(
            source(&[(SECRET_VAR, "local-secret"), (SECRET_ARN_VAR, "arn:x")]).unwrap(),
            SecretSource::Plain("local-secret".into())
        );
        assert_eq!(
            source(&[
                (SECRET_VAR, ""),
                (
                    SECRET_ARN_VAR,
                    "arn:aws:secretsmanager:us-east-1:1:secret:s"
                )
            ])
            .unwrap(),
            SecretSource::SecretsManager("arn:aws:secretsmanager:us-east-1:1:secret:s".into())
        );
        let err = source(&[]).unwrap_err().to_string();
        assert!(
            err.contains(SECRET_VAR) && err.contains(SECRET_ARN_VAR),
            "{err}"
        );
    }

    #[tokio::test]
    async fn plain_value_needs_no_aws_call() {
        // No endpoint, no credentials: a Secrets Manager call would fail.
        let aws = aws_config::SdkConfig::builder().build();
        let s = webhook_secret(&aws, |k| (k == SECRET_VAR).then(|| "dev-secret-123".into()))
            .await
            .unwrap();
        assert_eq!(s, "dev-secret-123");
        assert!(matches!(
            webhook_secret(&aws, |_| None).await,
            Err(SecretError::NotConfigured { .. })
        ));
    }
}
