//! The table's stream images, decoded by the same codec as the table's
//! items (an image is an item in the stream's JSON form).

use chrono::{DateTime, Utc};

use lifeline_app::ports::StoreError;
use lifeline_domain::call::CallChange;
use lifeline_domain::lease::Lease;

use super::codec::{decode_call_head, decode_lease, encode_number, is_call};
use super::store::Item;

/// A number item carrying `lease`, as a stream image (for tests and samples).
pub fn number_image(lease: &Lease, available_at: DateTime<Utc>) -> serde_dynamo::Item {
    encode_number(lease, available_at).into()
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
    if !is_call(&item) {
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
