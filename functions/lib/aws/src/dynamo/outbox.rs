//! The outbox consumer's table side, and the outbox message: the call's
//! record in the table's own item format, so the consumer writes exactly
//! what the dial would have.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use lifeline_app::ports::{
    DialStore, LeaseWrite, OutboxStore, RecordError, SettleError, StoreError,
};
use lifeline_domain::call::EmergencyCall;

use super::keys::{call_key, s};
use super::store::{unavailable, DynamoStore};
use super::write::{lease_puts, Cancelled};

#[async_trait]
impl OutboxStore for DynamoStore {
    async fn record_call(
        &self,
        call: &EmergencyCall,
        ttl: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), RecordError> {
        // The dial's own conditional put of a record without a lease.
        self.record_emergency(call, ttl, None).await
    }

    async fn settle_presented(
        &self,
        recorded: &EmergencyCall,
        presented: &EmergencyCall,
        lease: Option<&LeaseWrite>,
    ) -> Result<bool, SettleError> {
        let update = settle_update(&self.table, recorded, presented)?;
        let Some(w) = lease else {
            let r = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(call_key(&recorded.call_id)))
                .update_expression(update.update_expression())
                .set_condition_expression(update.condition_expression().map(String::from))
                .set_expression_attribute_values(update.expression_attribute_values().cloned())
                .send()
                .await;
            return crate::sdk::applied(r, |e| e.is_conditional_check_failed_exception())
                .map_err(|e| SettleError::Store(unavailable(e)));
        };
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        items.extend(lease_puts(&self.table, w)?);
        let err = match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => return Ok(true),
            Err(e) => e,
        };
        if let Some(TransactWriteItemsError::TransactionCanceledException(tce)) =
            err.as_service_error()
        {
            let Cancelled {
                failed, conflict, ..
            } = Cancelled::of(tce.cancellation_reasons());
            if failed.contains(&0) {
                return Ok(false);
            }
            if !failed.is_empty() || conflict {
                return Err(SettleError::LeaseChanged);
            }
        }
        Err(SettleError::Store(unavailable(err)))
    }
}

/// The record made to say what was presented, only while it still names
/// `recorded`'s caller ID.
fn settle_update(
    table: &str,
    recorded: &EmergencyCall,
    presented: &EmergencyCall,
) -> Result<Update, StoreError> {
    let remove = "REMOVE leasedNumber, leaseId, callbackExpiresAt";
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(call_key(&recorded.call_id)))
        .condition_expression("callerId = :recorded")
        .expression_attribute_values(":recorded", s(recorded.caller_id.as_str()))
        .expression_attribute_values(":presented", s(presented.caller_id.as_str()))
        .expression_attribute_values(":degraded", AttributeValue::Bool(true));
    let update = match presented.reason {
        Some(reason) => update
            .update_expression(format!(
                "SET callerId = :presented, degraded = :degraded, reason = :reason {remove}"
            ))
            .expression_attribute_values(":reason", s(reason.as_str())),
        None => update.update_expression(format!(
            "SET callerId = :presented, degraded = :degraded {remove}, reason"
        )),
    };
    update
        .build()
        .map_err(|e| StoreError::Unavailable(format!("building an update: {e}")))
}

/// The outbox message for `call`: `{"v":1,"item":<the record, DynamoDB JSON>}`.
#[cfg(feature = "sqs")]
pub fn outbox_message(call: &EmergencyCall, ttl: chrono::DateTime<chrono::Utc>) -> String {
    match super::codec::encode_call(call, ttl) {
        Ok(item) => serde_json::json!({"v": 1, "item": serde_dynamo::Item::from(item)}).to_string(),
        // Cannot happen (the call record always encodes); if it did, a
        // message with no item, which its reader parks as corrupt.
        Err(e) => {
            tracing::error!(call_id = %call.call_id, error = %e, "the call record does not encode");
            serde_json::json!({"v": 1, "unencodable": e.to_string()}).to_string()
        }
    }
}

/// The call and its TTL out of an outbox message; `Corrupt` for anything
/// else (never worth a retry).
#[cfg(feature = "sqs")]
pub fn read_outbox_message(
    body: &str,
) -> Result<(EmergencyCall, chrono::DateTime<chrono::Utc>), StoreError> {
    #[derive(serde::Deserialize)]
    struct Message {
        v: u32,
        item: serde_dynamo::Item,
    }
    let corrupt = |detail: String| StoreError::Corrupt {
        key: "outbox message".into(),
        detail,
    };
    let m: Message = serde_json::from_str(body).map_err(|e| corrupt(e.to_string()))?;
    if m.v != 1 {
        return Err(corrupt(format!("unknown version {}", m.v)));
    }
    let item: super::store::Item = m.item.into();
    match super::codec::decode_call_and_ttl(&item)? {
        (call, Some(ttl)) => Ok((call, ttl)),
        (_, None) => Err(corrupt(format!(
            "missing number `{}`",
            super::keys::TTL_ATTRIBUTE
        ))),
    }
}

#[cfg(all(test, feature = "sqs"))]
mod tests {
    use super::*;
    use lifeline_domain::route::Route;

    #[test]
    fn a_message_carries_the_record_exactly() {
        let t0 = chrono::DateTime::from_timestamp(1_795_496_400, 0).unwrap();
        let call = EmergencyCall {
            call_id: "c-1".parse().unwrap(),
            agent_id: "a-42".parse().unwrap(),
            dialed: "9911".into(),
            emergency_number: "911".into(),
            test: false,
            country: Some(lifeline_domain::numbers::Country::US),
            location: Some(lifeline_domain::call::Location {
                country: Some("US".into()),
                address: Some("1 Main St".into()),
                lat: Some(47.6),
                lon: Some(-122.1),
                ..Default::default()
            }),
            location_source: Some(lifeline_domain::location::LocationSource::Call),
            caller_id: "+14255550100".parse().unwrap(),
            leased_number: None,
            lease_id: None,
            callback_expires_at: None,
            route: Route::DirectOffer,
            degraded: true,
            reason: Some(lifeline_domain::degraded::DegradedReason::Timeout),
            dialed_at: t0,
            desktop_time: Some(t0),
            ended_at: None,
        };
        let ttl = t0 + chrono::Duration::hours(30);
        let body = outbox_message(&call, ttl);
        assert!(
            body.contains(r#""callerId":{"S":"+14255550100"}"#),
            "{body}"
        );
        assert_eq!(read_outbox_message(&body).unwrap(), (call, ttl));
        for bad in [
            "",
            "{}",
            r#"{"v":2,"item":{}}"#,
            r#"{"v":1,"item":{"callId":{"S":"c-1"}}}"#,
        ] {
            assert!(
                matches!(read_outbox_message(bad), Err(StoreError::Corrupt { .. })),
                "{bad}"
            );
        }
    }
}
