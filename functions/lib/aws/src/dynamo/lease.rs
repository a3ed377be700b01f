//! A lease's release when its schedule fires: one conditional update.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use lifeline_app::ports::{ReleaseStore, StoreError};
use lifeline_domain::expiry::LeaseExpiry;
use lifeline_domain::types::E164;

use super::keys::{epoch, number_key, s};
use super::store::{unavailable, DynamoStore};

#[async_trait]
impl ReleaseStore for DynamoStore {
    async fn release(&self, expiry: &LeaseExpiry, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let number: E164 =
            expiry
                .number
                .parse()
                .map_err(|e: lifeline_domain::types::Invalid| StoreError::Corrupt {
                    key: expiry.number.clone(),
                    detail: e.0,
                })?;
        // The same lease (by identity: its version may have moved without its
        // hold), past its hold, not yet released.
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(number_key(&number)))
            .update_expression("SET releasedAt = :now")
            .condition_expression(
                "leaseId = :lid AND holdUntil <= :now AND attribute_not_exists(releasedAt)",
            )
            .expression_attribute_values(":lid", s(expiry.lease_id.as_str()))
            .expression_attribute_values(":now", epoch(now))
            .send()
            .await;
        crate::sdk::applied(r, |e| e.is_conditional_check_failed_exception()).map_err(unavailable)
    }
}
