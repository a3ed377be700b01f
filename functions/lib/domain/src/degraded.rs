//! Why an emergency dial was answered degraded (the agent's own number, no
//! callback routing), or passed through: one value per reason. Its wire
//! string is the answer's `reason`, the call record's `reason`, the
//! `Reason` dimension of the `DegradedEmergencyAnswers` metric and the
//! documented list (docs/contract.md), so all four agree by construction.

use serde::{Deserialize, Serialize};

/// One reason a dial got no callback number (or, for
/// [`DegradedReason::UnsupportedLocation`], also why a dial passed through).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DegradedReason {
    StoreUnavailable,
    Timeout,
    PoolExhausted,
    NoPool,
    Contention,
    LocationUnknown,
    AgentProfileMissing,
    CallIdConflict,
    LeaseUnreadable,
    UnsupportedLocation,
    Unauthenticated,
    InternalError,
    InvalidEvent,
    PlatformFailOpen,
}

/// A string that is no reason (a hand-edited record).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown degraded reason `{0}`")]
pub struct UnknownReason(pub String);

impl DegradedReason {
    /// Every reason, in the documented order: the store's failures, the
    /// pool's, the location's and the records', then the answers given
    /// without the store (the adapters' fail-open paths).
    pub const ALL: [DegradedReason; 14] = [
        DegradedReason::StoreUnavailable,
        DegradedReason::Timeout,
        DegradedReason::PoolExhausted,
        DegradedReason::NoPool,
        DegradedReason::Contention,
        DegradedReason::LocationUnknown,
        DegradedReason::AgentProfileMissing,
        DegradedReason::CallIdConflict,
        DegradedReason::LeaseUnreadable,
        DegradedReason::UnsupportedLocation,
        DegradedReason::Unauthenticated,
        DegradedReason::InternalError,
        DegradedReason::InvalidEvent,
        DegradedReason::PlatformFailOpen,
    ];

    /// The wire string (answers, records, metric dimension).
    pub const fn as_str(self) -> &'static str {
        match self {
            DegradedReason::StoreUnavailable => "store_unavailable",
            DegradedReason::Timeout => "timeout",
            DegradedReason::PoolExhausted => "pool_exhausted",
            DegradedReason::NoPool => "no_pool",
            DegradedReason::Contention => "contention",
            DegradedReason::LocationUnknown => "location_unknown",
            DegradedReason::AgentProfileMissing => "agent_profile_missing",
            DegradedReason::CallIdConflict => "call_id_conflict",
            DegradedReason::LeaseUnreadable => "lease_unreadable",
            DegradedReason::UnsupportedLocation => "unsupported_location",
            DegradedReason::Unauthenticated => "unauthenticated",
            DegradedReason::InternalError => "internal_error",
            DegradedReason::InvalidEvent => "invalid_event",
            DegradedReason::PlatformFailOpen => "platform_fail_open",
        }
    }

    /// Why the agent's own number was presented: its row of the documented
    /// list (docs/contract.md, generated from these).
    pub const fn description(self) -> &'static str {
        match self {
            DegradedReason::StoreUnavailable => {
                "DynamoDB refused, throttled past the retries, or was unreachable"
            }
            DegradedReason::Timeout => "the table did not answer within the dial's budget",
            DegradedReason::PoolExhausted => "the country's pool had no free number",
            DegradedReason::NoPool => {
                "the country has no pool at all (`NoPool` is counted per country; \
                 `lifeline doctor` names such agent countries)"
            }
            DegradedReason::Contention => {
                "every candidate number was taken by concurrent dials, after a few attempts"
            }
            DegradedReason::LocationUnknown => {
                "no country could be told (neither the dial's, a registration's nor the \
                 profile's); the number is placed as dialed"
            }
            DegradedReason::AgentProfileMissing => {
                "the agent has no profile (the route falls back to `direct_offer`)"
            }
            DegradedReason::CallIdConflict => {
                "the `callId` belongs to another agent or another number"
            }
            DegradedReason::LeaseUnreadable => {
                "the agent's lease pointer in the table does not decode"
            }
            DegradedReason::UnsupportedLocation => {
                "with leasing for unsupported locations switched on \
                 (`LeaseUnsupportedLocations`), a dial whose country no region of the \
                 metadata has and whose number the profile's country does not recognise \
                 either; placed as dialed"
            }
            DegradedReason::Unauthenticated => {
                "the signature could not be verified (nothing was written)"
            }
            DegradedReason::InternalError => {
                "a panic below the handler (dial-intake, the Connect adapter)"
            }
            DegradedReason::InvalidEvent => {
                "the platform's event was unusable (Connect adapter): nothing read or written"
            }
            DegradedReason::PlatformFailOpen => {
                "the platform placed the call with another number than Lifeline's answer, \
                 or without one (`POST /calls/presented`): the record names what the PSAP saw"
            }
        }
    }
}

impl std::fmt::Display for DegradedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for DegradedReason {
    type Err = UnknownReason;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DegradedReason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownReason(s.to_string()))
    }
}

#[cfg(test)]
mod docs_tests;
#[cfg(test)]
mod tests;
