//! A call's end: one batch read, one conditional update or transaction.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use chrono::{DateTime, Utc};

use lifeline_app::ports::{EndError, EndStore, LeaseWrite, StoreError};
use lifeline_domain::call::{rfc3339, EmergencyCall};
use lifeline_domain::lease::Lease;
use lifeline_domain::types::{AgentId, CallId};

use super::codec::{decode_call, decode_lease};
use super::dial::call_record_of;
use super::keys::{call_key, epoch, item_kind, pointer_key, s, TTL_ATTRIBUTE};
use super::store::{unavailable, DynamoStore};
use super::write::{lease_puts, Cancelled};

#[async_trait]
impl EndStore for DynamoStore {
    async fn end_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<(Option<EmergencyCall>, Option<Lease>), StoreError> {
        let items = self
            .batch_get(vec![call_key(call), pointer_key(agent)])
            .await?;
        let mut out = (None, None);
        for item in &items {
            match item_kind(item) {
                Some((_, "CALL")) => out.0 = Some(decode_call(item)?),
                Some((_, "LEASE")) => out.1 = decode_lease(item)?,
                _ => {}
            }
        }
        Ok(out)
    }

    async fn end_chain(
        &self,
        ids: &[CallId],
        agent: &AgentId,
    ) -> Result<(Vec<(CallId, Option<EmergencyCall>)>, Option<Lease>), StoreError> {
        let mut keys: Vec<_> = ids.iter().map(call_key).collect();
        keys.push(pointer_key(agent));
        let items = self.batch_get(keys).await?;
        let mut records = Vec::with_capacity(ids.len());
        let mut lease = None;
        for item in &items {
            match item_kind(item) {
                Some((_, "CALL")) => records.extend(call_record_of(item)),
                Some((_, "LEASE")) => lease = decode_lease(item)?,
                _ => {}
            }
        }
        Ok((records, lease))
    }

    async fn record_end(
        &self,
        call: &CallId,
        ended_at: DateTime<Utc>,
        ttl: DateTime<Utc>,
        lease: Option<&LeaseWrite>,
    ) -> Result<(), EndError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(call_key(call)))
            .update_expression("SET endedAt = :e, #ttl = :ttl")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(endedAt)")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":e", s(rfc3339(ended_at)))
            .expression_attribute_values(":ttl", epoch(ttl))
            .build()
            .map_err(|e| StoreError::Unavailable(format!("building an update: {e}")))?;
        let Some(w) = lease else {
            // No lease to move: one plain conditional update.
            let r = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(call_key(call)))
                .update_expression(update.update_expression())
                .set_condition_expression(update.condition_expression().map(String::from))
                .set_expression_attribute_names(update.expression_attribute_names().cloned())
                .set_expression_attribute_values(update.expression_attribute_values().cloned())
                .send()
                .await;
            return match r {
                Ok(_) => Ok(()),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                {
                    Err(EndError::AlreadyEnded)
                }
                Err(e) => Err(EndError::Store(unavailable(e))),
            };
        };
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        items.extend(lease_puts(&self.table, w)?);
        let err = match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        if let Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(tce)) =
            err.as_service_error()
        {
            let Cancelled { failed, conflict, .. } = Cancelled::of(tce.cancellation_reasons());
            if failed.contains(&0) {
                return Err(EndError::AlreadyEnded);
            }
            if !failed.is_empty() || conflict {
                return Err(EndError::LeaseChanged);
            }
        }
        Err(EndError::Store(unavailable(err)))
    }
}
