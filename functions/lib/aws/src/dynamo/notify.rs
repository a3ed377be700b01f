//! The notifier's reads and its outcome; the template families' versions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use aws_sdk_dynamodb::types::AttributeValue;
use lifeline_app::ports::{
    Delivery, ErrorCode, NotificationOutcome, NotifyContext, NotifyItem, NotifyProgress,
    NotifyStore, StoreError, TemplateSaveError, TemplateStore,
};
use lifeline_domain::call::rfc3339;
use lifeline_domain::locale::Locale;
use lifeline_domain::notification::{TemplateFamily, TEMPLATE_NAME};
use lifeline_domain::types::{AgentId, CallId, E164};

use super::codec::{
    decode_agent, decode_call, decode_family, decode_template, decode_tenant_locale, encode_family,
    encode_tenant_locale, Reader,
};
use super::escalation::{decode as decode_escalation, key as escalation_key};
use super::keys::{call_key, item_kind, locale_template_key, n, profile_key, s, tenant_locale_key};
use super::store::{unavailable, DynamoStore, Item};
use super::write::{put, values};

/// The locale of a template family's partition key (`TEMPLATE#<name>` is
/// English's, `TEMPLATE#<name>#<locale>` another's).
fn template_locale(pk: &str) -> Option<Locale> {
    let rest = pk.strip_prefix("TEMPLATE#")?.strip_prefix(TEMPLATE_NAME)?;
    match rest.strip_prefix('#') {
        None if rest.is_empty() => Some(Locale::En),
        Some(code) => code.parse().ok(),
        None => None,
    }
}

#[async_trait]
impl NotifyStore for DynamoStore {
    async fn notify_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<NotifyContext, StoreError> {
        // Still one request: every locale's templates and the tenant's
        // default locale are read with the call, whoever the recipients are.
        let mut keys = vec![call_key(call), profile_key(agent), escalation_key()];
        keys.extend(Locale::ALL.map(|l| locale_template_key(l, "CURRENT")));
        keys.push(tenant_locale_key());
        let (items, left) = self.batch_get_partial(keys).await?;
        let mut ctx = NotifyContext::default();
        // Keys the store would not answer for (throttling): without the call
        // there is nothing to send; without the others the service decides.
        for key in &left {
            match item_kind(key) {
                Some((p, "CALL")) if p.starts_with("CALL#") => {
                    return Err(StoreError::Unavailable(
                        "the call record was not read: keys left unprocessed".into(),
                    ))
                }
                Some((_, "PROFILE")) => ctx.unavailable.push(NotifyItem::Profile),
                Some((p, "CURRENT")) if template_locale(p) == Some(Locale::En) => {
                    ctx.unavailable.push(NotifyItem::Template)
                }
                _ => {}
            }
        }
        // Item by item: one that does not decode is read as missing and
        // reported, and never fails the others.
        for item in &items {
            let unreadable = match item_kind(item) {
                Some((p, "CALL")) if p.starts_with("CALL#") => {
                    // The outcome is read even from a record that does not
                    // decode: a parked call is not parked twice.
                    let r = Reader::new(item);
                    ctx.notification = r.opt_str("notification").map(String::from);
                    ctx.named = r.opt_str("notifiedCallerId").and_then(|n| n.parse().ok());
                    ctx.corrected = r.opt_str("correctedCallerId").and_then(|n| n.parse().ok());
                    ctx.progress = decode_progress(item);
                    decode_call(item)
                        .map(|c| ctx.call = Some(c))
                        .err()
                        .map(|e| (NotifyItem::Call, e))
                }
                Some((_, "PROFILE")) => decode_agent(item)
                    .map(|a| ctx.agent = Some(a))
                    .err()
                    .map(|e| (NotifyItem::Profile, e)),
                Some((p, "CURRENT")) => match template_locale(p) {
                    Some(Locale::En) => decode_template(item)
                        .map(|t| ctx.template = Some(t))
                        .and_then(|_| decode_family(item, Locale::En))
                        .map(|f| ctx.families.push(f))
                        .err()
                        .map(|e| (NotifyItem::Template, e)),
                    // Another locale's family that does not decode: its
                    // built-in one is used (logged below).
                    Some(locale) => decode_family(item, locale)
                        .map(|f| ctx.families.push(f))
                        .err()
                        .map(|e| (NotifyItem::Template, e)),
                    None => None,
                },
                Some(("TENANT", "LOCALE")) => {
                    // Unreadable: the messages are in English (logged).
                    match decode_tenant_locale(item) {
                        Ok(l) => ctx.tenant_locale = Some(l),
                        Err(e) => {
                            tracing::error!(error = %e, "the tenant's default locale does not decode; English")
                        }
                    }
                    None
                }
                // A policy that does not decode alerts the agent's own
                // recipients only (logged): never fewer than before it.
                Some(("TENANT", "ESCALATION")) => {
                    match decode_escalation(item) {
                        Ok(p) => ctx.escalation = p,
                        Err(e) => {
                            tracing::error!(error = %e, "the escalation policy does not decode; the agent's recipients only")
                        }
                    }
                    None
                }
                _ => None,
            };
            if let Some((kind, e)) = unreadable {
                // The key names the item; the decode detail may quote a
                // value (a phone number, an address): not logged.
                let key = match &e {
                    StoreError::Corrupt { key, .. } => key.as_str(),
                    _ => "",
                };
                tracing::error!(call_id = %call, agent_id = %agent, kind = kind.as_str(), key,
                    "an item the notifier reads does not decode; read as missing");
                ctx.unreadable.push(kind);
            }
        }
        Ok(ctx)
    }

