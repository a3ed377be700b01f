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
                encode_number(lease, *available_at),
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
                    encode_pointer(lease, *available_at),
                    "attribute_not_exists(pk)",
                    None,
                )?,
                Some(v) => put(
                    table,
                    encode_pointer(lease, *available_at),
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
                put(table, encode_number(lease, *available_at), cond, vals())?,
                put(table, encode_pointer(lease, *available_at), cond, vals())?,
            ])
        }
    }
}

/// Which items of a cancelled transaction failed their condition.
pub(crate) fn cancellation(
    reasons: &[aws_sdk_dynamodb::types::CancellationReason],
) -> (Vec<usize>, bool, Option<Item>) {
    let mut failed = Vec::new();
    let mut conflict = false;
    let mut first_item = None;
    for (i, r) in reasons.iter().enumerate() {
        match r.code() {
            Some("ConditionalCheckFailed") => {
                if i == 0 {
                    first_item = r.item().cloned();
                }
                failed.push(i);
            }
            Some("TransactionConflict") => conflict = true,
            _ => {}
        }
    }
    (failed, conflict, first_item)
}
