//! The admin CLI's reads and writes: agents, pools, tenant, readiness.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

use lifeline_app::ports::{AddedNumbers, AdminStore, PoolNumber, RemoveError, StoreError};
use lifeline_domain::call::AgentProfile;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::TenantSettings;
use lifeline_domain::types::{AgentId, E164};

use super::codec::{
    decode_agent, decode_lease, decode_pool_entry, decode_tenant, encode_agent, encode_new_number,
    Reader,
};
use super::keys::{epoch, number_key, profile_key, s, tenant_key, AVAILABLE_INDEX};
use super::store::{unavailable, DynamoStore, Item};

/// Why the conditional delete of `number` was refused, from the item as its
/// condition saw it (`ALL_OLD`): the same rule as [`RemoveError::refusal`].
fn removal_refused(number: &E164, old: Option<&Item>, now: DateTime<Utc>) -> RemoveError {
    let Some(item) = old else {
        return RemoveError::Unknown(number.to_string());
    };
    let refusal = decode_lease(item).and_then(|lease| {
        let available_at = Reader::new(item).epoch("availableAt")?;
        Ok(RemoveError::refusal(
            number,
            lease.as_ref(),
            available_at,
            now,
        ))
    });
    match refusal {
        Ok(Some(refused)) => refused,
        // The condition failed, yet the item reads as removable: it does not
        // say what it is (a hand edit); nothing was removed.
        Ok(None) => RemoveError::Store(
            Reader::new(item)
                .corrupt("refused by the removal condition, but neither leased nor in quarantine"),
        ),
        Err(e) => RemoveError::Store(e),
    }
}

/// The table as DescribeTable shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableState {
    pub exists: bool,
    pub stream: Option<String>,
}

