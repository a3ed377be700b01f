//! The item codec: domain values to DynamoDB items and back, through serde
//! item structs (`serde_dynamo`), one module per item kind. Table reads and
//! the stream's images decode through this same code. The stored shapes are
//! pinned by golden items (`codec/golden/*.json`, see `golden_tests.rs`).

mod agent;
mod call;
mod incident;
mod lease;
mod platform;
mod presence;
mod reader;
mod template;
mod time;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use serde::Serialize;

use lifeline_app::ports::StoreError;

use super::store::Item;

pub(crate) use agent::{decode_agent, decode_tenant, encode_agent};
#[cfg(feature = "sqs")]
pub(crate) use call::decode_call_and_ttl;
pub(crate) use call::{
    decode_call, decode_call_head, decode_registered_location, encode_call,
    encode_registered_location,
};
pub(crate) use incident::{
    decode_entry, decode_head, encode_entry, encode_head, stamp, AckItem, HEAD_OPTIONAL, HEAD_TYPE,
};
pub(crate) use lease::{
    decode_lease, decode_pool_entry, encode_new_number, encode_number, encode_pointer,
};
pub(crate) use platform::{decode_remembered, encode_remembered};
pub(crate) use presence::{decode_presence, decode_presence_facts, encode_presence};
pub(crate) use reader::Reader;
#[cfg(test)]
pub(crate) use template::encode_template;
pub(crate) use template::{
    decode_family, decode_template, decode_tenant_locale, encode_family, encode_tenant_locale,
};

/// An item's `pk/sk`, naming it in errors.
pub(crate) fn item_key(item: &Item) -> String {
    match (item.get("pk"), item.get("sk")) {
        (Some(AttributeValue::S(p)), Some(AttributeValue::S(s))) => format!("{p}/{s}"),
        _ => "<no key>".into(),
    }
}

fn corrupt(item: &Item, detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        key: item_key(item),
        detail: detail.into(),
    }
}

/// The item key `key`, its `type` and `body`'s attributes.
fn encode_item(mut key: Item, kind: &str, body: &impl Serialize) -> Result<Item, StoreError> {
    // Only a body that is not a struct, or a map with non-string keys,
    // fails; none of the item structs can. Named like a corrupt read.
    let attrs: Item = serde_dynamo::to_item(body).map_err(|e| corrupt(&key, e.to_string()))?;
    key.insert("type".into(), AttributeValue::S(kind.into()));
    key.extend(attrs);
    Ok(key)
}

/// The stored shape `S` out of `item`: serde's message, naming the item
/// and the attribute (`serde_dynamo`'s own errors do not say which).
fn decode_stored<S: DeserializeOwned>(item: &Item) -> Result<S, StoreError> {
    let attrs = serde_dynamo::Item::from(item.clone());
    let de = serde_dynamo::Deserializer::from_attribute_value(serde_dynamo::AttributeValue::M(
        attrs.into(),
    ));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let detail = match e.path().iter().next() {
            Some(_) => format!("`{}`: {}", e.path(), e.inner()),
            None => e.inner().to_string(),
        };
        corrupt(item, detail)
    })
}

/// The domain value `T` out of `item`, through its stored shape `S`.
fn decode_item<S, T>(item: &Item) -> Result<T, StoreError>
where
    S: DeserializeOwned,
    T: TryFrom<S>,
    T::Error: std::fmt::Display,
{
    T::try_from(decode_stored::<S>(item)?).map_err(|e| corrupt(item, e.to_string()))
}

/// `text` as a `T`; the error names the attribute.
fn parse<T: std::str::FromStr>(name: &str, text: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| format!("`{name}`: {e}"))
}

fn parse_opt<T: std::str::FromStr>(name: &str, text: Option<&str>) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    text.map(|v| parse(name, v)).transpose()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod reason_tests;

#[cfg(test)]
mod golden_tests;
