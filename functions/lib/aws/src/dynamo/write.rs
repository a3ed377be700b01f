//! Conditional writes: each guarded so that no two writers can both win.

use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use std::collections::HashMap;

use lifeline_app::ports::{LeaseWrite, StoreError};

use super::codec::{encode_number, encode_pointer};
use super::keys::{epoch, n, s};
use super::store::Item;

// ---- conditional writes --------------------------------------------------------

pub(crate) fn values(
    pairs: Vec<(&str, AttributeValue)>,
) -> Option<HashMap<String, AttributeValue>> {
    Some(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

pub(crate) fn put(
    table: &str,
    item: Item,
    condition: &str,
    vals: Option<HashMap<String, AttributeValue>>,
) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition)
        .set_expression_attribute_values(vals)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .map_err(|e| StoreError::Unavailable(format!("building a put: {e}")))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// The two lease items (number, agent pointer), each guarded so that no two
/// writers can both win.
pub(crate) fn lease_puts(
    table: &str,
    write: &LeaseWrite,
) -> Result<[TransactWriteItem; 2], StoreError> {
    match write {
        LeaseWrite::Claim {
            lease,
            available_at,
            now,
            pointer_version,
        } => {
            let number = put(
                table,
                encode_number(lease, *available_at)?,
                // In this pool, and available now — or this agent's own number, past its hold.
                "attribute_exists(pk) AND poolCountry = :country AND \
                 (availableAt <= :now OR (agentId = :agent AND holdUntil <= :now))",
                values(vec![
                    (":country", s(lease.country.code())),
                    (":now", epoch(*now)),
                    (":agent", s(lease.agent.as_str())),
                ]),
            )?;
            let pointer = match pointer_version {
                None => put(
                    table,
                    encode_pointer(lease, *available_at)?,
                    "attribute_not_exists(pk)",
                    None,
                )?,
                Some(v) => put(
                    table,
                    encode_pointer(lease, *available_at)?,
                    "version = :v",
                    values(vec![(":v", n(*v as i64))]),
                )?,
            };
            Ok([number, pointer])
        }
        LeaseWrite::Update {
            lease,
            available_at,
            expected_version,
        } => {
            let cond = "agentId = :agent AND leaseId = :lid AND version = :v";
            let vals = || {
                values(vec![
                    (":agent", s(lease.agent.as_str())),
                    (":lid", s(lease.lease_id.as_str())),
                    (":v", n(*expected_version as i64)),
                ])
            };
            Ok([
                put(table, encode_number(lease, *available_at)?, cond, vals())?,
                put(table, encode_pointer(lease, *available_at)?, cond, vals())?,
            ])
        }
    }
}

/// What a cancelled transaction's reasons say: which items failed their
/// condition, whether another transaction conflicted, and each item's image
/// at the refusal (`ReturnValuesOnConditionCheckFailure`), by position.
pub(crate) struct Cancelled {
    pub failed: Vec<usize>,
    pub conflict: bool,
    pub images: Vec<Option<Item>>,
}

impl Cancelled {
    pub fn of(reasons: &[aws_sdk_dynamodb::types::CancellationReason]) -> Self {
        let mut out = Cancelled {
            failed: Vec::new(),
            conflict: false,
            images: Vec::with_capacity(reasons.len()),
        };
        for (i, r) in reasons.iter().enumerate() {
            match r.code() {
                Some("ConditionalCheckFailed") => out.failed.push(i),
                Some("TransactionConflict") => out.conflict = true,
                _ => {}
            }
            out.images.push(r.item().cloned());
        }
        out
    }

    pub fn failed(&self, item: usize) -> bool {
        self.failed.contains(&item)
    }

    pub fn image(&self, item: usize) -> Option<&Item> {
        self.images.get(item).and_then(Option::as_ref)
    }
}
