//! What the PSAP saw: a platform reports the caller ID it actually presented
//! on an emergency call when it is not Lifeline's answer (it failed open,
//! timed out, failed over to the agent's own number, or the caller is not an
//! agent Lifeline knows). The record is then made to say the same.

use serde::{Deserialize, Serialize};

use crate::call::{EmergencyCall, OutboundDial};
use crate::degraded::DegradedReason;
use crate::types::{AgentId, CallId, E164};

/// Why the platform presented another number than Lifeline's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresentedReason {
    /// Lifeline could not be asked or answered an error.
    FailOpen,
    /// Lifeline did not answer within the platform's patience.
    Timeout,
    /// The carrier refused the leased number; the agent's own went out.
    FailoverOwnNumber,
    /// The caller is not an agent the platform knows: the site's number.
    UnknownUser,
}

impl PresentedReason {
    pub const ALL: [PresentedReason; 4] = [
        PresentedReason::FailOpen,
        PresentedReason::Timeout,
        PresentedReason::FailoverOwnNumber,
        PresentedReason::UnknownUser,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            PresentedReason::FailOpen => "fail_open",
            PresentedReason::Timeout => "timeout",
            PresentedReason::FailoverOwnNumber => "failover_own_number",
            PresentedReason::UnknownUser => "unknown_user",
        }
    }
}

impl std::str::FromStr for PresentedReason {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        PresentedReason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = PresentedReason::ALL.iter().map(|r| r.as_str()).collect();
                format!("`reason` must be one of {}", known.join(", "))
            })
    }
}

/// `POST /calls/presented`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallPresented {
    pub call_id: CallId,
    pub agent_id: AgentId,
    pub dialed: String,
    /// The number the PSAP saw (and will call back).
    pub caller_id: E164,
    pub reason: PresentedReason,
}

impl CallPresented {
    /// The dial this report stands for when Lifeline has no record of the
    /// call: the presented number as the caller's own.
    pub fn as_dial(&self) -> OutboundDial {
        OutboundDial {
            call_id: self.call_id.clone(),
            agent_id: self.agent_id.clone(),
            dialed: self.dialed.clone(),
            from: self.caller_id.clone(),
            location: None,
            registered_location: false,
            timestamp: None,
        }
    }
}

/// `call` as the PSAP saw it: `number` presented, no callback number of
/// Lifeline's (none was seen), degraded for that reason. The rest (when,
/// where, who, its end) is the call's own.
pub fn presented_as(call: &EmergencyCall, number: &E164) -> EmergencyCall {
    EmergencyCall {
        caller_id: number.clone(),
        leased_number: None,
        lease_id: None,
        callback_expires_at: None,
        degraded: true,
        reason: Some(DegradedReason::PlatformFailOpen),
        ..call.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_back_from_its_wire_string() {
        for r in PresentedReason::ALL {
            assert_eq!(r.as_str().parse::<PresentedReason>(), Ok(r));
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::Value::String(r.as_str().into())
            );
        }
        let e = "down".parse::<PresentedReason>().unwrap_err();
        assert!(e.contains("failover_own_number"), "{e}");
    }

    #[test]
    fn the_presented_record_names_what_the_psap_saw_and_no_lease() {
        let mut leased =
            crate::testing::call("c-1", "a-42", crate::testing::at("2026-11-24T05:00:00Z"));
        leased.caller_id = "+14255550199".parse().unwrap();
        leased.leased_number = Some(leased.caller_id.clone());
        leased.lease_id = Some("l-1".parse().unwrap());
        let own: E164 = "+14255550100".parse().unwrap();
        let seen = presented_as(&leased, &own);
        assert_eq!(seen.caller_id, own);
        assert_eq!(
            (seen.leased_number, seen.lease_id, seen.callback_expires_at),
            (None, None, None)
        );
        assert_eq!(
            (seen.degraded, seen.reason),
            (true, Some(DegradedReason::PlatformFailOpen))
        );
        assert_eq!(
            (seen.call_id, seen.dialed_at),
            (leased.call_id, leased.dialed_at)
        );
    }
}
