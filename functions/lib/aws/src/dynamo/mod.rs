//! The DynamoDB adapter: one table, items keyed `pk`/`sk`, a sparse-free GSI
//! (`available`) that lists each country's numbers by the time they may next be
//! leased. Every port is a single request (plus retries the SDK makes).
//!
//! | item            | pk                | sk        | notes                                  |
//! |-----------------|-------------------|-----------|----------------------------------------|
//! | agent profile   | `AGENT#<id>`      | `PROFILE` | name, e-mail, country, source number…  |
//! | agent lease     | `AGENT#<id>`      | `LEASE`   | copy of the agent's current lease      |
//! | pool number     | `NUMBER#<e164>`   | `NUMBER`  | `poolCountry`+`availableAt` (GSI keys) |
//! | agent presence  | `AGENT#<id>`      | `PRESENCE`| reported status, override calls        |
//! | emergency call  | `CALL#<id>`       | `CALL`    | the record and the answer given; TTL   |
//! | tenant settings | `TENANT`          | `SETTINGS`| route prerequisites                    |
//! | e-mail template | `TEMPLATE#<name>` | `CURRENT`, `VERSION#<n>` | subject, html, text, version |

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::KeysAndAttributes;
use aws_sdk_dynamodb::Client;

use lifeline_app::ports::StoreError;

mod admin;
mod callback;
mod codec;
mod dial;
mod end;
mod keys;
mod lease;
mod notify;
mod presence;
pub mod schema;
pub mod stream;
mod write;

pub use admin::TableState;
pub use keys::{AVAILABLE_INDEX, TTL_ATTRIBUTE};

/// SDK error types, for callers that report them.
pub mod sdk_error {
    pub use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
}

type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

fn unavailable<E, R>(e: SdkError<E, R>) -> StoreError
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

    async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
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
                .request_items(&self.table, pending)
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
                _ => return Ok(out),
            }
        }
        Err(StoreError::Unavailable(
            "read throttled: keys left unprocessed".into(),
        ))
    }
}
