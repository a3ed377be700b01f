//! Presence: one batch read, one conditional put.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use lifeline_app::ports::{PresenceAndCall, PresenceStore, SaveError, StoreError};
use lifeline_domain::presence::{PresenceState, PresenceView, RecordedCall};
use lifeline_domain::types::{AgentId, CallId};

use super::codec::{decode_call_head, decode_presence, encode_presence};
use super::keys::{call_key, item_kind, n, presence_key, profile_key};
use super::store::{unavailable, DynamoStore};

#[async_trait]
impl PresenceStore for DynamoStore {
    async fn agent_presence(
        &self,
        agent: &AgentId,
    ) -> Result<(bool, Option<PresenceState>), StoreError> {
        let items = self
            .batch_get(vec![profile_key(agent), presence_key(agent)])
            .await?;
        let mut out = (false, None);
        for item in &items {
            match item_kind(item) {
                Some((_, "PROFILE")) => out.0 = true,
                Some((_, "PRESENCE")) => out.1 = Some(decode_presence(item)?),
                _ => {}
            }
        }
        Ok(out)
    }

    async fn agent_presence_and_call(
        &self,
        agent: &AgentId,
        call: &CallId,
    ) -> Result<PresenceAndCall, StoreError> {
        let items = self
            .batch_get(vec![
                profile_key(agent),
                presence_key(agent),
                call_key(call),
            ])
            .await?;
        let mut out = (false, None, None);
        for item in &items {
            match item_kind(item) {
                Some((_, "PROFILE")) => out.0 = true,
                Some((_, "PRESENCE")) => out.1 = Some(decode_presence(item)?),
                Some((_, "CALL")) => {
                    let head = decode_call_head(item)?;
                    out.2 = Some(RecordedCall {
                        agent_id: head.agent_id,
                        ended: head.ended_at.is_some(),
                    });
                }
                _ => {}
            }
        }
        Ok(out)
    }

    async fn save_presence(
        &self,
        agent: &AgentId,
        state: &PresenceState,
        view: PresenceView,
        now: DateTime<Utc>,
    ) -> Result<(), SaveError> {
        let req = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode_presence(agent, state, view, now)?));
        let req = if state.version == 0 {
            req.condition_expression("attribute_not_exists(pk)")
        } else {
            req.condition_expression("version = :v")
                .expression_attribute_values(":v", n(state.version as i64))
        };
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Err(SaveError::Conflict)
            }
            Err(e) => Err(SaveError::Store(unavailable(e))),
        }
    }
}
