//! The notifier's reads and its outcome; the e-mail template's versions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use lifeline_app::ports::{
    NotificationOutcome, NotifyContext, NotifyItem, NotifyStore, StoreError, TemplateSaveError,
    TemplateStore,
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
        let (items, left) = self
            .batch_get_partial(vec![
                call_key(call),
                profile_key(agent),
                template_key("CURRENT"),
            ])
            .await?;
        let mut ctx = NotifyContext::default();
        // Keys the store would not answer for (throttling): without the call
        // there is nothing to send; without the others the service decides.
        for key in &left {
            match item_kind(key) {
                Some((p, "CALL")) if p.starts_with("CALL#") => {
                    return Err(StoreError::Unavailable(
                        "the call record was not read: keys left unprocessed".into(),
                    ))
                }
                Some((_, "PROFILE")) => ctx.unavailable.push(NotifyItem::Profile),
                Some((_, "CURRENT")) => ctx.unavailable.push(NotifyItem::Template),
                _ => {}
            }
        }
        // Item by item: one that does not decode is read as missing and
        // reported, and never fails the others.
        for item in &items {
            let unreadable = match item_kind(item) {
                Some((p, "CALL")) if p.starts_with("CALL#") => {
                    // The outcome is read even from a record that does not
                    // decode: a parked call is not parked twice.
                    ctx.notification = Reader::new(item).opt_str("notification").map(String::from);
                    decode_call(item)
                        .map(|c| ctx.call = Some(c))
                        .err()
                        .map(|e| (NotifyItem::Call, e))
                }
                Some((_, "PROFILE")) => decode_agent(item)
                    .map(|a| ctx.agent = Some(a))
                    .err()
                    .map(|e| (NotifyItem::Profile, e)),
                Some((_, "CURRENT")) => decode_template(item)
                    .map(|t| ctx.template = Some(t))
                    .err()
                    .map(|e| (NotifyItem::Template, e)),
                _ => None,
            };
            if let Some((kind, e)) = unreadable {
                // The key names the item; the decode detail may quote a
                // value (a phone number, an address): not logged.
                let key = match &e {
                    StoreError::Corrupt { key, .. } => key.as_str(),
                    _ => "",
                };
                tracing::error!(call_id = %call, agent_id = %agent, kind = kind.as_str(), key,
                    "an item the notifier reads does not decode; read as missing");
                ctx.unreadable.push(kind);
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
