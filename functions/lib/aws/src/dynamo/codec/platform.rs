//! What the platform presence sync keeps (`AGENT#<id>`/`PLATFORMSTATUS`):
//! the status an emergency status replaced on the voice platform.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};

use lifeline_app::ports::StoreError;
use lifeline_domain::platform::{PlatformStatus, RememberedStatus};
use lifeline_domain::types::AgentId;

use super::{Item, Reader};
use crate::dynamo::keys::{epoch, platform_key, s};
use crate::dynamo::TTL_ATTRIBUTE;

/// Kept a week at most: an override longer than that has long been restored.
const KEEP_DAYS: i64 = 7;

pub(crate) fn encode_remembered(agent: &AgentId, r: &RememberedStatus, now: DateTime<Utc>) -> Item {
    let mut item = platform_key(agent);
    item.insert("type".into(), s("platformStatus"));
    item.insert("agentId".into(), s(agent.as_str()));
    item.insert("previousId".into(), s(&r.previous.id));
    item.insert("previousName".into(), s(&r.previous.name));
    item.insert("episode".into(), s(&r.episode));
    item.insert("applied".into(), AttributeValue::Bool(r.applied));
    item.insert("updatedAt".into(), epoch(now));
    item.insert(TTL_ATTRIBUTE.into(), epoch(now + Duration::days(KEEP_DAYS)));
    item
}

pub(crate) fn decode_remembered(item: &Item) -> Result<RememberedStatus, StoreError> {
    let r = Reader::new(item);
    Ok(RememberedStatus {
        previous: PlatformStatus {
            id: r.str("previousId")?.to_string(),
            name: r.opt_str("previousName").unwrap_or_default().to_string(),
        },
        episode: r.str("episode")?.to_string(),
        applied: r.bool("applied"),
    })
}
