//! Ends kept for calls not recorded yet: `ENDKEPT#<callId>`/`AGENT#<id>`,
//! the end as sent and when it was kept, gone after its TTL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use lifeline_app::ports::{KeptEnds, StoreError};
use lifeline_domain::call::{rfc3339, CallEnded};
use lifeline_domain::types::{AgentId, CallId};

use super::codec::Reader;
use super::keys::{epoch, kept_end_key, s, TTL_ATTRIBUTE};
use super::store::{unavailable, DynamoStore, Item};

#[async_trait]
impl KeptEnds for DynamoStore {
    async fn keep_end(
        &self,
        ended: &CallEnded,
        kept_at: DateTime<Utc>,
        ttl: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // An update that creates the item: the end replaces any kept before
        // (the latest is the one to apply).
        let mut values = std::collections::HashMap::from([
            (":c".to_string(), s(ended.call_id.as_str())),
            (":a".to_string(), s(ended.agent_id.as_str())),
            (":k".to_string(), s(rfc3339(kept_at))),
            (":ttl".to_string(), epoch(ttl)),
        ]);
        let expression = match ended.timestamp {
            Some(t) => {
                values.insert(":t".into(), s(rfc3339(t)));
                "SET callId = :c, agentId = :a, keptAt = :k, #ttl = :ttl, #ts = :t"
            }
            None => "SET callId = :c, agentId = :a, keptAt = :k, #ttl = :ttl REMOVE #ts",
        };
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(kept_end_key(&ended.call_id, &ended.agent_id)))
            .update_expression(expression)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_names("#ts", "timestamp")
            .set_expression_attribute_values(Some(values))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn kept_end(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<Option<(CallEnded, DateTime<Utc>)>, StoreError> {
        let resp = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(kept_end_key(call, agent)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        resp.item().map(decode_kept_end).transpose()
    }

    async fn forget_end(&self, call: &CallId, agent: &AgentId) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(kept_end_key(call, agent)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

fn decode_kept_end(item: &Item) -> Result<(CallEnded, DateTime<Utc>), StoreError> {
    let r = Reader::new(item);
    let ended = CallEnded {
        call_id: r.parse("callId")?,
        agent_id: r.parse("agentId")?,
        timestamp: r.time("timestamp")?,
    };
    let kept_at = r
        .time("keptAt")?
        .ok_or_else(|| r.corrupt("missing `keptAt`"))?;
    Ok((ended, kept_at))
}
