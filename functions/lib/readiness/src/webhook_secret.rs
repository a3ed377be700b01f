//! The webhook secret's rotation: after `lifeline secret rotate` the previous
//! value stays accepted beside the new one until `retire-previous`. Left for
//! more than a week, the rotation did not end: whoever held the old value
//! can still sign requests.

use chrono::{DateTime, Duration, Utc};
use lifeline_aws::secrets::SecretVersion;

use super::finding::{finding, span, Finding, Level, DEPLOYMENT};

const CHECK: &str = "webhook secret";

/// How long the previous value may stay accepted before it is reported.
pub const PREVIOUS_SECRET_GRACE: Duration = Duration::days(7);

/// What was read of the secret's versions, or why it could not be.
pub type SecretLookup = Result<Vec<SecretVersion>, String>;

/// How long the previous value has been accepted: since the current one was
/// put (the rotation), else — no date for it — since the previous one was.
pub fn check_previous_secret(lookup: &SecretLookup, now: DateTime<Utc>) -> Finding {
    let versions = match lookup {
        Ok(v) => v,
        Err(e) => {
            return finding(
                DEPLOYMENT,
                CHECK,
                Level::Warning,
                format!("its versions could not be read: {e}"),
                Some(
                    "allow secretsmanager:ListSecretVersionIds on it, or check \
                     LIFELINE_WEBHOOK_SECRET_ARN"
                        .into(),
                ),
            )
        }
    };
    let created = |stage: &str| versions.iter().find(|v| v.is(stage)).map(|v| v.created);
    let Some(previous_created) = created("AWSPREVIOUS") else {
        return finding(
            DEPLOYMENT,
            CHECK,
            Level::Ok,
            "only the current value is accepted".into(),
            None,
        );
    };
    let retire = "retire it: `lifeline secret retire-previous` (once the platform signs with \
                  the current one)";
    match created("AWSCURRENT").flatten().or(previous_created) {
        Some(since) if now - since > PREVIOUS_SECRET_GRACE => finding(
            DEPLOYMENT,
            CHECK,
            Level::Warning,
            format!(
                "the previous value is still accepted, {} after the rotation (more than {})",
                span(now - since),
                span(PREVIOUS_SECRET_GRACE)
            ),
            Some(retire.into()),
        ),
        Some(since) => finding(
            DEPLOYMENT,
            CHECK,
            Level::Ok,
            format!(
                "rotated {} ago: the previous value is accepted too until it is retired",
                span(now - since)
            ),
            None,
        ),
        None => finding(
            DEPLOYMENT,
            CHECK,
            Level::Warning,
            "the previous value is still accepted, since an unknown date".into(),
            Some(retire.into()),
        ),
    }
}
