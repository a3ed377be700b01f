//! Agent profiles (`AGENT#<id>`/`PROFILE`) and the tenant's settings.

use serde::{Deserialize, Serialize};

use lifeline_app::ports::StoreError;
use lifeline_domain::call::AgentProfile;
use lifeline_domain::numbers::Country;
use lifeline_domain::platform::PlatformIds;
use lifeline_domain::recipient::Recipients;
use lifeline_domain::route::TenantSettings;

use super::{decode_item, encode_item, parse, parse_opt, Item, Reader};
use crate::dynamo::keys::profile_key;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AgentItem {
    agent_id: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// A supported country's code, or the unsupported one given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outbound_profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    connect_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    twilio_worker_sid: Option<String>,
    source_number: String,
    number_type: String,
    /// `;`-separated `channel:address|locale` entries (a bare address is
    /// e-mail, so lists stored before other channels read the same).
    #[serde(default)]
    recipients: String,
    #[serde(default)]
    fallback: Vec<String>,
}

impl From<&AgentProfile> for AgentItem {
    fn from(a: &AgentProfile) -> Self {
        AgentItem {
            agent_id: a.id.to_string(),
            name: a.name.clone(),
            email: a.email.as_ref().map(|e| e.as_str().to_string()),
            country: a
                .country
                .map(|c| c.code().to_string())
                .or_else(|| a.other_country.clone()),
            outbound_profile: a.outbound_profile.clone(),
            connect_user_id: a.platform.connect_user_id.clone(),
            twilio_worker_sid: a.platform.twilio_worker_sid.clone(),
            source_number: a.source_number.to_string(),
            number_type: a.number_type.as_str().to_string(),
            recipients: a.recipients.joined(),
            fallback: a.fallback.clone(),
        }
    }
}

impl TryFrom<AgentItem> for AgentProfile {
    type Error = String;
    fn try_from(a: AgentItem) -> Result<Self, String> {
        let country = a.country.as_deref().and_then(|c| c.parse::<Country>().ok());
        Ok(AgentProfile {
            id: parse("agentId", &a.agent_id)?,
            name: a.name,
            email: parse_opt("email", a.email.as_deref())?,
            other_country: a.country.filter(|_| country.is_none()),
            country,
            outbound_profile: a.outbound_profile,
            platform: PlatformIds {
                connect_user_id: a.connect_user_id,
                twilio_worker_sid: a.twilio_worker_sid,
            },
            source_number: parse("sourceNumber", &a.source_number)?,
            number_type: parse("numberType", &a.number_type)?,
            // Chat hosts were checked when the list was written, and are
            // again at each send: a list is not lost to a shorter allow-list.
            recipients: Recipients::parse_stored(&a.recipients)
                .map_err(|e| format!("recipients: {e}"))?,
            fallback: a.fallback,
        })
    }
}

pub(crate) fn encode_agent(a: &AgentProfile) -> Result<Item, StoreError> {
    encode_item(profile_key(&a.id), "agent", &AgentItem::from(a))
}

pub(crate) fn decode_agent(item: &Item) -> Result<AgentProfile, StoreError> {
    decode_item::<AgentItem, _>(item)
}

/// Read by hand, not through serde: the settings are edited in the console,
/// and anything but a stored `true` reads as off (serde would refuse the
/// whole item over one mistyped flag, and the dial cannot refuse).
pub(crate) fn decode_tenant(item: &Item) -> TenantSettings {
    let r = Reader::new(item);
    TenantSettings {
        direct_routing_emergency_rule: r.bool("directRoutingEmergencyRule"),
        has_calling_plan_numbers: r.bool("hasCallingPlanNumbers"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lifeline_domain::recipient::Channel;

    fn stored(recipients: &str) -> Result<AgentProfile, String> {
        let mut item = AgentItem::from(&lifeline_domain::testing::agent("a-42"));
        item.recipients = recipients.into();
        AgentProfile::try_from(item)
    }

    #[test]
    fn a_list_of_bare_emails_reads_as_before() {
        let a = stored("sup@example.com; security@example.com").unwrap();
        assert_eq!(
            a.recipients.joined(),
            "sup@example.com; security@example.com"
        );
        assert_eq!(a.recipients.emails().len(), 2);
    }

    #[test]
    fn every_channel_is_stored_and_read_back() {
        let list =
            "ana@example.com; sms:+14255550111|es; chat:https://hooks.slack.com/services/T/B/X|de";
        let a = stored(list).unwrap();
        let channels: Vec<Channel> = a.recipients.entries().iter().map(|r| r.channel()).collect();
        assert_eq!(channels, [Channel::Email, Channel::Sms, Channel::Chat]);
        // Only the e-mail entries reach the e-mail path.
        assert_eq!(a.recipients.emails().len(), 1);
        let item = AgentItem::from(&a);
        assert_eq!(item.recipients, list);
        assert_eq!(AgentProfile::try_from(item).unwrap(), a);
    }

    #[test]
    fn a_malformed_entry_is_named() {
        let e = stored("ana@example.com; sms:12").unwrap_err();
        assert!(e.starts_with("recipients: recipient 2 (sms)"), "{e}");
    }
}
