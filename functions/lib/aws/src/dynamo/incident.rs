//! Incidents: an entry is a conditional put (its key written once), the
//! head a conditional update over the version read (its acknowledgement
//! untouched), the acknowledgement a conditional update of the head (the
//! first wins), one incident a query of its partition, a listing a query
//! of the sparse `incidents` index. The partition may hold other items
//! (the acknowledgement route's): only `HEAD` and `T#…` are read here.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

use lifeline_app::ports::{
    AckRecordError, AckRecorded, HeadError, IncidentFilter, IncidentRecord, IncidentStore,
    StoreError,
};
use lifeline_domain::incident::{
    acknowledge, sort_timeline, Acknowledgement, Entry, Incident, IncidentState,
};
use lifeline_domain::types::CallId;

use super::codec::{
    decode_entry, decode_head, encode_entry, encode_head, stamp, AckItem, HEAD_OPTIONAL,
};
use super::keys::{incident_head_key, incident_pk, item_kind, s, INCIDENTS_INDEX};
use super::store::{unavailable, DynamoStore, Item};

fn build_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("building a request: {e}"))
}

impl DynamoStore {
    /// Puts `item` unless its key is there; `true` if put.
    async fn put_new(&self, item: Item) -> Result<bool, StoreError> {
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match r {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn head_of(&self, call: &CallId) -> Result<Option<(Incident, u64)>, StoreError> {
        let r = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(incident_head_key(call)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        r.item.as_ref().map(decode_head).transpose()
    }

    /// Heads of one state in the index, newest first: all of them, or those
    /// opened since `since`, at most `limit`.
    async fn heads_in(
        &self,
        state: IncidentState,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<Incident>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(INCIDENTS_INDEX)
                .expression_attribute_values(":state", s(state.as_str()))
                .scan_index_forward(false);
            q = match since {
                Some(t) => q
                    .key_condition_expression("incidentState = :state AND openedAt >= :since")
                    .expression_attribute_values(":since", s(stamp(t))),
                None => q.key_condition_expression("incidentState = :state"),
            };
            let r = q
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in r.items() {
                out.push(decode_head(item)?.0);
                if out.len() >= limit {
                    return Ok(out);
                }
            }
            match r.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(out),
            }
        }
    }
}

#[async_trait]
impl IncidentStore for DynamoStore {
    async fn append_entry(
        &self,
        call: &CallId,
        entry: &Entry,
        ttl: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.put_new(encode_entry(call, entry, ttl)?).await
    }

    async fn incident(&self, call: &CallId) -> Result<IncidentRecord, StoreError> {
        let mut record = IncidentRecord::default();
        let mut start: Option<Item> = None;
        loop {
            let r = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(incident_pk(call)))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in r.items() {
                match item_kind(item) {
                    Some((_, "HEAD")) => {
                        let (head, version) = decode_head(item)?;
                        record.head = Some(head);
                        record.version = version;
                    }
                    Some((_, sk)) if sk.starts_with("T#") => {
                        record.timeline.push(decode_entry(item)?);
                    }
                    _ => {}
                }
            }
            match r.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        sort_timeline(&mut record.timeline);
        Ok(record)
    }

