//! The admin CLI's reads and writes: agents, pools, tenant, readiness.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

use lifeline_app::ports::{AdminStore, PoolNumber, RemoveError, StoreError};
use lifeline_domain::call::{rfc3339, AgentProfile};
use lifeline_domain::numbers::Country;
use lifeline_domain::route::TenantSettings;
use lifeline_domain::types::{AgentId, E164};

use super::codec::{decode_agent, decode_lease, decode_tenant, encode_agent, Reader};
use super::keys::{epoch, number_key, profile_key, s, tenant_key, AVAILABLE_INDEX};
use super::store::{unavailable, DynamoStore};

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
            .set_item(Some(encode_agent(agent)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
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
    ) -> Result<usize, StoreError> {
        let mut added = 0;
        for number in numbers {
            let mut item = number_key(number);
            item.insert("type".into(), s("number"));
            item.insert("number".into(), s(number.as_str()));
            item.insert("country".into(), s(country.code()));
            item.insert("poolCountry".into(), s(country.code()));
            item.insert("availableAt".into(), epoch(now));
            let r = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await;
            match r {
                Ok(_) => added += 1,
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
                Err(e) => return Err(unavailable(e)),
            }
        }
        Ok(added)
    }

    async fn list_pool(
        &self,
        country: Option<Country>,
        now: DateTime<Utc>,
    ) -> Result<Vec<PoolNumber>, StoreError> {
        let countries: Vec<Country> = country.map_or_else(|| Country::ALL.to_vec(), |c| vec![c]);
        let mut keys = Vec::new();
        for c in countries {
            // The index lists a country's numbers without a table scan.
            let mut start = None;
            loop {
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
                for i in resp.items() {
                    if let (Some(pk), Some(sk)) = (i.get("pk"), i.get("sk")) {
                        keys.push(HashMap::from([
                            ("pk".to_string(), pk.clone()),
                            ("sk".to_string(), sk.clone()),
                        ]));
                    }
                }
                match resp.last_evaluated_key {
                    Some(k) if !k.is_empty() => start = Some(k),
                    _ => break,
                }
            }
        }
        let mut out = Vec::new();
        for chunk in keys.chunks(100) {
            for item in self.batch_get(chunk.to_vec()).await? {
                let r = Reader::new(&item);
                let lease = decode_lease(&item)?;
                let available_at = r.epoch("availableAt")?;
                let state = match &lease {
                    Some(l) if l.is_live(now) => "leased",
                    _ if available_at > now => "quarantined",
                    _ => "free",
                };
                let live = lease.as_ref().filter(|l| l.is_live(now));
                out.push(PoolNumber {
                    number: r.str("number")?.to_string(),
                    country: r.str("poolCountry")?.to_string(),
                    state,
                    leased_to: live.map(|l| l.agent.to_string()),
                    callback_window_ends_at: live.map(|l| rfc3339(l.expires_at)),
                    active_calls: live.map(|l| l.active_calls.len()),
                    held_until: live.map(|l| rfc3339(l.hold_until)),
                    quarantined_until: (state == "quarantined").then(|| rfc3339(available_at)),
                    available_at: rfc3339(available_at),
                });
            }
        }
        out.sort_by(|a, b| (&a.country, &a.number).cmp(&(&b.country, &b.number)));
        Ok(out)
    }

    async fn remove_number(&self, number: &E164, now: DateTime<Utc>) -> Result<(), RemoveError> {
        let r = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(number_key(number)))
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(agentId) OR attribute_exists(releasedAt) OR holdUntil <= :now)",
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
                match c.item() {
                    None => Err(RemoveError::Unknown(number.to_string())),
                    Some(item) => {
                        let lease = decode_lease(item)?;
                        let (agent, until) = lease
                            .map(|l| (l.agent.to_string(), rfc3339(l.hold_until)))
                            .unwrap_or_default();
                        Err(RemoveError::Leased(number.to_string(), agent, until))
                    }
                }
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
