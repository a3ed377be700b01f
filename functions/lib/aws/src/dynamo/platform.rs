//! What the platform presence sync keeps: the status an emergency status
//! replaced on the voice platform, one item per agent, beside its presence
//! (one batch read of profile, presence and this; one put; one delete).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use lifeline_app::ports::{PlatformContext, PlatformStateStore, StoreError};
use lifeline_domain::platform::RememberedStatus;
use lifeline_domain::types::AgentId;

use super::codec::{decode_agent, decode_remembered, encode_remembered, Reader};
use super::keys::{item_kind, platform_key, presence_key, profile_key};
use super::store::{unavailable, DynamoStore};

#[async_trait]
impl PlatformStateStore for DynamoStore {
    async fn platform_context(&self, agent: &AgentId) -> Result<PlatformContext, StoreError> {
        let items = self
            .batch_get(vec![
                profile_key(agent),
                presence_key(agent),
                platform_key(agent),
            ])
            .await?;
        let mut ctx = PlatformContext::default();
        for item in &items {
            match item_kind(item) {
                Some((_, "PROFILE")) => ctx.profile = Some(decode_agent(item)?),
                Some((_, "PRESENCE")) => ctx.override_active = Reader::new(item).bool("override"),
                Some((_, "PLATFORMSTATUS")) => ctx.remembered = Some(decode_remembered(item)?),
                _ => {}
            }
        }
        Ok(ctx)
    }

    async fn remember_status(
        &self,
        agent: &AgentId,
        remembered: &RememberedStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode_remembered(agent, remembered, now)?))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn forget_status(&self, agent: &AgentId) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(platform_key(agent)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lifeline_domain::platform::PlatformStatus;

    #[test]
    fn a_remembered_status_round_trips() {
        let agent: AgentId = "a-42".parse().unwrap();
        let r = RememberedStatus {
            previous: PlatformStatus {
                id: "st-1".into(),
                name: "Available".into(),
            },
            episode: "c-1".into(),
            applied: true,
        };
        let item = encode_remembered(
            &agent,
            &r,
            DateTime::from_timestamp(1_795_496_400, 0).unwrap(),
        )
        .unwrap();
        assert_eq!(decode_remembered(&item).unwrap(), r);
        assert_eq!(item_kind(&item), Some(("AGENT#a-42", "PLATFORMSTATUS")));
    }
}