    async fn save_head(
        &self,
        head: &Incident,
        version: u64,
        ttl: DateTime<Utc>,
    ) -> Result<(), HeadError> {
        let item = encode_head(head, version + 1, ttl)?;
        let mut names = HashMap::new();
        let mut values: HashMap<String, AttributeValue> = HashMap::new();
        let mut sets = Vec::new();
        for (i, (name, value)) in item
            .into_iter()
            .filter(|(k, _)| k != "pk" && k != "sk")
            .enumerate()
        {
            names.insert(format!("#a{i}"), name);
            values.insert(format!(":v{i}"), value);
            sets.push(format!("#a{i} = :v{i}"));
        }
        let removes: Vec<&str> = HEAD_OPTIONAL
            .iter()
            .copied()
            .filter(|a| !names.values().any(|n| n == a))
            .collect();
        let mut expression = format!("SET {}", sets.join(", "));
        if !removes.is_empty() {
            expression += &format!(" REMOVE {}", removes.join(", "));
        }
        let condition = if version == 0 {
            "attribute_not_exists(pk)"
        } else {
            values.insert(":expected".into(), AttributeValue::N(version.to_string()));
            names.insert("#version".into(), "version".into());
            "#version = :expected"
        };
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(incident_head_key(&head.call_id)))
            .update_expression(expression)
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Err(HeadError::Conflict)
            }
            Err(e) => Err(HeadError::Store(unavailable(e))),
        }
    }

    async fn record_acknowledgement(
        &self,
        call: &CallId,
        ack: &Acknowledgement,
        ttl: DateTime<Utc>,
    ) -> Result<AckRecorded, AckRecordError> {
        let value: aws_sdk_dynamodb::types::AttributeValue =
            serde_dynamo::to_attribute_value(AckItem::of(ack)).map_err(build_err)?;
        // Twice at most: a head opened between the refused update and the
        // read has no acknowledgement yet, and this one may be its first.
        let mut attempts = 0;
        let recorded = loop {
            attempts += 1;
            let r = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(incident_head_key(call)))
                .update_expression("SET acknowledged = :ack")
                .condition_expression("attribute_exists(pk) AND attribute_not_exists(acknowledged)")
                .expression_attribute_values(":ack", value.clone())
                .send()
                .await;
            match r {
                Ok(_) => {
                    break AckRecorded {
                        first: true,
                        previous: None,
                    }
                }
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                {
                    // Not the first, or no incident: the head says which.
                    let Some((head, _)) = self.head_of(call).await? else {
                        return Err(AckRecordError::NoIncident(call.clone()));
                    };
                    if head.acknowledged.is_none() && attempts < 2 {
                        continue;
                    }
                    let decision = acknowledge(head.acknowledged.as_ref(), ack);
                    break AckRecorded {
                        first: false,
                        previous: decision.previous,
                    };
                }
                Err(e) => return Err(AckRecordError::Store(unavailable(e))),
            }
        };
        // Every acknowledgement is in the timeline, first or not.
        self.put_new(encode_entry(call, &ack.entry(), ttl)?).await?;
        Ok(recorded)
    }

    async fn incidents(&self, filter: IncidentFilter) -> Result<Vec<Incident>, StoreError> {
        match filter {
            IncidentFilter::Open => self.heads_in(IncidentState::Open, None, usize::MAX).await,
            IncidentFilter::Recent { since, limit } => {
                let mut all = self.heads_in(IncidentState::Open, None, limit).await?;
                all.extend(
                    self.heads_in(IncidentState::Closed, Some(since), limit)
                        .await?,
                );
                all.sort_by_key(|h| std::cmp::Reverse(h.opened_at));
                all.truncate(limit);
                Ok(all)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::keys::epoch;
    use lifeline_domain::incident::{EntryDetail, EntryKind};

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_496_400, 0).unwrap() + chrono::Duration::minutes(min)
    }

    #[test]
    fn a_head_round_trips_without_its_acknowledgement() {
        let call: CallId = "c-1".parse().unwrap();
        let mut dialed = Entry::new(
            t(0) + chrono::Duration::nanoseconds(123_456_789),
            EntryKind::Dialed,
            "call",
        );
        dialed.detail = EntryDetail {
            caller_id: Some("+14255550100".parse().unwrap()),
            test: true,
            lease_id: Some("l-1".parse().unwrap()),
            ..EntryDetail::default()
        };
        let head =
            Incident::fold(&call, &"a-42".parse().unwrap(), None, &[dialed.clone()]).unwrap();
        let item = encode_head(&head, 3, t(60)).unwrap();
        assert_eq!(item.get("incidentState"), Some(&s("open")));
        assert_eq!(item.get("ttl"), Some(&epoch(t(60))));
        assert!(!item.contains_key("acknowledged"));
        assert_eq!(decode_head(&item).unwrap(), (head, 3));
        let entry = encode_entry(&call, &dialed, t(60)).unwrap();
        assert_eq!(decode_entry(&entry).unwrap(), dialed);
        assert!(item_kind(&entry).is_some_and(|(_, sk)| sk.starts_with("T#2026-")));
    }

    /// No empty map is stored: DynamoDB Local's stream drops an empty map's
    /// type, and the stream's reader would stop at it.
    #[test]
    fn an_entry_without_details_has_no_detail_map() {
        let call: CallId = "c-1".parse().unwrap();
        let ended = Entry::new(t(5), EntryKind::Ended, "call");
        let item = encode_entry(&call, &ended, t(60)).unwrap();
        assert!(!item.contains_key("detail"), "{item:?}");
        assert_eq!(decode_entry(&item).unwrap(), ended);
    }
}
