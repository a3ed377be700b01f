//! The readiness port answered by the AWS adapters: DynamoDB, SES v2,
//! EventBridge Scheduler and Secrets Manager, one request per question.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use lifeline_app::ports::{AdminStore, DialStore, LocationStore, TemplateStore};
use lifeline_aws::dynamo::{DynamoStore, TableState};
use lifeline_aws::secrets::SecretVersion;
use lifeline_aws::ses::IdentityState;
use lifeline_domain::call::AgentProfile;
use lifeline_domain::location::RegisteredLocation;
use lifeline_domain::notification::NotificationTemplate;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::TenantSettings;
use lifeline_domain::types::AgentId;

use super::gather::{gather_from, Readiness};
use super::report::{Lookups, Targets};

pub struct AwsReadiness<'a> {
    pub store: &'a DynamoStore,
    pub ses: &'a aws_sdk_sesv2::Client,
    pub scheduler: &'a aws_sdk_scheduler::Client,
    pub secrets: &'a aws_sdk_secretsmanager::Client,
}

#[async_trait]
impl Readiness for AwsReadiness<'_> {
    fn table_name(&self) -> String {
        self.store.table().to_string()
    }

    async fn table_state(&self) -> Result<TableState, String> {
        self.store.table_state().await.map_err(|e| e.to_string())
    }

    async fn identity(&self, from: &str) -> Result<IdentityState, String> {
        lifeline_aws::ses::identity_state(self.ses, from)
            .await
            .map_err(|e| e.to_string())
    }

    async fn schedule_group_exists(&self, group: &str) -> Result<bool, String> {
        lifeline_aws::scheduler::group_exists(self.scheduler, group)
            .await
            .map_err(|e| e.to_string())
    }

    async fn agent(&self, id: &AgentId) -> Result<Option<AgentProfile>, String> {
        self.store.get_agent(id).await.map_err(|e| e.to_string())
    }

    async fn agents(&self) -> Result<Vec<AgentProfile>, String> {
        self.store.list_agents().await.map_err(|e| e.to_string())
    }

    async fn free_numbers(
        &self,
        country: Country,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, String> {
        self.store
            .available_numbers(country, now, limit, None)
            .await
            .map(|page| page.numbers.len())
            .map_err(|e| e.to_string())
    }

    async fn has_pool(&self, country: Country) -> Result<bool, String> {
        DialStore::has_pool(self.store, country)
            .await
            .map_err(|e| e.to_string())
    }

    async fn registered_location(
        &self,
        agent: &AgentId,
    ) -> Result<Option<RegisteredLocation>, String> {
        self.store
            .registered_location(agent)
            .await
            .map(|(_, registered)| registered)
            .map_err(|e| e.to_string())
    }

    async fn template(&self) -> Result<Option<NotificationTemplate>, String> {
        self.store
            .current_template()
            .await
            .map_err(|e| e.to_string())
    }

    async fn tenant(&self) -> Result<TenantSettings, String> {
        self.store.get_tenant().await.map_err(|e| e.to_string())
    }

    async fn secret_versions(&self, secret_id: &str) -> Result<Vec<SecretVersion>, String> {
        lifeline_aws::secrets::secret_versions(self.secrets, secret_id)
            .await
            .map_err(|e| e.to_string())
    }
}

/// [`gather_from`] the AWS adapters.
pub async fn gather(
    aws: &AwsReadiness<'_>,
    targets: &Targets,
    agent: Option<&AgentId>,
    now: DateTime<Utc>,
) -> Result<Lookups, String> {
    gather_from(aws, targets, agent, now).await
}
