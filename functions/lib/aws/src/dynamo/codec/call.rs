//! Call records and registered locations (both hold a location map).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use lifeline_app::ports::StoreError;
use lifeline_domain::call::{EmergencyCall, Location};
use lifeline_domain::location::{
    Civic, CivicKey, LocationMethod, LocationSource, RegisteredLocation,
};
use lifeline_domain::types::{AgentId, CallId};

use super::time::{epoch_opt, rfc3339, rfc3339_opt};
#[cfg(feature = "sqs")]
use super::{corrupt, decode_stored};
use super::{decode_item, encode_item, parse, parse_opt, Item};
use crate::dynamo::keys::{call_key, registered_location_key};

/// A call record (`CALL#<id>`/`CALL`). The notifier's attributes
/// (`notification`, `notifyProgress`, …) are its own updates, not read here.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CallItem {
    call_id: String,
    agent_id: String,
    dialed: String,
    emergency_number: String,
    #[serde(default)]
    test: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    location: Option<LocationItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    location_source: Option<String>,
    caller_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    leased_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rfc3339_opt")]
    callback_expires_at: Option<DateTime<Utc>>,
    route: String,
    #[serde(default)]
    degraded: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(with = "rfc3339")]
    dialed_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rfc3339_opt")]
    desktop_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rfc3339_opt")]
    ended_at: Option<DateTime<Utc>>,
    /// When DynamoDB deletes the record; not part of the call.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "epoch_opt")]
    ttl: Option<DateTime<Utc>>,
}

/// A location as a map: its fields, `civic` a map of RFC 5139 keys.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LocationItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    civic: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lon: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    radius_m: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rfc3339_opt")]
    determined_at: Option<DateTime<Utc>>,
}

impl From<&Location> for LocationItem {
    fn from(l: &Location) -> Self {
        LocationItem {
            country: l.country.clone(),
            address: l.address.clone(),
            civic: l
                .civic
                .iter()
                .map(|(k, v)| (k.code().to_string(), v.to_string()))
                .collect(),
            lat: l.lat,
            lon: l.lon,
            radius_m: l.radius_m,
            method: l.method.map(|m| m.as_str().to_string()),
            determined_at: l.determined_at,
        }
    }
}

/// An unknown civic key or method is corrupt.
impl TryFrom<LocationItem> for Location {
    type Error = String;
    fn try_from(l: LocationItem) -> Result<Self, String> {
        let mut civic = Civic::default();
        for (k, v) in l.civic {
            civic.set(k.parse::<CivicKey>().map_err(|e| e.to_string())?, v);
        }
        let method = l
            .method
            .map(|v| {
                v.parse::<LocationMethod>()
                    .map_err(|_| format!("unknown location method `{v}`"))
            })
            .transpose()?;
        Ok(Location {
            country: l.country,
            address: l.address,
            civic,
            lat: l.lat,
            lon: l.lon,
            radius_m: l.radius_m,
            method,
            determined_at: l.determined_at,
        })
    }
}

impl CallItem {
    fn new(c: &EmergencyCall, ttl: DateTime<Utc>) -> Self {
        CallItem {
            call_id: c.call_id.to_string(),
            agent_id: c.agent_id.to_string(),
            dialed: c.dialed.clone(),
            emergency_number: c.emergency_number.clone(),
            test: c.test,
            country: c.country.map(|v| v.code().to_string()),
            location: c.location.as_ref().map(LocationItem::from),
            location_source: c.location_source.map(|v| v.as_str().to_string()),
            caller_id: c.caller_id.to_string(),
            leased_number: c.leased_number.as_ref().map(|v| v.to_string()),
            lease_id: c.lease_id.as_ref().map(|v| v.to_string()),
            callback_expires_at: c.callback_expires_at,
            route: c.route.as_str().to_string(),
            degraded: c.degraded,
            reason: c.reason.map(|v| v.as_str().to_string()),
            dialed_at: c.dialed_at,
            desktop_time: c.desktop_time,
            ended_at: c.ended_at,
            ttl: Some(ttl),
        }
    }
}

