//! The agent's status on Amazon Connect. API reference:
//! - `GetCurrentUserData` (POST /metrics/userdata/{InstanceId},
//!   `Filters.Agents`): the user's `Status` (current), `NextStatus` (the
//!   name of the status waiting for the user's contacts to end) and
//!   `Contacts` (one per contact, after-contact work included);
//! - `PutUserStatus` (PUT /users/{InstanceId}/{UserId}/status,
//!   `AgentStatusId`): sets the status, or, while the user handles a
//!   contact, the next status;
//! - `ListAgentStatuses` (GET /agent-status/{InstanceId}): the instance's
//!   statuses, to know which one a `NextStatus` name is (read only when a
//!   next status is set and is not the current one).

use async_trait::async_trait;
use aws_sdk_connect::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_connect::types::{UserData, UserDataFilters};

use lifeline_app::ports::{PlatformError, PlatformPresence};
use lifeline_domain::call::AgentProfile;
use lifeline_domain::platform::{PlatformStatus, PlatformView};

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

fn offline() -> PlatformStatus {
    PlatformStatus {
        id: String::new(),
        name: "Offline".into(),
    }
}

fn current_of(data: &UserData) -> PlatformStatus {
    match data.status() {
        Some(s) => PlatformStatus {
            id: status_id(s.status_arn().unwrap_or_default()).to_string(),
            name: s.status_name().unwrap_or_default().to_string(),
        },
        None => offline(),
    }
}

impl ConnectPresence {
    /// The instance's agent status called `name` (`NextStatus` gives only
    /// the name; the id is what a restore sets).
    async fn status_named(&self, name: &str) -> Result<PlatformStatus, PlatformError> {
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_agent_statuses()
                .instance_id(&self.instance)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(mapped)?;
            let found = page
                .agent_status_summary_list()
                .iter()
                .find(|s| s.name() == Some(name));
            if let Some(id) = found.and_then(|s| s.id()) {
                return Ok(PlatformStatus {
                    id: id.to_string(),
                    name: name.to_string(),
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => {
                    return Err(PlatformError::Refused(format!(
                        "the next status `{name}` is not one of the instance's agent statuses"
                    )))
                }
            }
        }
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

    async fn view(&self, user: &str) -> Result<PlatformView, PlatformError> {
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
        let Some(data) = answer.user_data_list().first() else {
            return Ok(PlatformView::settled(offline()));
        };
        let current = current_of(data);
        let next = match data.next_status().filter(|n| !n.is_empty()) {
            None => None,
            Some(name) if name == current.name => Some(current.clone()),
            Some(name) => Some(self.status_named(name).await?),
        };
        Ok(PlatformView {
            current,
            next,
            // After-contact work is a contact too (its state `ENDED`).
            on_contact: !data.contacts().is_empty(),
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
    fn the_current_status_from_user_data() {
        use aws_sdk_connect::types::AgentStatusReference;
        let data = UserData::builder()
            .status(
                AgentStatusReference::builder()
                    .status_arn("arn:aws:connect:us-east-1:1:instance/i/agent-state/st-1")
                    .status_name("Available")
                    .build(),
            )
            .next_status("Emergency call")
            .build();
        assert_eq!(
            current_of(&data),
            PlatformStatus {
                id: "st-1".into(),
                name: "Available".into()
            }
        );
        // Logged in without a status: offline, as Connect shows it.
        assert_eq!(current_of(&UserData::builder().build()), offline());
    }

    #[test]
    fn a_status_id_from_its_arn() {
        assert_eq!(
            status_id("arn:aws:connect:us-east-1:123456789012:instance/inst-1/agent-state/st-9"),
            "st-9"
        );
        assert_eq!(status_id("st-9"), "st-9");
    }
}
