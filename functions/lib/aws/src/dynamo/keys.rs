//! The table's key layout: one item per thing, keyed `pk`/`sk` (the table
//! in `mod.rs`), and the attribute constructors every item uses.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

use lifeline_app::ports::PoolCursor;
use lifeline_domain::locale::Locale;
use lifeline_domain::notification::TEMPLATE_NAME;
use lifeline_domain::numbers::Country;
use lifeline_domain::types::{AgentId, CallId, E164};

use super::store::Item;

pub const AVAILABLE_INDEX: &str = "available";
pub const TTL_ATTRIBUTE: &str = "ttl";
/// The sparse index of incident heads: `incidentState` (`open`, `closed`)
/// and `openedAt` (RFC 3339, fixed width); only heads carry them.
pub const INCIDENTS_INDEX: &str = "incidents";

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
pub(crate) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
/// Times the conditions compare (and TTL) are epoch seconds.
pub(crate) fn epoch(t: DateTime<Utc>) -> AttributeValue {
    n(t.timestamp())
}

fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}
pub(crate) fn call_key(id: &CallId) -> Item {
    key(format!("CALL#{id}"), "CALL")
}
/// An end kept for a call not recorded yet (see `kept_end.rs`).
pub(crate) fn kept_end_key(call: &CallId, agent: &AgentId) -> Item {
    key(format!("ENDKEPT#{call}"), &format!("AGENT#{agent}"))
}
/// The location an agent registered.
pub(crate) fn registered_location_key(id: &AgentId) -> Item {
    key(format!("AGENT#{id}"), "LOCATION")
}

pub(crate) fn profile_key(id: &AgentId) -> Item {
    key(format!("AGENT#{id}"), "PROFILE")
}
pub(crate) fn pointer_key(id: &AgentId) -> Item {
    key(format!("AGENT#{id}"), "LEASE")
}
pub(crate) fn number_key(number: &E164) -> Item {
    key(format!("NUMBER#{number}"), "NUMBER")
}
pub(crate) fn presence_key(id: &AgentId) -> Item {
    key(format!("AGENT#{id}"), "PRESENCE")
}
/// The status the platform presence sync replaced (see `platform.rs`).
pub(crate) fn platform_key(id: &AgentId) -> Item {
    key(format!("AGENT#{id}"), "PLATFORMSTATUS")
}
pub(crate) fn template_key(sk: &str) -> Item {
    key(format!("TEMPLATE#{TEMPLATE_NAME}"), sk)
}
/// A locale's templates: English's key is the one it always had.
pub(crate) fn locale_template_key(locale: Locale, sk: &str) -> Item {
    match locale {
        Locale::En => template_key(sk),
        other => key(format!("TEMPLATE#{TEMPLATE_NAME}#{other}"), sk),
    }
}
/// An incident's items: its head and its timeline's entries.
pub(crate) fn incident_pk(call: &CallId) -> String {
    format!("INCIDENT#{call}")
}
pub(crate) fn incident_head_key(call: &CallId) -> Item {
    key(incident_pk(call), "HEAD")
}
/// An incident's escalation step (see `escalation_steps.rs`).
pub(crate) fn escalation_step_key(
    call: &CallId,
    step: lifeline_domain::escalation::StepKey,
) -> Item {
    key(incident_pk(call), &step.sort_key())
}
pub(crate) fn incident_entry_key(call: &CallId, entry: &lifeline_domain::incident::Entry) -> Item {
    key(incident_pk(call), &entry.sort_key())
}
pub(crate) fn tenant_key() -> Item {
    key("TENANT".into(), "SETTINGS")
}
/// The tenant's default message locale: an item of its own, so that the
/// dial's read of the settings is unchanged.
pub(crate) fn tenant_locale_key() -> Item {
    key("TENANT".into(), "LOCALE")
}

/// The `available` index's key of the number at `cursor`: where the next
/// page of the listing starts.
pub(crate) fn available_key(country: Country, cursor: &PoolCursor) -> Item {
    let mut item = number_key(&cursor.number);
    item.insert("poolCountry".into(), s(country.code()));
    item.insert("availableAt".into(), epoch(cursor.available_at));
    item
}

/// The cursor a listing's last evaluated key names.
pub(crate) fn available_cursor(key: &Item) -> Result<PoolCursor, String> {
    let number = match key.get("pk") {
        Some(AttributeValue::S(pk)) => pk.strip_prefix("NUMBER#").unwrap_or(pk),
        _ => return Err("no pk".into()),
    };
    let seconds = match key.get("availableAt") {
        Some(AttributeValue::N(n)) => n.parse::<i64>().map_err(|e| e.to_string())?,
        _ => return Err("no availableAt".into()),
    };
    Ok(PoolCursor {
        number: number
            .parse()
            .map_err(|e: lifeline_domain::types::Invalid| e.0)?,
        available_at: DateTime::from_timestamp(seconds, 0).ok_or("availableAt out of range")?,
    })
}

/// An item's `pk` and `sk`: what kind of item a batch read returned.
pub(crate) fn item_kind(item: &Item) -> Option<(&str, &str)> {
    match (item.get("pk"), item.get("sk")) {
        (Some(AttributeValue::S(p)), Some(AttributeValue::S(s))) => Some((p.as_str(), s.as_str())),
        _ => None,
    }
}
