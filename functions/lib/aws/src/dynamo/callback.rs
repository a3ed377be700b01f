//! A callback: the lease on the called number, one read; then the mark on
//! the number's item that the callback came (one conditional update).

use async_trait::async_trait;

use chrono::{DateTime, Utc};
use lifeline_app::ports::{CallbackStore, StoreError};
use lifeline_domain::call::rfc3339;
use lifeline_domain::lease::Lease;
use lifeline_domain::types::{LeaseId, E164};

use super::codec::decode_lease;
use super::keys::{number_key, s};
use super::store::{unavailable, DynamoStore};
use super::stream::CALLBACK_MARK;

#[async_trait]
impl CallbackStore for DynamoStore {
    async fn lease_for_number(&self, number: &E164) -> Result<Option<Lease>, StoreError> {
        let resp = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(number_key(number)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        match resp.item() {
            Some(item) => decode_lease(item),
            None => Ok(None),
        }
    }

    async fn note_callback(
        &self,
        number: &E164,
        lease: &LeaseId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(number_key(number)))
            .update_expression("SET #mark = :at")
            // Only on the lease that routed it (never on a later one's).
            .condition_expression("leaseId = :lease")
            .expression_attribute_names("#mark", CALLBACK_MARK)
            .expression_attribute_values(":at", s(rfc3339(at)))
            .expression_attribute_values(":lease", s(lease.to_string()))
            .send()
            .await;
        crate::sdk::applied(r, |e| e.is_conditional_check_failed_exception())
            .map(|_| ())
            .map_err(unavailable)
    }
}
