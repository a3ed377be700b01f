//! The agent's status on the voice platform (Amazon Connect, Twilio
//! TaskRouter) during an emergency override (pure). Lifeline's own presence
//! algebra decides when the override starts and ends; these rules decide
//! what the platform call does then: put the emergency status on and
//! remember the one it replaced, and at the end put that one back, unless
//! the agent or a supervisor changed it meanwhile (then theirs stays).

use serde::{Deserialize, Serialize};

/// The agent's identities on the platforms (from the agent profile).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlatformIds {
    /// Amazon Connect user id (or ARN).
    pub connect_user_id: Option<String>,
    /// Twilio TaskRouter worker SID (`WK…`).
    pub twilio_worker_sid: Option<String>,
}

/// Twilio's resource identifiers (SIDs): two letters naming the kind of
/// resource, then 32 hex digits (`WW0123456789abcdef0123456789abcdef`).
pub mod twilio_sid {
    /// A TaskRouter workflow.
    pub const WORKFLOW: &str = "WW";
    /// A TaskRouter workspace.
    pub const WORKSPACE: &str = "WS";
    /// A TaskRouter worker (an agent).
    pub const WORKER: &str = "WK";
    /// A TaskRouter activity (a status).
    pub const ACTIVITY: &str = "WA";
    /// An account.
    pub const ACCOUNT: &str = "AC";

    /// Whether `value` is a SID of the kind `prefix` names: the prefix, then
    /// 32 hex digits.
    pub fn is(value: &str, prefix: &str) -> bool {
        value
            .strip_prefix(prefix)
            .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    }
}

/// A status on the platform: its id (what is set) and its name (for people).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformStatus {
    pub id: String,
    pub name: String,
}

/// What Lifeline remembers during one override episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RememberedStatus {
    /// The status the emergency status replaced (put back at the end).
    pub previous: PlatformStatus,
    /// The override episode: the call that started it.
    pub episode: String,
    /// The emergency status was set (a retry then leaves the platform alone).
    pub applied: bool,
}

/// What the start of an override does on the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverrideStep {
    /// Remember `previous`, set the emergency status, mark it applied.
    Apply { previous: PlatformStatus },
    /// The emergency status is on but not yet marked applied: mark it.
    MarkApplied,
    /// Nothing to do: applied already this episode (whatever the status is
    /// now: a later change is the agent's or a supervisor's, and stays).
    Done,
}

/// What the end of the override does on the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreStep {
    /// The emergency status is still on: put this one back.
    PutBack(PlatformStatus),
    /// Someone changed the status during the call: theirs stays.
    LeaveTheirs,
    /// Nothing remembered (no override applied, or restored already).
    NothingRemembered,
}

pub fn on_override(
    current: &PlatformStatus,
    emergency_status: &str,
    remembered: Option<&RememberedStatus>,
    episode: &str,
) -> OverrideStep {
    let on = current.id == emergency_status;
    // A memory of an earlier episode whose end was lost is not this one's.
    match remembered.filter(|r| r.episode == episode) {
        Some(r) if r.applied => OverrideStep::Done,
        Some(_) if on => OverrideStep::MarkApplied,
        // Remembered, not set yet (the set failed): keep the first memory.
        Some(r) => OverrideStep::Apply {
            previous: r.previous.clone(),
        },
        // Already on with nothing remembered: what it replaced is unknown.
        None if on => OverrideStep::Done,
        None => OverrideStep::Apply {
            previous: current.clone(),
        },
    }
}

pub fn on_restore(
    current: &PlatformStatus,
    emergency_status: &str,
    remembered: Option<&RememberedStatus>,
) -> RestoreStep {
    match remembered {
        None => RestoreStep::NothingRemembered,
        Some(r) if current.id == emergency_status => RestoreStep::PutBack(r.previous.clone()),
        Some(_) => RestoreStep::LeaveTheirs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMERGENCY: &str = "st-emergency";

    #[test]
    fn a_twilio_sid_is_its_prefix_and_32_hex_digits() {
        let worker = "WKABCDEF0123456789abcdef0123456789";
        assert!(twilio_sid::is(worker, twilio_sid::WORKER));
        assert!(!twilio_sid::is(worker, twilio_sid::WORKFLOW));
        for bad in [
            "WK",
            "WKABCDEF0123456789abcdef012345678",
            "WKABCDEF0123456789abcdef01234567890",
            "WKABCDEF0123456789abcdef012345678g",
            "wkABCDEF0123456789abcdef0123456789",
        ] {
            assert!(!twilio_sid::is(bad, twilio_sid::WORKER), "{bad}");
        }
    }

    fn status(id: &str) -> PlatformStatus {
        PlatformStatus {
            id: id.into(),
            name: id.into(),
        }
    }

    fn memory(previous: &str, episode: &str, applied: bool) -> RememberedStatus {
        RememberedStatus {
            previous: status(previous),
            episode: episode.into(),
            applied,
        }
    }

    #[test]
    fn the_start_remembers_what_it_replaces_once() {
        assert_eq!(
            on_override(&status("available"), EMERGENCY, None, "c-1"),
            OverrideStep::Apply {
                previous: status("available")
            }
        );
        // Remembered, set failed: the retry sets it, keeping the first memory.
        let m = memory("available", "c-1", false);
        assert_eq!(
            on_override(&status("available"), EMERGENCY, Some(&m), "c-1"),
            OverrideStep::Apply {
                previous: status("available")
            }
        );
        assert_eq!(
            on_override(&status(EMERGENCY), EMERGENCY, Some(&m), "c-1"),
            OverrideStep::MarkApplied
        );
        // Applied: a duplicate start changes nothing, even after a supervisor's change.
        let m = memory("available", "c-1", true);
        assert_eq!(
            on_override(&status("break"), EMERGENCY, Some(&m), "c-1"),
            OverrideStep::Done
        );
        // A memory from an episode whose end was lost does not block a new one.
        assert_eq!(
            on_override(&status("busy"), EMERGENCY, Some(&m), "c-2"),
            OverrideStep::Apply {
                previous: status("busy")
            }
        );
    }

    #[test]
    fn the_end_puts_back_the_status_unless_someone_changed_it() {
        let m = memory("available", "c-1", true);
        assert_eq!(
            on_restore(&status(EMERGENCY), EMERGENCY, Some(&m)),
            RestoreStep::PutBack(status("available"))
        );
        assert_eq!(
            on_restore(&status("break"), EMERGENCY, Some(&m)),
            RestoreStep::LeaveTheirs
        );
        assert_eq!(
            on_restore(&status(EMERGENCY), EMERGENCY, None),
            RestoreStep::NothingRemembered
        );
    }
}
