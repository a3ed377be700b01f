//! The template families per locale and the tenant's message locale, in
//! memory, with the adapter's versioning: a push is the version after the
//! one in force, or a conflict.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::store::MemoryStore;
use crate::ports::{StoreError, TemplateSaveError, TemplateStore};
use lifeline_domain::locale::Locale;
use lifeline_domain::notification::TemplateFamily;

#[async_trait]
impl TemplateStore for MemoryStore {
    async fn current_family(&self, locale: Locale) -> Result<Option<TemplateFamily>, StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| s.template_families.get(&locale).cloned()))
    }

    async fn push_family(
        &self,
        family: &TemplateFamily,
        _now: DateTime<Utc>,
    ) -> Result<(), TemplateSaveError> {
        self.check(true)?;
        self.with_state(|s| {
            let current = s.template_families.get(&family.locale).map(|f| f.version);
            let next = match current {
                None => family.version <= 1,
                Some(v) => family.version == v + 1,
            };
            if !next {
                return Err(TemplateSaveError::Conflict);
            }
            if family.locale == Locale::En {
                // The notifier reads English's alert e-mail from the same item.
                s.template = Some(family.alert_email());
            }
            s.template_families.insert(family.locale, family.clone());
            Ok(())
        })
    }

    async fn tenant_locale(&self) -> Result<Option<Locale>, StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| s.tenant_locale))
    }

    async fn set_tenant_locale(
        &self,
        locale: Locale,
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.check(true)?;
        self.with_state(|s| s.tenant_locale = Some(locale));
        Ok(())
    }
}
