//! Readiness for the console: `lifeline doctor`'s lookups and checks (the
//! readiness crate's, on the same AWS adapters), with the targets the
//! deployment gives this function, read once at cold start.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use lifeline_app::settings::table::{
    LIFELINE_CALL_PATH_RESERVED_CONCURRENCY, LIFELINE_NOTIFY_FROM, LIFELINE_SCHEDULE_GROUP,
    LIFELINE_VOICE_PLATFORM, LIFELINE_WEBHOOK_SECRET_ARN,
};
use lifeline_app::settings::Settings;
use lifeline_aws::dynamo::DynamoStore;
use lifeline_console::{Check, ReadinessSource, Verdict};
use lifeline_readiness::{
    gather, report, AwsReadiness, Level, PlatformPresenceSetting, Targets, TWILIO_LAST_RESORT_VAR,
};

pub struct DoctorReadiness {
    store: Arc<DynamoStore>,
    ses: aws_sdk_sesv2::Client,
    scheduler: aws_sdk_scheduler::Client,
    secrets: aws_sdk_secretsmanager::Client,
    targets: Targets,
}

impl DoctorReadiness {
    /// The clients, and the targets from `get` and the functions' settings
    /// (a bad value names its variable).
    pub fn new(
        aws: &aws_config::SdkConfig,
        store: Arc<DynamoStore>,
        settings: &Settings,
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        Ok(DoctorReadiness {
            store,
            ses: aws_sdk_sesv2::Client::new(aws),
            scheduler: aws_sdk_scheduler::Client::new(aws),
            secrets: aws_sdk_secretsmanager::Client::new(aws),
            targets: targets(settings, get)?,
        })
    }
}

/// What the checks compare against, as `lifeline doctor` reads it from the
/// same variables.
pub fn targets(
    settings: &Settings,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Targets, String> {
    let lookup = |k: &str| get(k);
    let platform = LIFELINE_VOICE_PLATFORM
        .raw_or_default(&lookup)
        .parse()
        .map_err(|e: String| format!("{}: {e}", LIFELINE_VOICE_PLATFORM.name))?;
    let call_path_reserved = LIFELINE_CALL_PATH_RESERVED_CONCURRENCY
        .whole_number::<u32>(&lookup)
        .map_err(|e| e.to_string())?;
    let from = LIFELINE_NOTIFY_FROM
        .raw(&lookup)
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| lifeline_edge::config::LOCAL_NOTIFY_FROM.into());
    Ok(Targets {
        from,
        group: LIFELINE_SCHEDULE_GROUP.raw_or_default(&lookup),
        low_water: settings.pool_low_water.clone(),
        platform,
        call_path_reserved,
        webhook_secret: LIFELINE_WEBHOOK_SECRET_ARN
            .raw(&lookup)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        location_fresh_for: settings.location_fresh_for,
        twilio_last_resort: get(TWILIO_LAST_RESORT_VAR),
        platform_presence: PlatformPresenceSetting::from_lookup(lookup),
    })
}

#[async_trait]
impl ReadinessSource for DoctorReadiness {
    async fn checks(&self, now: DateTime<Utc>) -> Result<Vec<Check>, String> {
        let aws = AwsReadiness {
            store: &self.store,
            ses: &self.ses,
            scheduler: &self.scheduler,
            secrets: &self.secrets,
        };
        let lookups = gather(&aws, &self.targets, None, now).await?;
        let report = report(&lookups, &self.targets.low_water, now);
        Ok(report
            .findings
            .into_iter()
            .map(|f| Check {
                scope: f.scope,
                check: f.check.to_string(),
                verdict: match f.level {
                    Level::Ok => Verdict::Ok,
                    Level::Warning => Verdict::Warning,
                    Level::Error => Verdict::Error,
                },
                detail: f.detail,
                fix: f.advice,
            })
            .collect())
    }
}
