//! Registered locations: one batch read; one transaction that writes the
//! location only while the agent's profile exists and no later-signed one
//! is stored.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem};
use chrono::{DateTime, Utc};

use lifeline_app::ports::{LocationError, LocationStore, StoreError};
use lifeline_domain::location::RegisteredLocation;
use lifeline_domain::types::AgentId;

use super::codec::{decode_registered_location, encode_registered_location};
use super::keys::{item_kind, profile_key, registered_location_key};
use super::store::{unavailable, DynamoStore};
use super::write::Cancelled;

#[async_trait]
impl LocationStore for DynamoStore {
    async fn registered_location(
        &self,
        agent: &AgentId,
    ) -> Result<(bool, Option<RegisteredLocation>), StoreError> {
        let items = self
            .batch_get(vec![profile_key(agent), registered_location_key(agent)])
            .await?;
        let mut out = (false, None);
        for item in &items {
            match item_kind(item) {
                Some((_, "PROFILE")) => out.0 = true,
                Some((_, "LOCATION")) => out.1 = Some(decode_registered_location(item)?),
                _ => {}
            }
        }
        Ok(out)
    }

    async fn register_location(
        &self,
        agent: &AgentId,
        registered: &RegisteredLocation,
        ttl: DateTime<Utc>,
    ) -> Result<(), LocationError> {
        let profile = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(profile_key(agent)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(|e| StoreError::Unavailable(format!("building a check: {e}")))?;
        // The latest-signed registration wins: a replayed or straggling
        // older request cannot put back where the agent was.
        let location = Put::builder()
            .table_name(&self.table)
            .set_item(Some(encode_registered_location(agent, registered, ttl)?))
            .condition_expression("attribute_not_exists(signedAt) OR signedAt <= :signedAt")
            .expression_attribute_values(
                ":signedAt",
                AttributeValue::N(registered.signed_at.to_string()),
            )
            .build()
            .map_err(|e| StoreError::Unavailable(format!("building a put: {e}")))?;
        let r = self
            .client
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .condition_check(profile)
                    .build(),
            )
            .transact_items(TransactWriteItem::builder().put(location).build())
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(tce))
                    if Cancelled::of(tce.cancellation_reasons()).failed(0) =>
                {
                    Err(LocationError::UnknownAgent(agent.clone()))
                }
                Some(TransactWriteItemsError::TransactionCanceledException(tce))
                    if Cancelled::of(tce.cancellation_reasons()).failed(1) =>
                {
                    Err(LocationError::Stale(registered.signed_at))
                }
                _ => Err(LocationError::Store(unavailable(e))),
            },
        }
    }
}
