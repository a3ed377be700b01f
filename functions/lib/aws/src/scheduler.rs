//! The EventBridge Scheduler adapter: one one-time schedule per lease, in
//! Lifeline's schedule group, targeting the callback-lease function.

use async_trait::async_trait;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode,
    RetryPolicy, ScheduleState, Target,
};
use aws_sdk_scheduler::Client;
use chrono::{DateTime, Utc};

use crate::sdk::applied;
use lifeline_app::ports::{LeaseScheduler, ScheduleError};
use lifeline_app::settings::table::{
    LIFELINE_ESCALATION_DLQ_ARN, LIFELINE_ESCALATION_TARGET_ARN, LIFELINE_LEASE_DLQ_ARN,
    LIFELINE_LEASE_TARGET_ARN, LIFELINE_SCHEDULER_ROLE_ARN, LIFELINE_SCHEDULE_GROUP,
};
use lifeline_app::settings::{ConfigError, Mode, Setting};
use lifeline_domain::expiry::ExpirySchedule;

/// Where expiry schedules live and what they invoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerConfig {
    pub group: String,
    /// The callback-lease function (the schedules' target).
    pub target_arn: String,
    /// The role EventBridge Scheduler assumes to invoke it.
    pub role_arn: String,
    /// Where firings that keep failing go.
    pub dead_letter_arn: Option<String>,
}

impl SchedulerConfig {
    pub fn from_env(mode: Mode) -> Result<Self, ConfigError> {
        Self::from_lookup(mode, |k| std::env::var(k).ok())
    }

    pub fn from_lookup(
        mode: Mode,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        Self::targeting(
            mode,
            (&LIFELINE_LEASE_TARGET_ARN, "callback-lease"),
            &LIFELINE_LEASE_DLQ_ARN,
            get,
        )
    }

    /// The escalation schedules' configuration (the notifier's own ARN as
    /// their target). `None` on AWS without a target: no escalation.
    pub fn for_escalations(
        mode: Mode,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let unset = LIFELINE_ESCALATION_TARGET_ARN
            .raw(&get)
            .is_none_or(|v| v.is_empty());
        if unset && mode == Mode::Lambda {
            return Ok(None);
        }
        Self::targeting(
            mode,
            (&LIFELINE_ESCALATION_TARGET_ARN, "notifier"),
            &LIFELINE_ESCALATION_DLQ_ARN,
            get,
        )
        .map(Some)
    }

    /// Schedules in the group, invoking `target` (a setting, and the local
    /// function name its dummy ARN names), dead letters to `dlq`.
    fn targeting(
        mode: Mode,
        (target, local_function): (&Setting, &str),
        dlq: &Setting,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let group = LIFELINE_SCHEDULE_GROUP.raw_or_default(&get);
        if group.is_empty() || group.len() > 64 {
            return Err(LIFELINE_SCHEDULE_GROUP.invalid("1 to 64 characters"));
        }
        // Locally the emulator only stores these; on AWS they must be real.
        let arn = |setting: &Setting, local: &str| match (
            setting.raw(&get).filter(|v| !v.is_empty()),
            mode,
        ) {
            (Some(v), _) if v.starts_with("arn:") => Ok(v),
            (Some(v), _) => Err(setting.invalid(format!("`{v}` is not an ARN"))),
            (None, Mode::Local) => Ok(local.to_string()),
            (None, Mode::Lambda) => Err(setting.missing()),
        };
        Ok(SchedulerConfig {
            target_arn: arn(
                target,
                &format!("arn:aws:lambda:us-east-1:000000000000:function:{local_function}"),
            )?,
            role_arn: arn(
                &LIFELINE_SCHEDULER_ROLE_ARN,
                "arn:aws:iam::000000000000:role/lifeline-scheduler",
            )?,
            dead_letter_arn: dlq.raw(&get).filter(|v| !v.is_empty()),
            group,
        })
    }
}

/// `at(yyyy-mm-ddThh:mm:ss)`, read in the UTC time zone.
pub fn at_expression(t: DateTime<Utc>) -> String {
    format!("at({})", t.format("%Y-%m-%dT%H:%M:%S"))
}

