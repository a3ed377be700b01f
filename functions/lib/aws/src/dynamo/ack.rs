//! An incident's recipients and acknowledgements: items under
//! `INCIDENT#<callId>` — `ALERTED#<recipient>` (written by the alerting),
//! `ACK#<recipient>#<at>` (one per acknowledgement) and `ACKED` (the first,
//! a conditional put: of two at once, one is first). They go with the call
//! record (its TTL).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use lifeline_app::ports::{AckContext, AckRecordError, AckStore, IncidentStore, StoreError};
use lifeline_domain::ack::{Acknowledgement, AlertedRecipient, RecipientKey};
use lifeline_domain::call::rfc3339;
use lifeline_domain::incident;
use lifeline_domain::recipient::Channel;
use lifeline_domain::types::CallId;

use super::codec::{decode_call, Reader};
use super::keys::{call_key, epoch, incident_pk, s, TTL_ATTRIBUTE};
use super::store::{unavailable, DynamoStore, Item};

// Leniently: an item that does not read is left out (logged nowhere: it
// holds an address), never a failed page.
fn alerted_of(item: &Item) -> Option<AlertedRecipient> {
    let r = Reader::new(item);
    Some(AlertedRecipient {
        key: RecipientKey::parse(r.opt_str("recipient")?)?,
        channel: Channel::from_tag(r.opt_str("channel")?)?,
        address: r.opt_str("address")?.to_string(),
        locale: r.opt_str("locale").and_then(|l| l.parse().ok()),
    })
}

fn ack_of(item: &Item) -> Option<Acknowledgement> {
    let r = Reader::new(item);
    Some(Acknowledgement {
        recipient: RecipientKey::parse(r.opt_str("recipient")?)?,
        by: r.opt_str("by")?.to_string(),
        channel: Channel::from_tag(r.opt_str("channel")?)?,
        at: r.time("at").ok().flatten()?,
    })
}

#[async_trait]
impl AckStore for DynamoStore {
    async fn ack_context(&self, incident: &CallId) -> Result<AckContext, StoreError> {
        let calls = self.batch_get(vec![call_key(incident)]).await?;
        let mut ctx = AckContext::default();
        if let Some(item) = calls.first() {
            ctx.call = Some(decode_call(item)?);
            ctx.keep_until = Reader::new(item).epoch(TTL_ATTRIBUTE).ok();
        }
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(incident_pk(incident)))
                .set_exclusive_start_key(start.take())
                .consistent_read(true)
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items() {
                match Reader::new(item).opt_str("sk") {
                    Some(sk) if sk.starts_with("ALERTED#") => ctx.alerted.extend(alerted_of(item)),
                    Some(sk) if sk.starts_with("ACK#") => ctx.acks.extend(ack_of(item)),
                    _ => {}
                }
            }
            match page.last_evaluated_key() {
                Some(next) => start = Some(next.clone()),
                None => break,
            }
        }
        Ok(ctx)
    }

    async fn record_alerted(
        &self,
        incident: &CallId,
        recipients: &[AlertedRecipient],
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // One item per recipient, keyed by its digest: a repeat rewrites the
        // same. Written together: the alert waits for one round trip.
        let puts = recipients.iter().map(|r| {
            let mut item = HashMap::from([
                ("pk".to_string(), s(incident_pk(incident))),
                ("sk".to_string(), s(format!("ALERTED#{}", r.key))),
                ("recipient".to_string(), s(r.key.as_str())),
                ("channel".to_string(), s(r.channel.as_str())),
                ("address".to_string(), s(r.address.as_str())),
                (TTL_ATTRIBUTE.to_string(), epoch(keep_until)),
            ]);
            if let Some(locale) = r.locale {
                item.insert("locale".to_string(), s(locale.to_string()));
            }
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
        });
        for result in futures_util::future::join_all(puts).await {
            result.map_err(unavailable)?;
        }
        Ok(())
    }

    async fn record_ack(
        &self,
        incident: &CallId,
        ack: &Acknowledgement,
        keep_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let item = |sk: String| -> Item {
            HashMap::from([
                ("pk".to_string(), s(incident_pk(incident))),
                ("sk".to_string(), s(sk)),
                ("recipient".to_string(), s(ack.recipient.as_str())),
                ("by".to_string(), s(ack.by.as_str())),
                ("channel".to_string(), s(ack.channel.as_str())),
                ("at".to_string(), s(rfc3339(ack.at))),
                (TTL_ATTRIBUTE.to_string(), epoch(keep_until)),
            ])
        };
        let sk = format!("ACK#{}#{}", ack.recipient, rfc3339(ack.at));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item(sk)))
            .send()
            .await
            .map_err(unavailable)?;
        // The incident shows it too (its head and timeline, so
        // `lifeline.incident.acknowledged` follows) once incident-log has
        // opened it; which one was first is the `ACKED` marker's to say.
        let on_incident = incident::Acknowledgement {
            by: ack.on_record(),
            at: ack.at,
            channel: ack.channel.as_str().to_string(),
        };
        match IncidentStore::record_acknowledgement(self, incident, &on_incident, keep_until).await
        {
            Ok(_) | Err(AckRecordError::NoIncident(_)) => {}
            Err(AckRecordError::Store(e)) => return Err(e),
        }
        let first = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item("ACKED".into())))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match first {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}
