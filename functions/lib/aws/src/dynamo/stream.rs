//! The table's stream images, decoded by the same codec as the table's
//! items (an image is an item in the stream's JSON form).

use chrono::{DateTime, Utc};

use aws_sdk_dynamodb::types::AttributeValue;
use lifeline_app::ports::StoreError;
use lifeline_domain::call::CallChange;
use lifeline_domain::events::{CallFacts, ItemChange};
use lifeline_domain::lease::Lease;

use super::codec::{
    decode_call_head, decode_head, decode_lease, decode_presence_facts, encode_number, Reader,
    HEAD_TYPE,
};
use super::store::Item;

/// A number item carrying `lease`, as a stream image (for tests and samples).
pub fn number_image(
    lease: &Lease,
    available_at: DateTime<Utc>,
) -> Result<serde_dynamo::Item, StoreError> {
    encode_number(lease, available_at).map(Into::into)
}

/// The lease on a number item as a stream image carries it.
pub fn lease_from_image(image: serde_dynamo::Item) -> Result<Option<Lease>, StoreError> {
    let item: Item = image.into();
    decode_lease(&item)
}

/// The call change a record's new image says: a call's start (`INSERT`) or
/// its end (an image with `endedAt`); `Ok(None)` for anything else (other
/// items, a call's other changes, TTL deletions).
pub fn call_change(
    event_name: &str,
    new_image: &serde_dynamo::Item,
) -> Result<Option<CallChange>, StoreError> {
    if new_image.is_empty() || !matches!(event_name, "INSERT" | "MODIFY") {
        return Ok(None);
    }
    let item: Item = new_image.clone().into();
    if item_type(&item) != Some("call") {
        return Ok(None);
    }
    let head = decode_call_head(&item)?;
    let (agent, call) = (head.agent_id, head.call_id);
    Ok(match (event_name, head.ended_at) {
        (_, Some(at)) => Some(CallChange::Ended { agent, call, at }),
        ("INSERT", None) => Some(CallChange::Started {
            agent,
            call,
            at: head.dialed_at,
        }),
        _ => None,
    })
}

/// The change a stream record says, for the domain events: a call record, a
/// pool number's lease, an agent's presence or an incident's head, before
/// and after. `Ok(None)`
/// for items no event describes. An image that does not decode is an error
/// (the record is kept, with its payload, by the stream's reader).
pub fn item_change(
    old_image: &serde_dynamo::Item,
    new_image: &serde_dynamo::Item,
) -> Result<Option<ItemChange>, StoreError> {
    let item = |image: &serde_dynamo::Item| -> Option<Item> {
        (!image.is_empty()).then(|| image.clone().into())
    };
    let (old, new) = (item(old_image), item(new_image));
    let kind = new.as_ref().or(old.as_ref()).and_then(item_type);
    Ok(match kind {
        Some("call") => Some(ItemChange::Call {
            before: old.as_ref().map(call_facts).transpose()?,
            after: new.as_ref().map(call_facts).transpose()?,
        }),
        Some("number") => {
            let image = new.as_ref().or(old.as_ref()).ok_or_else(no_image)?;
            let r = Reader::new(image);
            let number = match r.opt_parse("number")? {
                Some(n) => n,
                None => number_of_key(image).ok_or_else(|| r.corrupt("no number"))?,
            };
            let country = match r.opt_parse("poolCountry")? {
                Some(c) => c,
                None => r.parse("country")?,
            };
            let before = old.as_ref().map(decode_lease).transpose()?.flatten();
            let after = new.as_ref().map(decode_lease).transpose()?.flatten();
            // callback-router's mark alone (the lease as it was): a callback.
            let marked = |i: &Option<Item>| {
                i.as_ref()
                    .and_then(|i| Reader::new(i).time(CALLBACK_MARK).ok().flatten())
            };
            match (marked(&new), after) {
                (Some(at), Some(lease))
                    if marked(&old) != Some(at) && before.as_ref() == Some(&lease) =>
                {
                    Some(ItemChange::Callback {
                        lease: Box::new(lease),
                        at,
                    })
                }
                (_, after) => Some(ItemChange::Number {
                    number,
                    country,
                    before,
                    after,
                }),
            }
        }
        Some("presence") => Some(ItemChange::Presence {
            before: old.as_ref().map(decode_presence_facts).transpose()?,
            after: new.as_ref().map(decode_presence_facts).transpose()?,
        }),
        Some(HEAD_TYPE) => {
            let head = |item: &Item| decode_head(item).map(|(h, _)| Box::new(h));
            Some(ItemChange::Incident {
                before: old.as_ref().map(head).transpose()?,
                after: new.as_ref().map(head).transpose()?,
            })
        }
        _ => None,
    })
}