impl DynamoStore {
    /// The table's existence and stream view type (readiness).
    pub async fn table_state(&self) -> Result<TableState, StoreError> {
        match self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
        {
            Ok(d) => {
                let stream = d
                    .table()
                    .and_then(|t| t.stream_specification())
                    .filter(|s| s.stream_enabled())
                    .and_then(|s| s.stream_view_type())
                    .map(|v| v.as_str().to_string());
                Ok(TableState {
                    exists: true,
                    stream,
                })
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|x| x.is_resource_not_found_exception()) =>
            {
                Ok(TableState {
                    exists: false,
                    stream: None,
                })
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Every agent profile. A filtered scan: an admin's occasional read, not a
    /// request path (paginated; profiles only are decoded).
    pub async fn list_agents(&self) -> Result<Vec<AgentProfile>, StoreError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("#t = :agent")
                .expression_attribute_names("#t", "type")
                .expression_attribute_values(":agent", s("agent"))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items() {
                out.push(decode_agent(item)?);
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }
}

#[async_trait]
impl AdminStore for DynamoStore {
    async fn put_agent(&self, agent: &AgentProfile) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode_agent(agent)?))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn agents(&self) -> Result<Vec<AgentProfile>, StoreError> {
        self.list_agents().await
    }

    async fn get_agent(&self, id: &AgentId) -> Result<Option<AgentProfile>, StoreError> {
        let resp = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(profile_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        resp.item().map(decode_agent).transpose()
    }

    async fn add_numbers(
        &self,
        country: Country,
        numbers: &[E164],
        now: DateTime<Utc>,
    ) -> Result<AddedNumbers, StoreError> {
        let mut out = AddedNumbers::default();
        for number in numbers {
            let item = encode_new_number(number, country, now)?;
            // Never over an existing item: a leased or quarantined number
            // keeps its lease and its `availableAt`.
            let r = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await;
            let added = crate::sdk::applied(r, |e| e.is_conditional_check_failed_exception())
                .map_err(unavailable)?;
            if added {
                out.added.push(number.clone());
            } else {
                out.present.push(number.clone());
            }
        }
        Ok(out)
    }

    async fn list_pool(
        &self,
        country: Option<Country>,
        now: DateTime<Utc>,
    ) -> Result<Vec<PoolNumber>, StoreError> {
        // The index holds pool numbers only: one country's by a query, every
        // country's by a scan of the index (never of the table).
        let mut keys = Vec::new();
        let mut start = None;
        loop {
            let (items, last) = match country {
                Some(c) => {
                    let resp = self
                        .client
                        .query()
                        .table_name(&self.table)
                        .index_name(AVAILABLE_INDEX)
                        .key_condition_expression("poolCountry = :c")
                        .expression_attribute_values(":c", s(c.code()))
                        .set_exclusive_start_key(start)
                        .send()
                        .await
                        .map_err(unavailable)?;
                    (resp.items.unwrap_or_default(), resp.last_evaluated_key)
                }
                None => {
                    let resp = self
                        .client
                        .scan()
                        .table_name(&self.table)
                        .index_name(AVAILABLE_INDEX)
                        .set_exclusive_start_key(start)
                        .send()
                        .await
                        .map_err(unavailable)?;
                    (resp.items.unwrap_or_default(), resp.last_evaluated_key)
                }
            };
            for i in &items {
                if let (Some(pk), Some(sk)) = (i.get("pk"), i.get("sk")) {
                    keys.push(HashMap::from([
                        ("pk".to_string(), pk.clone()),
                        ("sk".to_string(), sk.clone()),
                    ]));
                }
            }
            match last {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        let mut out = Vec::new();
        for chunk in keys.chunks(100) {
            for item in self.batch_get(chunk.to_vec()).await? {
                let entry = decode_pool_entry(&item)?;
                out.push(PoolNumber::describe(
                    &entry.number,
                    &entry.pool_country,
                    entry.lease.as_ref(),
                    entry.available_at,
                    now,
                ));
            }
        }
        out.sort_by(|a, b| (&a.country, &a.number).cmp(&(&b.country, &b.number)));
        Ok(out)
    }

    async fn remove_number(&self, number: &E164, now: DateTime<Utc>) -> Result<(), RemoveError> {
        // Only once nobody can call back for a previous holder: not leased
        // (no lease, released, or past its hold) and out of quarantine. One
        // conditional delete, no read first; a refusal says why from the
        // item the condition saw.
        let r = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(number_key(number)))
            .condition_expression(
                "attribute_exists(pk) AND availableAt <= :now \
                 AND (attribute_not_exists(agentId) OR attribute_exists(releasedAt) OR holdUntil <= :now)",
            )
            .expression_attribute_values(":now", epoch(now))
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
            .send()
            .await;
        let err = match r {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        match err.as_service_error() {
            Some(aws_sdk_dynamodb::operation::delete_item::DeleteItemError::ConditionalCheckFailedException(c)) => {
                Err(removal_refused(number, c.item(), now))
            }
            _ => Err(RemoveError::Store(unavailable(err))),
        }
    }

    async fn put_tenant(&self, tenant: TenantSettings) -> Result<(), StoreError> {
        let mut item = tenant_key();
        item.insert("type".into(), s("tenant"));
        item.insert(
            "directRoutingEmergencyRule".into(),
            AttributeValue::Bool(tenant.direct_routing_emergency_rule),
        );
        item.insert(
            "hasCallingPlanNumbers".into(),
            AttributeValue::Bool(tenant.has_calling_plan_numbers),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get_tenant(&self) -> Result<TenantSettings, StoreError> {
        let resp = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(tenant_key()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(resp.item().map(decode_tenant).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::codec::encode_number;
    use lifeline_domain::lease::{LeasePolicy, NewLease};

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T05:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + chrono::Duration::minutes(min)
    }

    #[test]
    fn a_refused_removal_says_why_from_the_old_item() {
        let number: E164 = "+14255550190".parse().unwrap();
        let p = LeasePolicy::default();
        let lease = p.start(
            NewLease {
                id: "l-1".parse().unwrap(),
                number: number.clone(),
                country: Country::US,
                agent: "a-42".parse().unwrap(),
                call: "c-1".parse().unwrap(),
                fallback: vec![],
            },
            t(0),
        );
        let ended = p.on_end(&lease, &"c-1".parse().unwrap(), t(10)).unwrap();
        let item = encode_number(&ended, p.available_at(&ended)).unwrap();

        let leased = removal_refused(&number, Some(&item), t(30));
        assert!(matches!(leased, RemoveError::Leased(..)), "{leased:?}");
        assert!(leased.to_string().contains("leased to a-42"), "{leased}");

        let quarantined = removal_refused(&number, Some(&item), t(80));
        match &quarantined {
            RemoveError::InQuarantine { number: n, until } => {
                assert_eq!((n, *until), (&number, t(130)))
            }
            other => panic!("{other:?}"),
        }
        assert!(
            quarantined
                .to_string()
                .contains("in quarantine until 2026-11-24T07:10:00Z"),
            "{quarantined}"
        );

        assert!(matches!(
            removal_refused(&number, None, t(80)),
            RemoveError::Unknown(_)
        ));
        // An item the condition refused that reads as removable is reported, not guessed at.
        assert!(matches!(
            removal_refused(&number, Some(&item), t(200)),
            RemoveError::Store(StoreError::Corrupt { .. })
        ));
        let mut no_time = item.clone();
        no_time.remove("availableAt");
        assert!(matches!(
            removal_refused(&number, Some(&no_time), t(200)),
            RemoveError::Store(StoreError::Corrupt { .. })
        ));
    }
}
