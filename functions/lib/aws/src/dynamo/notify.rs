//! The notifier's reads and its outcome; the e-mail template's versions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use lifeline_app::ports::{
    NotificationOutcome, NotifyContext, NotifyStore, StoreError, TemplateSaveError, TemplateStore,
};
use lifeline_domain::call::rfc3339;
use lifeline_domain::notification::NotificationTemplate;
use lifeline_domain::types::{AgentId, CallId};

use super::codec::{decode_agent, decode_call, decode_template, encode_template, Reader};
use super::keys::{call_key, item_kind, n, profile_key, s, template_key};
use super::store::{unavailable, DynamoStore};
use super::write::{put, values};

#[async_trait]
impl NotifyStore for DynamoStore {
    async fn notify_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<NotifyContext, StoreError> {
        let items = self
            .batch_get(vec![
                call_key(call),
                profile_key(agent),
                template_key("CURRENT"),
            ])
            .await?;
        let mut ctx = NotifyContext::default();
        for item in &items {
            match item_kind(item) {
                Some((_, "CALL")) => {
                    ctx.notification = Reader::new(item).opt_str("notification").map(String::from);
                    ctx.call = Some(decode_call(item)?);
                }
                Some((_, "PROFILE")) => ctx.agent = Some(decode_agent(item)?),
                Some((_, "CURRENT")) => ctx.template = Some(decode_template(item)?),
                _ => {}
            }
        }
        Ok(ctx)
    }

    async fn record_notification(
        &self,
        call: &CallId,
        outcome: &NotificationOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let detail = match outcome {
            NotificationOutcome::Sent { message_id } => message_id.clone(),
            NotificationOutcome::NoRecipients => String::new(),
            NotificationOutcome::Failed { error } => error.clone(),
        };
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(call_key(call)))
            .update_expression(
                "SET notification = :state, notifiedAt = :at, notificationDetail = :detail",
            )
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":state", s(outcome.state()))
            .expression_attribute_values(":at", s(rfc3339(now)))
            .expression_attribute_values(":detail", s(detail))
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            // The record expired meanwhile: nothing left to mark.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|x| x.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}

#[async_trait]
impl TemplateStore for DynamoStore {
    async fn current_template(&self) -> Result<Option<NotificationTemplate>, StoreError> {
        let r = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(template_key("CURRENT")))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        r.item().map(decode_template).transpose()
    }

    async fn push_template(
        &self,
        t: &NotificationTemplate,
        now: DateTime<Utc>,
    ) -> Result<(), TemplateSaveError> {
        let version_put = put(
            &self.table,
            encode_template(t, &format!("VERSION#{:06}", t.version), now),
            "attribute_not_exists(pk)",
            None,
        )?;
        let current_put = if t.version <= 1 {
            put(
                &self.table,
                encode_template(t, "CURRENT", now),
                "attribute_not_exists(pk)",
                None,
            )?
        } else {
            put(
                &self.table,
                encode_template(t, "CURRENT", now),
                "version = :previous",
                values(vec![(":previous", n(t.version as i64 - 1))]),
            )?
        };
        match self.client.transact_write_items().transact_items(version_put).transact_items(current_put).send().await {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(_)) => {
                    Err(TemplateSaveError::Conflict)
                }
                _ => Err(TemplateSaveError::Store(unavailable(e))),
            },
        }
    }
}
