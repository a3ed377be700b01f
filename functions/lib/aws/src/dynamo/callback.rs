//! A callback: the lease on the called number, one read.

use async_trait::async_trait;

use lifeline_app::ports::{CallbackStore, StoreError};
use lifeline_domain::lease::Lease;
use lifeline_domain::types::E164;

use super::codec::decode_lease;
use super::keys::number_key;
use super::store::{unavailable, DynamoStore};

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
}
