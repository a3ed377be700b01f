//! Pool numbers and the agent's lease pointer: a lease as both items carry
//! it, a number as the pool import adds it and as the pool listing reads it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::AttributeValue;
use lifeline_app::ports::StoreError;
use lifeline_domain::lease::Lease;
use lifeline_domain::numbers::Country;
use lifeline_domain::types::E164;

use super::time::{epoch, epoch_opt};
use super::{corrupt, decode_item, decode_stored, encode_item, parse, Item};
use crate::dynamo::keys::{number_key, pointer_key};

/// The lease's attributes, the same on both items.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LeaseAttrs {
    number: String,
    country: String,
    agent_id: String,
    lease_id: String,
    #[serde(with = "epoch")]
    leased_at: DateTime<Utc>,
    #[serde(with = "epoch")]
    last_dial_at: DateTime<Utc>,
    #[serde(with = "epoch")]
    expires_at: DateTime<Utc>,
    #[serde(with = "epoch")]
    hold_until: DateTime<Utc>,
    /// A string set (`SS`), left out when empty: DynamoDB refuses an empty
    /// set. Read from a list too.
    #[serde(
        default,
        skip_serializing_if = "BTreeSet::is_empty",
        with = "serde_dynamo::string_set"
    )]
    active_calls: BTreeSet<String>,
    #[serde(default)]
    fallback: Vec<String>,
    version: i64,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "epoch_opt")]
    released_at: Option<DateTime<Utc>>,
}

impl From<&Lease> for LeaseAttrs {
    fn from(l: &Lease) -> Self {
        LeaseAttrs {
            number: l.number.to_string(),
            country: l.country.code().to_string(),
            agent_id: l.agent.to_string(),
            lease_id: l.lease_id.to_string(),
            leased_at: l.leased_at,
            last_dial_at: l.last_dial_at,
            expires_at: l.expires_at,
            hold_until: l.hold_until,
            active_calls: l.active_calls.iter().map(|c| c.to_string()).collect(),
            fallback: l.fallback.clone(),
            version: l.version as i64,
            released_at: l.released_at,
        }
    }
}

impl TryFrom<LeaseAttrs> for Lease {
    type Error = String;
    fn try_from(l: LeaseAttrs) -> Result<Self, String> {
        let active_calls = l
            .active_calls
            .iter()
            .map(|c| c.parse().map_err(|e| format!("activeCalls: {e}")))
            .collect::<Result<_, String>>()?;
        Ok(Lease {
            number: parse("number", &l.number)?,
            country: parse("country", &l.country)?,
            agent: parse("agentId", &l.agent_id)?,
            lease_id: parse("leaseId", &l.lease_id)?,
            leased_at: l.leased_at,
            last_dial_at: l.last_dial_at,
            expires_at: l.expires_at,
            hold_until: l.hold_until,
            active_calls,
            fallback: l.fallback,
            version: l.version.max(0) as u64,
            released_at: l.released_at,
        })
    }
}

/// A pool number (`NUMBER#<e164>`/`NUMBER`): the `available` index's keys
/// beside the lease.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NumberItem {
    pool_country: String,
    #[serde(with = "epoch")]
    available_at: DateTime<Utc>,
    #[serde(flatten)]
    lease: LeaseAttrs,
}

/// The agent's copy of their lease (`AGENT#<id>`/`LEASE`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PointerItem {
    #[serde(with = "epoch")]
    available_at: DateTime<Utc>,
    #[serde(flatten)]
    lease: LeaseAttrs,
    #[serde(with = "epoch")]
    ttl: DateTime<Utc>,
}

/// A lease out of a number or pointer item; `None` for a number never leased.
pub(crate) fn decode_lease(item: &Item) -> Result<Option<Lease>, StoreError> {
    if !matches!(item.get("agentId"), Some(AttributeValue::S(_))) {
        return Ok(None);
    }
    decode_item::<LeaseAttrs, Lease>(item).map(Some)
}

pub(crate) fn encode_number(
    lease: &Lease,
    available_at: DateTime<Utc>,
) -> Result<Item, StoreError> {
    let body = NumberItem {
        pool_country: lease.country.code().to_string(),
        available_at,
        lease: lease.into(),
    };
    encode_item(number_key(&lease.number), "number", &body)
}

pub(crate) fn encode_pointer(
    lease: &Lease,
    available_at: DateTime<Utc>,
) -> Result<Item, StoreError> {
    let body = PointerItem {
        available_at,
        lease: lease.into(),
        // Kept a week past availability: a returning agent gets their number back.
        ttl: available_at + chrono::Duration::days(7),
    };
    encode_item(pointer_key(&lease.agent), "agentLease", &body)
}

/// A number just added to `country`'s pool: never leased, available `now`.
pub(crate) fn encode_new_number(
    number: &E164,
    country: Country,
    now: DateTime<Utc>,
) -> Result<Item, StoreError> {
    let body = NewNumberItem {
        number: number.to_string(),
        country: country.code().to_string(),
        pool_country: country.code().to_string(),
        available_at: now,
    };
    encode_item(number_key(number), "number", &body)
}

/// A number as the pool import writes it, before any lease.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewNumberItem {
    number: String,
    country: String,
    pool_country: String,
    #[serde(with = "epoch")]
    available_at: DateTime<Utc>,
}

/// What the pool listing and a refused removal read off a number item.
#[derive(Debug)]
pub(crate) struct PoolEntry {
    pub number: E164,
    pub pool_country: String,
    pub available_at: DateTime<Utc>,
    pub lease: Option<Lease>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PoolEntryItem {
    number: String,
    pool_country: String,
    #[serde(with = "epoch")]
    available_at: DateTime<Utc>,
}

/// A number item's pool entry.
pub(crate) fn decode_pool_entry(item: &Item) -> Result<PoolEntry, StoreError> {
    let lease = decode_lease(item)?;
    let stored: PoolEntryItem = decode_stored(item)?;
    Ok(PoolEntry {
        number: parse("number", &stored.number).map_err(|e| corrupt(item, e))?,
        pool_country: stored.pool_country,
        available_at: stored.available_at,
        lease,
    })
}
