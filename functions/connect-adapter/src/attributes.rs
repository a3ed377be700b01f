//! The answers a flow reads as `$.External.<key>`: a flat string map.

use lifeline_domain::call::{InboundAnswer, OutboundAnswer};
use lifeline_domain::numbers::{
    emergency_digits_anywhere, short_code_from_e164, OutsideLinePrefix,
};
use std::collections::BTreeMap;

use crate::fallback::{connect_fallbacks, ConnectFallback, FALLBACK_SLOTS, NO_FALLBACK};

/// The flat string map a flow reads as `$.External.<key>`.
pub type Attributes = BTreeMap<String, String>;

fn attrs<const N: usize>(pairs: [(&str, String); N]) -> Attributes {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The core's dial answer as the outbound whisper flow reads it.
pub fn outbound_attributes(answer: &OutboundAnswer) -> Attributes {
    match answer {
        OutboundAnswer::Emergency {
            emergency_number,
            test,
            caller_id,
            callback_expires_at,
            degraded,
            reason,
            location,
            ..
        } => {
            let mut a = attrs([
                ("lifelineAction", "emergency".into()),
                ("callerIdNumber", caller_id.clone()),
                ("recording", "off".into()),
                ("emergencyNumber", emergency_number.clone()),
                ("degraded", degraded.to_string()),
                ("test", test.to_string()),
            ]);
            if let Some(t) = callback_expires_at {
                a.insert("callbackExpiresAt".into(), t.clone());
            }
            if let Some(r) = reason {
                a.insert("reason".into(), r.to_string());
            }
            // How good the location is, for the flow to prompt for a better
            // one (the PIDF-LO itself is for SIP, not contact attributes).
            if let Some(l) = location {
                a.insert("locationQuality".into(), l.location_quality.as_str().into());
                if let Some(source) = l.location_source {
                    a.insert("locationSource".into(), source.as_str().into());
                }
            }
            a
        }
        OutboundAnswer::Continue { reason } => {
            let mut a = attrs([("lifelineAction", "continue".into())]);
            if let Some(r) = reason {
                a.insert("reason".into(), (*r).to_string());
            }
            a
        }
    }
}

/// Failing open: an emergency-looking dial is placed with the caller ID
/// Connect would present anyway (the agent's own outbound number), degraded.
pub fn fail_open_outbound(
    dialed: Option<&str>,
    caller_id: Option<&str>,
    prefix: &OutsideLinePrefix,
    reason: &str,
) -> Attributes {
    let dialed = dialed.map(|d| short_code_from_e164(d).unwrap_or_else(|| d.to_string()));
    match dialed
        .as_deref()
        .and_then(|d| emergency_digits_anywhere(d, prefix))
    {
        Some(number) => attrs([
            ("lifelineAction", "emergency".into()),
            ("callerIdNumber", caller_id.unwrap_or_default().to_string()),
            ("recording", "off".into()),
            ("emergencyNumber", number.to_string()),
            ("degraded", "true".into()),
            ("test", (number == "933").to_string()),
            ("reason", reason.to_string()),
        ]),
        None => attrs([
            ("lifelineAction", "continue".into()),
            ("reason", reason.to_string()),
        ]),
    }
}

/// The core's callback answer as the inbound flow reads it: the agent for
/// "Set working queue" (id and, when the instance is known, ARN), the highest
/// routing priority, and the lease's fallbacks in the slots the flows try
/// after the agent ([`fallback_attributes`]).
pub fn inbound_attributes(answer: &InboundAnswer, instance_arn: Option<&str>) -> Attributes {
    match answer {
        InboundAnswer::ConnectAgent {
            agent_id, fallback, ..
        } => {
            let instance = instance_arn.filter(|i| i.contains(":instance/"));
            let mut a = attrs([
                ("lifelineAction", "connect_agent".into()),
                ("agentId", agent_id.clone()),
                ("queuePriority", "1".into()),
                ("recording", "off".into()),
            ]);
            if let Some(instance) = instance {
                a.insert("agentArn".into(), format!("{instance}/agent/{agent_id}"));
            }
            let (targets, _) = connect_fallbacks(agent_id, fallback, instance);
            a.extend(fallback_attributes(&targets));
            a
        }
        InboundAnswer::Continue {} => attrs([("lifelineAction", "continue".into())]),
    }
}

/// `lifelineFallback<n>` and `lifelineFallback<n>Kind` for every slot: the
/// target and `phone` · `agent` · `queue`, or [`NO_FALLBACK`] twice.
pub fn fallback_attributes(targets: &[ConnectFallback]) -> Attributes {
    let mut a = Attributes::new();
    for slot in 1..=FALLBACK_SLOTS {
        let (value, kind) = match targets.get(slot - 1) {
            Some(t) => (t.value().to_string(), t.kind()),
            None => (NO_FALLBACK.to_string(), NO_FALLBACK),
        };
        a.insert(format!("lifelineFallback{slot}"), value);
        a.insert(format!("lifelineFallback{slot}Kind"), kind.to_string());
    }
    a
}
