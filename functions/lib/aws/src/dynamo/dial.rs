//! The emergency dial: one batch read, one number lookup, one transaction.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use lifeline_app::ports::{
    CallRecords, DialContext, DialStore, ItemKind, LeaseWrite, PoolCursor, PoolPage, RecordError,
    StoreError,
};
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::numbers::Country;
use lifeline_domain::types::{AgentId, CallId, E164};

use super::codec::{
    decode_agent, decode_call, decode_lease, decode_registered_location, decode_tenant, encode_call,
};
use super::keys::{
    available_cursor, available_key, call_key, epoch, item_kind, pointer_key, profile_key,
    registered_location_key, s, tenant_key, AVAILABLE_INDEX,
};
use super::store::{unavailable, DynamoStore, Item};
use super::write::{lease_puts, put, Cancelled};

/// A call record item's id and call (`None`: it does not decode, logged).
pub(super) fn call_record_of(item: &Item) -> Option<(CallId, Option<EmergencyCall>)> {
    let (pk, _) = item_kind(item).filter(|(_, sk)| *sk == "CALL")?;
    let id: CallId = pk.strip_prefix("CALL#")?.parse().ok()?;
    let call = decode_call(item)
        .inspect_err(|e| {
            tracing::error!(call_id = %id, error = %e, "a call record does not decode; read as someone else's");
        })
        .ok();
    Some((id, call))
}

#[async_trait]
impl CallRecords for DynamoStore {
    async fn call_records(
        &self,
        ids: &[CallId],
    ) -> Result<Vec<(CallId, Option<EmergencyCall>)>, StoreError> {
        let items = self.batch_get(ids.iter().map(call_key).collect()).await?;
        let found = items.iter().filter_map(call_record_of).collect();
        Ok(found)
    }
}

#[async_trait]
impl DialStore for DynamoStore {
    async fn dial_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<DialContext, StoreError> {
        let items = self
            .batch_get(vec![
                call_key(call),
                profile_key(agent),
                pointer_key(agent),
                tenant_key(),
                registered_location_key(agent),
            ])
            .await?;
        // Item by item: one that does not decode is read as missing and
        // reported, and never fails the others.
        let mut ctx = DialContext::default();
        for item in &items {
            let unreadable = match item_kind(item) {
                Some((p, "CALL")) if p.starts_with("CALL#") => decode_call(item)
                    .map(|c| ctx.call = Some(c))
                    .err()
                    .map(|e| (ItemKind::Call, e)),
                Some((_, "PROFILE")) => decode_agent(item)
                    .map(|a| ctx.agent = Some(a))
                    .err()
                    .map(|e| (ItemKind::Profile, e)),
                Some((_, "LEASE")) => decode_lease(item)
                    .map(|l| ctx.lease = l)
                    .err()
                    .map(|e| (ItemKind::LeasePointer, e)),
                Some((_, "LOCATION")) => decode_registered_location(item)
                    .map(|l| ctx.registered = Some(l))
                    .err()
                    .map(|e| (ItemKind::RegisteredLocation, e)),
                Some(("TENANT", "SETTINGS")) => {
                    ctx.tenant = decode_tenant(item);
                    None
                }
                _ => None,
            };
            if let Some((kind, e)) = unreadable {
                tracing::error!(call_id = %call, agent_id = %agent, kind = kind.as_str(), error = %e,
                    "an item the dial reads does not decode; read as missing");
                ctx.unreadable.push(kind);
            }
        }
        Ok(ctx)
    }

    async fn has_pool(&self, country: Country) -> Result<bool, StoreError> {
        let resp = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(AVAILABLE_INDEX)
            .key_condition_expression("poolCountry = :c")
            .expression_attribute_values(":c", s(country.code()))
            .limit(1)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(resp.count() > 0)
    }

    async fn available_numbers(
        &self,
        country: Country,
        now: DateTime<Utc>,
        limit: usize,
        after: Option<&PoolCursor>,
    ) -> Result<PoolPage, StoreError> {
        let resp = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(AVAILABLE_INDEX)
            .key_condition_expression("poolCountry = :c AND availableAt <= :now")
            .expression_attribute_values(":c", s(country.code()))
            .expression_attribute_values(":now", epoch(now))
            .set_exclusive_start_key(after.map(|c| available_key(country, c)))
            .limit(limit as i32)
            .send()
            .await
            .map_err(unavailable)?;
        let numbers = resp
            .items()
            .iter()
            .filter_map(|i| match i.get("pk") {
                Some(AttributeValue::S(pk)) => pk.strip_prefix("NUMBER#").map(str::to_string),
                _ => None,
            })
            .map(|num| {
                num.parse::<E164>().map_err(|e| StoreError::Corrupt {
                    key: num.clone(),
                    detail: e.0,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let next = resp
            .last_evaluated_key()
            .and_then(|k| available_cursor(k).ok());
        Ok(PoolPage { numbers, next })
    }

    async fn record_emergency(
        &self,
        call: &EmergencyCall,
        ttl: DateTime<Utc>,
        lease: Option<&LeaseWrite>,
    ) -> Result<(), RecordError> {
        let Some(w) = lease else {
            return self.put_call(call, ttl).await;
        };
        let call_put = put(
            &self.table,
            encode_call(call, ttl)?,
            "attribute_not_exists(pk)",
            None,
        )?;
        let mut items = vec![call_put];
        items.extend(lease_puts(&self.table, w)?);
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        if let Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(tce)) =
            err.as_service_error()
        {
            // Items: 0 the call, 1 the number, 2 the agent's pointer.
            let c = Cancelled::of(tce.cancellation_reasons());
            if c.failed(0) {
                let existing = c.image(0).map(decode_call).transpose().ok().flatten().map(Box::new);
                return Err(RecordError::CallExists(existing));
            }
            if c.failed(2) {
                // The pointer as it is: a warm dial that assumed none learns
                // the agent's lease here, without a read.
                let current = c.image(2).map(decode_lease).transpose().ok().flatten().flatten();
                return Err(RecordError::LeaseChanged(current.map(Box::new)));
            }
            if c.failed(1) && matches!(lease, Some(LeaseWrite::Claim { .. })) {
                return Err(RecordError::NumberTaken);
            }
            if !c.failed.is_empty() {
                return Err(RecordError::LeaseChanged(None));
            }
            if c.conflict {
                return Err(RecordError::Conflict);
            }
        }
        Err(RecordError::Store(unavailable(err)))
    }
}

impl DynamoStore {
    /// The call's record alone: one conditional `PutItem`, not a transaction
    /// (whatever throttles or conflicts with transactions does not stop the
    /// record that settles them); an existing record comes back with the refusal.
    async fn put_call(&self, call: &EmergencyCall, ttl: DateTime<Utc>) -> Result<(), RecordError> {
        use aws_sdk_dynamodb::operation::put_item::PutItemError;
        use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode_call(call, ttl)?))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(c)) => {
                    let existing = c.item().map(decode_call).transpose().ok().flatten();
                    Err(RecordError::CallExists(existing.map(Box::new)))
                }
                _ => Err(RecordError::Store(unavailable(e))),
            },
        }
    }
}