    async fn record_notification(
        &self,
        call: &CallId,
        outcome: &NotificationOutcome,
        named: Option<&E164>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let set = "SET notification = :state, notifiedAt = :at, notificationDetail = :detail";
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(call_key(call)))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":state", s(outcome.state()))
            .expression_attribute_values(":at", s(rfc3339(now)))
            .expression_attribute_values(":detail", s(outcome.detail()));
        let update = match named {
            Some(number) => update
                .update_expression(format!(
                    "{set}, notifiedCallerId = :named REMOVE notifyProgress"
                ))
                .expression_attribute_values(":named", s(number.as_str())),
            None => update.update_expression(format!("{set} REMOVE notifyProgress")),
        };
        let r = update.send().await;
        // Refused: the record expired meanwhile, nothing left to mark.
        crate::sdk::applied(r, |e| e.is_conditional_check_failed_exception())
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn record_correction(&self, call: &CallId, number: &E164) -> Result<(), StoreError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(call_key(call)))
            .update_expression("SET correctedCallerId = :n")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":n", s(number.as_str()))
            .send()
            .await;
        // Refused: the record expired meanwhile.
        crate::sdk::applied(r, |e| e.is_conditional_check_failed_exception())
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn record_progress(
        &self,
        call: &CallId,
        progress: &NotifyProgress,
    ) -> Result<(), StoreError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(call_key(call)))
            // The attempt ends here: its claim on the sending goes too.
            .update_expression("SET notifyProgress = :p REMOVE notifySendingUntil")
            // Never over a recorded outcome (nor on an expired record).
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(notification)")
            .expression_attribute_values(":p", encode_progress(progress))
            .send()
            .await;
        crate::sdk::applied(r, |e| e.is_conditional_check_failed_exception())
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn claim_sending(
        &self,
        call: &CallId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(call_key(call)))
            .update_expression("SET notifySendingUntil = :until")
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(notification) \
                 AND (attribute_not_exists(notifySendingUntil) OR notifySendingUntil < :now)",
            )
            .expression_attribute_values(":until", n(until.timestamp_millis()))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .send()
            .await;
        crate::sdk::applied(r, |e| e.is_conditional_check_failed_exception()).map_err(unavailable)
    }
}

