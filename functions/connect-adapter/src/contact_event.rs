//! `Amazon Connect Contact Event`s from EventBridge: a `DISCONNECTED`
//! contact ends its emergency call.

use lifeline_app::ports::{CallbackStore, DialStore, EndStore};
use lifeline_app::service::ended::EndOutcome;
use lifeline_domain::call::CallEnded;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::adapter::{ConnectAdapter, ConnectError};
use crate::flow::agent_from_param;

/// `Amazon Connect Contact Event`'s detail, the part Lifeline reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContactEventDetail {
    event_type: String,
    contact_id: String,
    agent_info: Option<AgentInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AgentInfo {
    agent_arn: Option<String>,
}

impl<S: DialStore + CallbackStore + EndStore + 'static> ConnectAdapter<S> {
    /// `DISCONNECTED`: ends the call if it is an emergency call (idempotent).
    pub(crate) async fn on_contact_event(&self, payload: Value) -> Result<Value, ConnectError> {
        let detail: ContactEventDetail = serde_json::from_value(
            payload.get("detail").cloned().unwrap_or_default(),
        )
        .map_err(|e| {
            ConnectError::Unrecognised(format!("contact event detail ({:?} error)", e.classify()))
        })?;
        if detail.event_type != "DISCONNECTED" {
            return Ok(json!({"ended": false, "reason": "not_a_disconnect"}));
        }
        let agent = detail
            .agent_info
            .and_then(|a| a.agent_arn)
            .as_deref()
            .and_then(agent_from_param);
        let (Ok(call_id), Some(agent_id)) = (detail.contact_id.parse(), agent) else {
            // No agent on the contact: it never reached one, so it is no agent's emergency call.
            return Ok(json!({"ended": false, "reason": "no_agent"}));
        };
        let ended = CallEnded {
            call_id,
            agent_id,
            timestamp: None,
        };
        match self.end.end(ended).await {
            Ok(EndOutcome::Ended) => Ok(json!({"ended": true})),
            Ok(EndOutcome::AlreadyEnded) => Ok(json!({"ended": true, "alreadyEnded": true})),
            // Every contact disconnects, emergency or not: one the table
            // does not know (yet) is kept for its TTL, applied if it is
            // recorded (a fail-open whisper's call, from the outbox).
            Ok(EndOutcome::Kept) => Ok(json!({"ended": false, "kept": true})),
            Err(e) => Err(ConnectError::EndNotRecorded(e.to_string())),
        }
    }
}
