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

/// What the platform shows of the agent when Lifeline reads it.
///
/// On Amazon Connect a status set while the agent handles a contact (the
/// emergency call is one) does not change the current status: it becomes
/// the agent's next status, current once the contact and its after-contact
/// work end. TaskRouter has no next status: a view there is `settled`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformView {
    /// The status in force now.
    pub current: PlatformStatus,
    /// The status waiting for the agent's contacts to end, if one is set.
    pub next: Option<PlatformStatus>,
    /// The agent is on a contact or in its after-contact work: a status
    /// set now becomes the next status.
    pub on_contact: bool,
}

impl PlatformView {
    /// No contact, no next status: what is set is current at once.
    pub fn settled(current: PlatformStatus) -> Self {
        PlatformView {
            current,
            next: None,
            on_contact: false,
        }
    }

    /// The status the agent is in once its contacts end: the next status
    /// when one is set, else the current one.
    pub fn lands_in(&self) -> &PlatformStatus {
        self.next.as_ref().unwrap_or(&self.current)
    }
}

/// What Lifeline remembers during one override episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RememberedStatus {
    /// The status the emergency status replaced (put back at the end): the
    /// one the agent would have landed in.
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
    /// The agent lands in the emergency status (current, or next while on a
    /// contact): put this one back (on a contact it replaces the next status).
    PutBack(PlatformStatus),
    /// Someone changed the status during the call: theirs stays.
    LeaveTheirs,
    /// Nothing remembered (no override applied, or restored already).
    NothingRemembered,
}

pub fn on_override(
    view: &PlatformView,
    emergency_status: &str,
    remembered: Option<&RememberedStatus>,
    episode: &str,
) -> OverrideStep {
    // On a contact the emergency status set is the next one: "on" when the
    // agent lands in it, whichever of the two holds it.
    let on = view.lands_in().id == emergency_status;
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
            previous: view.lands_in().clone(),
        },
    }
}

pub fn on_restore(
    view: &PlatformView,
    emergency_status: &str,
    remembered: Option<&RememberedStatus>,
) -> RestoreStep {
    match remembered {
        None => RestoreStep::NothingRemembered,
        // A next status other than the emergency one, or a current one with
        // no next, was set by someone else: theirs.
        Some(r) if view.lands_in().id == emergency_status => {
            RestoreStep::PutBack(r.previous.clone())
        }
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

    fn now(current: &str) -> PlatformView {
        PlatformView::settled(status(current))
    }

    /// On a contact: `current`, and `next` when one is set.
    fn on_contact(current: &str, next: Option<&str>) -> PlatformView {
        PlatformView {
            current: status(current),
            next: next.map(status),
            on_contact: true,
        }
    }

    #[test]
    fn the_start_remembers_what_it_replaces_once() {
        assert_eq!(
            on_override(&now("available"), EMERGENCY, None, "c-1"),
            OverrideStep::Apply {
                previous: status("available")
            }
        );
        // Remembered, set failed: the retry sets it, keeping the first memory.
        let m = memory("available", "c-1", false);
        assert_eq!(
            on_override(&now("available"), EMERGENCY, Some(&m), "c-1"),
            OverrideStep::Apply {
                previous: status("available")
            }
        );
        assert_eq!(
            on_override(&now(EMERGENCY), EMERGENCY, Some(&m), "c-1"),
            OverrideStep::MarkApplied
        );
        // Applied: a duplicate start changes nothing, even after a supervisor's change.
        let m = memory("available", "c-1", true);
        assert_eq!(
            on_override(&now("break"), EMERGENCY, Some(&m), "c-1"),
            OverrideStep::Done
        );
        // A memory from an episode whose end was lost does not block a new one.
        assert_eq!(
            on_override(&now("busy"), EMERGENCY, Some(&m), "c-2"),
            OverrideStep::Apply {
                previous: status("busy")
            }
        );
    }

    #[test]
    fn on_a_contact_the_start_remembers_where_the_agent_would_have_landed() {
        // No next status: the current one, which the contact leaves in force.
        assert_eq!(
            on_override(&on_contact("available", None), EMERGENCY, None, "c-1"),
            OverrideStep::Apply {
                previous: status("available")
            }
        );
        // A next status chosen already: that one, not the current.
        assert_eq!(
            on_override(
                &on_contact("available", Some("break")),
                EMERGENCY,
                None,
                "c-1"
            ),
            OverrideStep::Apply {
                previous: status("break")
            }
        );
        // The set made the emergency status the next one: it is on.
        let m = memory("available", "c-1", false);
        assert_eq!(
            on_override(
                &on_contact("available", Some(EMERGENCY)),
                EMERGENCY,
                Some(&m),
                "c-1"
            ),
            OverrideStep::MarkApplied
        );
        assert_eq!(
            on_override(
                &on_contact("available", Some(EMERGENCY)),
                EMERGENCY,
                None,
                "c-1"
            ),
            OverrideStep::Done
        );
    }

    #[test]
    fn the_end_puts_back_the_status_unless_someone_changed_it() {
        let m = memory("available", "c-1", true);
        assert_eq!(
            on_restore(&now(EMERGENCY), EMERGENCY, Some(&m)),
            RestoreStep::PutBack(status("available"))
        );
        assert_eq!(
            on_restore(&now("break"), EMERGENCY, Some(&m)),
            RestoreStep::LeaveTheirs
        );
        assert_eq!(
            on_restore(&now(EMERGENCY), EMERGENCY, None),
            RestoreStep::NothingRemembered
        );
    }

    #[test]
    fn on_a_contact_the_end_replaces_the_pending_emergency_status() {
        let m = memory("available", "c-1", true);
        // Still on the call or in its after-contact work: the next status.
        assert_eq!(
            on_restore(
                &on_contact("available", Some(EMERGENCY)),
                EMERGENCY,
                Some(&m)
            ),
            RestoreStep::PutBack(status("available"))
        );
        // A supervisor chose the next status meanwhile: theirs.
        assert_eq!(
            on_restore(&on_contact("available", Some("break")), EMERGENCY, Some(&m)),
            RestoreStep::LeaveTheirs
        );
        // The emergency status is current but someone set what follows it.
        assert_eq!(
            on_restore(&on_contact(EMERGENCY, Some("break")), EMERGENCY, Some(&m)),
            RestoreStep::LeaveTheirs
        );
        // The next status was cleared: the agent lands in the current one.
        assert_eq!(
            on_restore(&on_contact("available", None), EMERGENCY, Some(&m)),
            RestoreStep::LeaveTheirs
        );
    }
}
