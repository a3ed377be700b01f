//! What the platform presence sync keeps (`AGENT#<id>`/`PLATFORMSTATUS`):
//! the status an emergency status replaced on the voice platform.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use lifeline_app::ports::StoreError;
use lifeline_domain::platform::{PlatformStatus, RememberedStatus};
use lifeline_domain::types::AgentId;

use super::time::epoch_opt;
use super::{decode_item, encode_item, Item};
use crate::dynamo::keys::platform_key;

/// Kept a week at most: an override longer than that has long been restored.
const KEEP_DAYS: i64 = 7;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PlatformStatusItem {
    /// Written for people reading the table; the key names the agent.
    #[serde(default)]
    agent_id: String,
    previous_id: String,
    #[serde(default)]
    previous_name: String,
    episode: String,
    #[serde(default)]
    applied: bool,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "epoch_opt")]
    updated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "epoch_opt")]
    ttl: Option<DateTime<Utc>>,
}

impl From<PlatformStatusItem> for RememberedStatus {
    fn from(p: PlatformStatusItem) -> Self {
        RememberedStatus {
            previous: PlatformStatus {
                id: p.previous_id,
                name: p.previous_name,
            },
            episode: p.episode,
            applied: p.applied,
        }
    }
}

pub(crate) fn encode_remembered(
    agent: &AgentId,
    r: &RememberedStatus,
    now: DateTime<Utc>,
) -> Result<Item, StoreError> {
    let body = PlatformStatusItem {
        agent_id: agent.to_string(),
        previous_id: r.previous.id.clone(),
        previous_name: r.previous.name.clone(),
        episode: r.episode.clone(),
        applied: r.applied,
        updated_at: Some(now),
        ttl: Some(now + Duration::days(KEEP_DAYS)),
    };
    encode_item(platform_key(agent), "platformStatus", &body)
}

pub(crate) fn decode_remembered(item: &Item) -> Result<RememberedStatus, StoreError> {
    decode_item::<PlatformStatusItem, _>(item)
}
