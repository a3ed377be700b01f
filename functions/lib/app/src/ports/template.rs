//! The message templates: one family per locale, the version in force, and
//! pushing a new one. English's alert e-mail is the template the notifier
//! has always read.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lifeline_domain::locale::Locale;
use lifeline_domain::notification::{
    MessageKind, NotificationTemplate, Part, PartKey, TemplateFamily,
};

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
    /// `locale`'s family in force; none: the built-in one.
    async fn current_family(&self, locale: Locale) -> Result<Option<TemplateFamily>, StoreError>;
    /// Saves `family` as its locale's version after `family.version - 1`;
    /// it becomes the one in force.
    async fn push_family(
        &self,
        family: &TemplateFamily,
        now: DateTime<Utc>,
    ) -> Result<(), TemplateSaveError>;

    /// The tenant's default message locale, for recipients without one;
    /// none: not set (English).
    async fn tenant_locale(&self) -> Result<Option<Locale>, StoreError>;
    async fn set_tenant_locale(&self, locale: Locale, now: DateTime<Utc>)
        -> Result<(), StoreError>;

    /// English's alert e-mail in force (stored, its parts not edited being
    /// the built-in ones); none: nothing stored.
    async fn current_template(&self) -> Result<Option<NotificationTemplate>, StoreError> {
        Ok(self
            .current_family(Locale::En)
            .await?
            .map(|f| f.alert_email()))
    }

    /// Saves `template` as English's alert e-mail, the version after
    /// `template.version - 1`; it becomes the one in force.
    async fn push_template(
        &self,
        template: &NotificationTemplate,
        now: DateTime<Utc>,
    ) -> Result<(), TemplateSaveError> {
        let mut family = TemplateFamily::builtin(Locale::En);
        family.version = template.version;
        for (part, source) in [
            (Part::Subject, &template.subject),
            (Part::Html, &template.html),
            (Part::Text, &template.text),
        ] {
            family
                .edited
                .insert(PartKey::new(MessageKind::Alert, part), source.clone());
        }
        self.push_family(&family, now).await
    }
}
