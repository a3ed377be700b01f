//! The agent's status on Amazon Connect: `GetCurrentUserData` filtered to
//! the user (its current agent status), `PutUserStatus` to set one. API
//! reference: GetCurrentUserData (POST /metrics/userdata/{InstanceId},
//! `Filters.Agents`), PutUserStatus (PUT /users/{InstanceId}/{UserId}/status,
//! `AgentStatusId`).

use async_trait::async_trait;
use aws_sdk_connect::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_connect::types::UserDataFilters;

use lifeline_app::ports::{PlatformError, PlatformPresence};
use lifeline_domain::call::AgentProfile;
use lifeline_domain::platform::PlatformStatus;

/// `LIFELINE_CONNECT_INSTANCE`: the instance's id or ARN.
pub const INSTANCE_VAR: &str = lifeline_app::settings::table::LIFELINE_CONNECT_INSTANCE.name;
/// `LIFELINE_CONNECT_EMERGENCY_STATUS_ID`: the agent status an emergency
/// call puts on (one the admin creates, e.g. "Emergency call").
pub const EMERGENCY_STATUS_VAR: &str =
    lifeline_app::settings::table::LIFELINE_CONNECT_EMERGENCY_STATUS_ID.name;

#[derive(Clone, Debug)]
pub struct ConnectPresence {
    client: aws_sdk_connect::Client,
    instance: String,
    emergency_status: String,
}

impl ConnectPresence {
    pub fn new(
        client: aws_sdk_connect::Client,
        instance: impl Into<String>,
        emergency_status: impl Into<String>,
    ) -> Self {
        ConnectPresence {
            client,
            instance: instance.into(),
            emergency_status: emergency_status.into(),
        }
    }
}

/// An agent status's id from its ARN (`…/agent-state/<id>`), or the value
/// itself when it is an id already.
pub fn status_id(arn_or_id: &str) -> &str {
    arn_or_id.rsplit('/').next().unwrap_or(arn_or_id)
}

fn mapped<E: ProvideErrorMetadata + std::error::Error + 'static>(
    e: aws_sdk_connect::error::SdkError<E>,
) -> PlatformError {
    let code = e.code().unwrap_or_default().to_string();
    match code.as_str() {
        "ResourceNotFoundException"
        | "AccessDeniedException"
        | "InvalidParameterException"
        | "InvalidRequestException" => PlatformError::Refused(code),
        _ => PlatformError::Unavailable(DisplayErrorContext(e).to_string()),
    }
}

#[async_trait]
impl PlatformPresence for ConnectPresence {
    fn platform(&self) -> &'static str {
        "connect"
    }

    fn user_of<'a>(&self, profile: &'a AgentProfile) -> Option<&'a str> {
        profile.platform.connect_user_id.as_deref()
    }

    fn emergency_status(&self) -> &str {
        &self.emergency_status
    }

    async fn current(&self, user: &str) -> Result<PlatformStatus, PlatformError> {
        let answer = self
            .client
            .get_current_user_data()
            .instance_id(&self.instance)
            .filters(UserDataFilters::builder().agents(user).build())
            .send()
            .await
            .map_err(mapped)?;
        // A user who is not logged in has no current data: offline, as
        // Connect shows it; the emergency status is still set.
        let status = answer.user_data_list().first().and_then(|d| d.status());
        Ok(match status {
            Some(s) => PlatformStatus {
                id: status_id(s.status_arn().unwrap_or_default()).to_string(),
                name: s.status_name().unwrap_or_default().to_string(),
            },
            None => PlatformStatus {
                id: String::new(),
                name: "Offline".into(),
            },
        })
    }

    async fn set(&self, user: &str, status_id: &str) -> Result<(), PlatformError> {
        self.client
            .put_user_status()
            .instance_id(&self.instance)
            .user_id(user)
            .agent_status_id(status_id)
            .send()
            .await
            .map_err(mapped)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_id_from_its_arn() {
        assert_eq!(
            status_id("arn:aws:connect:us-east-1:123456789012:instance/inst-1/agent-state/st-9"),
            "st-9"
        );
        assert_eq!(status_id("st-9"), "st-9");
    }
}
