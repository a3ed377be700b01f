//! An incident's escalation steps: `INCIDENT#<callId>` / `ESCSTEP#<tier>#<round>`
//! holding the firing's claim (`claimUntil`, epoch milliseconds), the
//! recipients settled so far (`notifyProgress`, tags only) and `done`. A
//! claim is a conditional update, so of two firings at once one sends.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;
use chrono::{DateTime, Utc};

use lifeline_app::ports::{EscalationSteps, NotifyProgress, StepBegun, StoreError};
use lifeline_domain::escalation::StepKey;
use lifeline_domain::types::CallId;

use super::keys::{epoch, escalation_step_key as step_key, n, s, TTL_ATTRIBUTE};
use super::notify::{decode_progress, encode_progress};
use super::store::{unavailable, DynamoStore};

#[async_trait]
impl EscalationSteps for DynamoStore {
    async fn begin_step(
        &self,
        incident: &CallId,
        step: StepKey,
        now: DateTime<Utc>,
        claim_until: DateTime<Utc>,
        ttl: DateTime<Utc>,
    ) -> Result<StepBegun, StoreError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(step_key(incident, step)))
            .update_expression("SET claimUntil = :until, #ttl = :ttl")
            .condition_expression(
                "attribute_not_exists(done) AND \
                 (attribute_not_exists(claimUntil) OR claimUntil < :now)",
            )
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":until", n(claim_until.timestamp_millis()))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .expression_attribute_values(":ttl", epoch(ttl))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match r {
            Ok(out) => Ok(StepBegun::Claimed(
                out.attributes().map(decode_progress).unwrap_or_default(),
            )),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                // Done, or held by another firing: the item says which.
                let item = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .set_key(Some(step_key(incident, step)))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(unavailable)?;
                let done = item.item().is_some_and(|i| i.contains_key("done"));
                Ok(if done {
                    StepBegun::Done
                } else {
                    StepBegun::Busy
                })
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn end_step(
        &self,
        incident: &CallId,
        step: StepKey,
        progress: &NotifyProgress,
        done: bool,
    ) -> Result<(), StoreError> {
        let set = if done {
            "SET notifyProgress = :p, done = :done REMOVE claimUntil"
        } else {
            "SET notifyProgress = :p REMOVE claimUntil"
        };
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(step_key(incident, step)))
            .update_expression(set)
            .expression_attribute_values(":p", encode_progress(progress));
        if done {
            update = update.expression_attribute_values(":done", s("done"));
        }
        update.send().await.map_err(unavailable)?;
        Ok(())
    }
}