impl TryFrom<CallItem> for EmergencyCall {
    type Error = String;
    fn try_from(c: CallItem) -> Result<Self, String> {
        let location = c.location.map(Location::try_from).transpose()?;
        Ok(EmergencyCall {
            call_id: parse("callId", &c.call_id)?,
            agent_id: parse("agentId", &c.agent_id)?,
            dialed: c.dialed,
            emergency_number: c.emergency_number,
            test: c.test,
            country: parse_opt("country", c.country.as_deref())?,
            location_source: c
                .location_source
                .as_deref()
                .and_then(LocationSource::parse)
                // Records from before sources were kept: a location was the dial's.
                .or(location.as_ref().map(|_| LocationSource::Call)),
            location,
            caller_id: parse("callerId", &c.caller_id)?,
            leased_number: parse_opt("leasedNumber", c.leased_number.as_deref())?,
            lease_id: parse_opt("leaseId", c.lease_id.as_deref())?,
            callback_expires_at: c.callback_expires_at,
            route: parse("route", &c.route)?,
            degraded: c.degraded,
            reason: parse_opt("reason", c.reason.as_deref())?,
            dialed_at: c.dialed_at,
            desktop_time: c.desktop_time,
            ended_at: c.ended_at,
        })
    }
}

pub(crate) fn encode_call(call: &EmergencyCall, ttl: DateTime<Utc>) -> Result<Item, StoreError> {
    encode_item(call_key(&call.call_id), "call", &CallItem::new(call, ttl))
}

pub(crate) fn decode_call(item: &Item) -> Result<EmergencyCall, StoreError> {
    decode_item::<CallItem, _>(item)
}

/// The call on a record and when DynamoDB deletes it (an outbox message
/// carries both).
#[cfg(feature = "sqs")]
pub(crate) fn decode_call_and_ttl(
    item: &Item,
) -> Result<(EmergencyCall, Option<DateTime<Utc>>), StoreError> {
    let stored: CallItem = decode_stored(item)?;
    let ttl = stored.ttl;
    let call = EmergencyCall::try_from(stored).map_err(|detail| corrupt(item, detail))?;
    Ok((call, ttl))
}

/// Who made a call and when it started and ended: the part of a call item
/// the stream's consumers need (it decodes even when the rest does not).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CallHead {
    pub call_id: CallId,
    pub agent_id: AgentId,
    pub dialed_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallHeadItem {
    call_id: String,
    agent_id: String,
    #[serde(with = "rfc3339")]
    dialed_at: DateTime<Utc>,
    #[serde(default, with = "rfc3339_opt")]
    ended_at: Option<DateTime<Utc>>,
}

impl TryFrom<CallHeadItem> for CallHead {
    type Error = String;
    fn try_from(h: CallHeadItem) -> Result<Self, String> {
        Ok(CallHead {
            call_id: parse("callId", &h.call_id)?,
            agent_id: parse("agentId", &h.agent_id)?,
            dialed_at: h.dialed_at,
            ended_at: h.ended_at,
        })
    }
}

pub(crate) fn decode_call_head(item: &Item) -> Result<CallHead, StoreError> {
    decode_item::<CallHeadItem, _>(item)
}

/// An agent's registered location (`AGENT#<id>`/`LOCATION`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RegisteredLocationItem {
    /// Written for people reading the table; the key names the agent.
    #[serde(default)]
    agent_id: String,
    location: LocationItem,
    #[serde(with = "rfc3339")]
    registered_at: DateTime<Utc>,
    /// Epoch seconds; absent on items written before it was kept (then the
    /// registration time stands in).
    #[serde(default)]
    signed_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "epoch_opt")]
    ttl: Option<DateTime<Utc>>,
}

impl TryFrom<RegisteredLocationItem> for RegisteredLocation {
    type Error = String;
    fn try_from(r: RegisteredLocationItem) -> Result<Self, String> {
        Ok(RegisteredLocation {
            location: r.location.try_into()?,
            signed_at: r.signed_at.unwrap_or(r.registered_at.timestamp()),
            registered_at: r.registered_at,
        })
    }
}

/// An agent's registered location, kept `ttl` (beyond its freshness, so a
/// readiness report can say it went stale).
pub(crate) fn encode_registered_location(
    agent: &AgentId,
    r: &RegisteredLocation,
    ttl: DateTime<Utc>,
) -> Result<Item, StoreError> {
    let body = RegisteredLocationItem {
        agent_id: agent.to_string(),
        location: LocationItem::from(&r.location),
        registered_at: r.registered_at,
        signed_at: Some(r.signed_at),
        ttl: Some(ttl),
    };
    encode_item(registered_location_key(agent), "registeredLocation", &body)
}

pub(crate) fn decode_registered_location(item: &Item) -> Result<RegisteredLocation, StoreError> {
    decode_item::<RegisteredLocationItem, _>(item)
}