/// `notifyProgress`: a map from recipient tag (12 hex digits, no address) to
/// `sent` or `refused:<error code>`.
pub(crate) fn encode_progress(p: &NotifyProgress) -> AttributeValue {
    AttributeValue::M(
        p.0.iter()
            .map(|(tag, d)| {
                let v = match d {
                    Delivery::Sent => "sent".to_string(),
                    Delivery::Refused(code) => format!("refused:{code}"),
                };
                (tag.clone(), s(v))
            })
            .collect(),
    )
}

/// The progress on a call record; an entry that does not read is left out
/// (that recipient is sent to again: at least once).
pub(crate) fn decode_progress(item: &Item) -> NotifyProgress {
    let Some(AttributeValue::M(m)) = item.get("notifyProgress") else {
        return NotifyProgress::default();
    };
    NotifyProgress(
        m.iter()
            .filter_map(|(tag, v)| {
                let d = match v.as_s().ok()?.as_str() {
                    "sent" => Delivery::Sent,
                    other => Delivery::Refused(ErrorCode::new(other.strip_prefix("refused:")?)),
                };
                Some((tag.clone(), d))
            })
            .collect(),
    )
}

#[async_trait]
impl TemplateStore for DynamoStore {
    async fn current_family(&self, locale: Locale) -> Result<Option<TemplateFamily>, StoreError> {
        let r = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(locale_template_key(locale, "CURRENT")))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        r.item().map(|i| decode_family(i, locale)).transpose()
    }

    async fn tenant_locale(&self) -> Result<Option<Locale>, StoreError> {
        let r = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(tenant_locale_key()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        r.item().map(decode_tenant_locale).transpose()
    }

    async fn set_tenant_locale(
        &self,
        locale: Locale,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode_tenant_locale(locale, now)?))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn push_family(
        &self,
        f: &TemplateFamily,
        now: DateTime<Utc>,
    ) -> Result<(), TemplateSaveError> {
        let version_put = put(
            &self.table,
            encode_family(f, &format!("VERSION#{:06}", f.version), now)?,
            "attribute_not_exists(pk)",
            None,
        )?;
        let current_put = if f.version <= 1 {
            put(
                &self.table,
                encode_family(f, "CURRENT", now)?,
                "attribute_not_exists(pk)",
                None,
            )?
        } else {
            put(
                &self.table,
                encode_family(f, "CURRENT", now)?,
                "version = :previous",
                values(vec![(":previous", n(f.version as i64 - 1))]),
            )?
        };
        match self.client.transact_write_items().transact_items(version_put).transact_items(current_put).send().await {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(_)) => {
                    Err(TemplateSaveError::Conflict)
                }
                _ => Err(TemplateSaveError::Store(unavailable(e))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_round_trips_without_addresses() {
        let mut p = NotifyProgress::default();
        p.0.insert("0a1b2c3d4e5f".into(), Delivery::Sent);
        p.0.insert(
            "ffeeddccbbaa".into(),
            Delivery::Refused(ErrorCode::new("MessageRejected")),
        );
        let v = encode_progress(&p);
        let item: Item = std::collections::HashMap::from([("notifyProgress".to_string(), v)]);
        assert_eq!(decode_progress(&item), p);
        let AttributeValue::M(m) = &item["notifyProgress"] else {
            panic!("a map")
        };
        assert_eq!(m["ffeeddccbbaa"].as_s().unwrap(), "refused:MessageRejected");
        // Hand-edited entries read as pending.
        let odd: Item = std::collections::HashMap::from([(
            "notifyProgress".to_string(),
            AttributeValue::M(std::collections::HashMap::from([
                ("x".to_string(), s("maybe")),
                ("y".to_string(), AttributeValue::N("1".into())),
            ])),
        )]);
        assert!(decode_progress(&odd).is_empty());
        assert!(decode_progress(&Item::new()).is_empty());
    }
}
