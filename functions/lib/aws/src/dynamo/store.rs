//! The store itself: one client and one table, and the batch read every
//! multi-item read goes through.

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::KeysAndAttributes;
use aws_sdk_dynamodb::Client;

use lifeline_app::ports::StoreError;

/// An item as the SDK holds it.
pub(crate) type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

#[derive(Clone, Debug)]
pub struct DynamoStore {
    pub(crate) client: Client,
    pub(crate) table: String,
}

pub(crate) fn unavailable<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(DisplayErrorContext(e).to_string())
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    pub fn from_conf(conf: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        DynamoStore::new(Client::new(conf), table)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub(crate) async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let (items, left) = self.batch_get_partial(keys).await?;
        if left.is_empty() {
            Ok(items)
        } else {
            Err(StoreError::Unavailable(
                "read throttled: keys left unprocessed".into(),
            ))
        }
    }

    /// The items found, and the keys still unprocessed after a few tries:
    /// for a reader that can go on without some of them.
    pub(crate) async fn batch_get_partial(
        &self,
        keys: Vec<Item>,
    ) -> Result<(Vec<Item>, Vec<Item>), StoreError> {
        let mut pending = KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .consistent_read(true)
            .build()
            .map_err(|e| StoreError::Unavailable(format!("building a read: {e}")))?;
        let mut out = Vec::new();
        // Unprocessed keys are rare (throughput limits): retry them a few times.
        for _ in 0..3 {
            let resp = self
                .client
                .batch_get_item()
                .request_items(&self.table, pending.clone())
                .send()
                .await
                .map_err(unavailable)?;
            if let Some(mut r) = resp.responses {
                out.extend(r.remove(&self.table).unwrap_or_default());
            }
            match resp
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
            {
                Some(rest) if !rest.keys().is_empty() => pending = rest,
                _ => return Ok((out, Vec::new())),
            }
        }
        Ok((out, pending.keys().to_vec()))
    }
}
