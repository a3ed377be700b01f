//! The notification template: the version in force, and pushing a new one.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::error::StoreError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum TemplateSaveError {
    #[error("another version was saved meanwhile; show it and push again")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait TemplateStore: Send + Sync {
    async fn current_template(
        &self,
    ) -> Result<Option<lifeline_domain::notification::NotificationTemplate>, StoreError>;
    /// Saves `template` as the version after `template.version - 1`; it
    /// becomes the one in force.
    async fn push_template(
        &self,
        template: &lifeline_domain::notification::NotificationTemplate,
        now: DateTime<Utc>,
    ) -> Result<(), TemplateSaveError>;
}