/// The number item's attribute callback-router marks (RFC 3339).
pub const CALLBACK_MARK: &str = "lastCallbackAt";

/// The item's `type`: what kind of item an image is.
fn item_type(item: &Item) -> Option<&str> {
    match item.get("type") {
        Some(AttributeValue::S(t)) => Some(t.as_str()),
        _ => None,
    }
}

fn no_image() -> StoreError {
    StoreError::Corrupt {
        key: "<no key>".into(),
        detail: "a stream record with neither image".into(),
    }
}

fn number_of_key(item: &Item) -> Option<lifeline_domain::types::E164> {
    match item.get("pk") {
        Some(AttributeValue::S(pk)) => pk.strip_prefix("NUMBER#")?.parse().ok(),
        _ => None,
    }
}

fn call_facts(item: &Item) -> Result<CallFacts, StoreError> {
    let head = decode_call_head(item)?;
    let r = Reader::new(item);
    let notification = match r.opt_str("notification") {
        Some(state) => Some((
            state.to_string(),
            r.opt_str("notificationDetail")
                .unwrap_or_default()
                .to_string(),
            r.time("notifiedAt")?.unwrap_or(head.dialed_at),
        )),
        None => None,
    };
    Ok(CallFacts {
        call_id: head.call_id,
        agent_id: head.agent_id,
        dialed_at: head.dialed_at,
        ended_at: head.ended_at,
        caller_id: r.opt_str("callerId").and_then(|n| n.parse().ok()),
        lease_id: r.opt_str("leaseId").and_then(|l| l.parse().ok()),
        notification,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A golden call item (`codec/golden/<name>.json`) as a stream image.
    fn image(name: &str) -> serde_dynamo::Item {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("src/dynamo/codec/golden/{name}.json"));
        let text = std::fs::read_to_string(&path).expect("golden item");
        serde_json::from_str(&text).expect("DynamoDB JSON")
    }

    fn lease_of(name: &str) -> Option<String> {
        match item_change(&serde_dynamo::Item::from(Item::new()), &image(name)) {
            Ok(Some(ItemChange::Call { after: Some(c), .. })) => c.lease_id.map(|l| l.to_string()),
            other => panic!("{name}: {other:?}"),
        }
    }

    /// The call's events say whether it holds a lease: callback-lease
    /// schedules a presence check for a call without one.
    #[test]
    fn a_call_image_names_its_lease_and_a_degraded_one_none() {
        assert_eq!(lease_of("call_notified").as_deref(), Some("l-1"));
        assert_eq!(lease_of("call_degraded"), None);
    }

    /// callback-router's mark on a leased number is a callback, not a
    /// lease change; the same mark again (a redelivered image) is not new,
    /// and a lease write that drops it is the lease's change.
    #[test]
    fn the_callback_mark_alone_is_a_callback() {
        let leased = image("number_leased");
        let mut marked = leased.clone();
        let at = "2026-11-24T05:12:00Z";
        let mark: serde_dynamo::Item =
            serde_json::from_value(serde_json::json!({ CALLBACK_MARK: { "S": at } })).unwrap();
        for (k, v) in std::collections::HashMap::<String, serde_dynamo::AttributeValue>::from(mark)
        {
            marked.insert(k, v);
        }
        match item_change(&leased, &marked) {
            Ok(Some(ItemChange::Callback { lease, at: when })) => {
                assert_eq!(when.to_rfc3339(), "2026-11-24T05:12:00+00:00");
                assert_eq!(lease.agent.as_str(), "a-42");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            item_change(&marked, &marked),
            Ok(Some(ItemChange::Number { .. }))
        ));
        assert!(matches!(
            item_change(&marked, &leased),
            Ok(Some(ItemChange::Number { .. }))
        ));
    }
}
