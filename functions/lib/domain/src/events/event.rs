//! The domain event: one enum whose serde form is the envelope's
//! `detail-type` and `detail`, so the detail-type comes from the variant and
//! decoding is serde's.

use serde::{Deserialize, Serialize};

use super::detail::{
    CallEvent, CallbackEvent, IncidentEvent, LeaseChanged, NotificationEvent, PresenceEvent,
};

/// Every event's `source`.
pub const SOURCE: &str = "lifeline";

/// Declares the events, each once: its variant, its detail's type and its
/// detail-type (the variant's serde name). [`DomainEvent::detail_type`],
/// [`DomainEvent::subject`] and [`DETAIL_TYPES`] follow from the same line,
/// so they cannot drift from what serde writes and reads.
macro_rules! domain_events {
    ($(
        $(#[$doc:meta])*
        $variant:ident($detail:ty) = $detail_type:literal,
    )+) => {
        // A lease change is the big one (two leases); events are handled one
        // at a time, never stored in bulk, so boxing it would buy nothing.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "detail-type", content = "detail")]
        pub enum DomainEvent {
            $(
                $(#[$doc])*
                #[serde(rename = $detail_type)]
                $variant($detail),
            )+
        }

        /// Every detail-type, in the README's order.
        pub const DETAIL_TYPES: [&str; [$($detail_type),+].len()] = [$($detail_type),+];

        impl DomainEvent {
            /// The event's `detail-type` (its variant's serde name).
            pub fn detail_type(&self) -> &'static str {
                match self {
                    $(DomainEvent::$variant(_) => $detail_type,)+
                }
            }

            /// What the event is about, for logs and dead-letter listings: a
            /// call, lease or agent id, never a phone number.
            pub fn subject(&self) -> String {
                match self {
                    $(DomainEvent::$variant(detail) => detail.subject(),)+
                }
            }
        }
    };
}

domain_events! {
    /// An emergency call's record is written (`at`: when dialed).
    CallStarted(CallEvent) = "lifeline.call.started",
    /// The call's record gets its end (`at`: when it ended).
    CallEnded(CallEvent) = "lifeline.call.ended",
    /// The record now names another caller ID: the one the platform
    /// presented (`POST /calls/presented`); `at`: when dialed.
    CallerIdCorrected(CallEvent) = "lifeline.call.caller_id_corrected",
    /// A pool number's lease is created, extended, ended or released.
    LeaseChanged(LeaseChanged) = "lifeline.lease.changed",
    /// A call to a leased callback number was routed to its agent.
    CallbackRouted(CallbackEvent) = "lifeline.callback.routed",
    /// The emergency e-mail went to every recipient.
    NotificationSent(NotificationEvent) = "lifeline.notification.sent",
    /// Some or all recipients refused, or there was nobody to send to.
    NotificationFailed(NotificationEvent) = "lifeline.notification.failed",
    /// Do Not Disturb set for an emergency call.
    PresenceOverridden(PresenceEvent) = "lifeline.presence.overridden",
    /// The agent's last emergency call ended (`status`: the one restored).
    PresenceRestored(PresenceEvent) = "lifeline.presence.restored",
    /// An emergency call's incident is opened (`at`: when dialed).
    IncidentOpened(IncidentEvent) = "lifeline.incident.opened",
    /// The incident's first acknowledgement (later ones are in its timeline).
    IncidentAcknowledged(IncidentEvent) = "lifeline.incident.acknowledged",
    /// The incident's alert was escalated (the first time).
    IncidentEscalated(IncidentEvent) = "lifeline.incident.escalated",
    /// The call ended and its Do Not Disturb is off (or it had none).
    IncidentClosed(IncidentEvent) = "lifeline.incident.closed",
}