/// The time of an `at(...)` expression, in UTC.
pub fn parse_at(expression: &str) -> Option<DateTime<Utc>> {
    let inner = expression.strip_prefix("at(")?.strip_suffix(')')?;
    chrono::NaiveDateTime::parse_from_str(inner, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .map(|n| n.and_utc())
}

#[derive(Debug, Clone)]
pub struct EventBridgeScheduler {
    client: Client,
    config: SchedulerConfig,
}

impl EventBridgeScheduler {
    pub fn new(client: Client, config: SchedulerConfig) -> Self {
        EventBridgeScheduler { client, config }
    }

    fn target(&self, input: String) -> Result<Target, ScheduleError> {
        let retry = RetryPolicy::builder()
            .maximum_retry_attempts(10)
            .maximum_event_age_in_seconds(3600)
            .build();
        let mut t = Target::builder()
            .arn(&self.config.target_arn)
            .role_arn(&self.config.role_arn)
            .input(input)
            .retry_policy(retry);
        if let Some(dlq) = &self.config.dead_letter_arn {
            t = t.dead_letter_config(DeadLetterConfig::builder().arn(dlq).build());
        }
        t.build().map_err(build)
    }
}

fn build(e: aws_sdk_scheduler::error::BuildError) -> ScheduleError {
    ScheduleError::Unavailable(e.to_string())
}

fn unavailable<E: std::error::Error + 'static, R: std::fmt::Debug>(
    e: aws_sdk_scheduler::error::SdkError<E, R>,
) -> ScheduleError {
    ScheduleError::Unavailable(aws_sdk_scheduler::error::DisplayErrorContext(e).to_string())
}

/// The same one-time schedule on a create or an update request (the SDK's
/// two builders share these setters but no type).
macro_rules! one_time_schedule {
    ($me:expr, $request:expr, $s:expr, $input:expr) => {
        $request
            .name(&$s.name)
            .group_name(&$me.config.group)
            .schedule_expression(at_expression($s.at))
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window()?)
            .action_after_completion(ActionAfterCompletion::Delete)
            .state(ScheduleState::Enabled)
            .target($me.target($input)?)
    };
}

impl EventBridgeScheduler {
    async fn create(&self, s: &ExpirySchedule, input: String) -> Result<bool, ScheduleError> {
        let r = one_time_schedule!(self, self.client.create_schedule(), s, input)
            .send()
            .await;
        applied(r, |e| e.is_conflict_exception()).map_err(unavailable)
    }

    async fn update(&self, s: &ExpirySchedule, input: String) -> Result<bool, ScheduleError> {
        let r = one_time_schedule!(self, self.client.update_schedule(), s, input)
            .send()
            .await;
        applied(r, |e| e.is_resource_not_found_exception()).map_err(unavailable)
    }
}

fn window() -> Result<FlexibleTimeWindow, ScheduleError> {
    FlexibleTimeWindow::builder()
        .mode(FlexibleTimeWindowMode::Off)
        .build()
        .map_err(build)
}

#[async_trait]
impl LeaseScheduler for EventBridgeScheduler {
    /// One request in the usual case: create for a new lease, update for a
    /// moved hold; the other when the guess was wrong (a retried record, a
    /// schedule that already fired and was deleted).
    async fn upsert(&self, s: &ExpirySchedule) -> Result<(), ScheduleError> {
        let input = serde_json::to_string(&s.input)
            .map_err(|e| ScheduleError::Unavailable(e.to_string()))?;
        let done = if s.moved {
            self.update(s, input.clone()).await? || self.create(s, input).await?
        } else {
            self.create(s, input.clone()).await? || self.update(s, input).await?
        };
        if done {
            Ok(())
        } else {
            Err(ScheduleError::Unavailable(format!(
                "schedule {} neither created nor updated",
                s.name
            )))
        }
    }
}

/// Whether the schedule group exists.
pub async fn group_exists(client: &Client, group: &str) -> Result<bool, ScheduleError> {
    let r = client.get_schedule_group().name(group).send().await;
    applied(r, |e| e.is_resource_not_found_exception()).map_err(unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_expressions_round_trip() {
        let t = DateTime::from_timestamp(1_795_500_000, 0).unwrap();
        assert_eq!(at_expression(t), "at(2026-11-24T06:00:00)");
        assert_eq!(parse_at(&at_expression(t)), Some(t));
        assert_eq!(parse_at("rate(5 minutes)"), None);
    }

    #[test]
    fn config() {
        let c = SchedulerConfig::from_lookup(Mode::Local, |_| None).unwrap();
        assert_eq!(c.group, "lifeline");
        assert!(SchedulerConfig::from_lookup(Mode::Lambda, |_| None).is_err());
        assert!(SchedulerConfig::from_lookup(Mode::Local, |k| (k
            == LIFELINE_SCHEDULER_ROLE_ARN.name)
            .then(|| "role".into()))
        .is_err());
    }
}
