//! Lifeline's domain events (pure): what a committed change of the table
//! means, published on Lifeline's event bus for its own side effects and for
//! any rule a customer adds (SIEM, chat, paging).
//!
//! Each event is `source: lifeline`, a `detail-type` naming it, and a
//! `detail` whose `version` is its schema's (README "Events"). A new field
//! is added within a version; a removed or re-typed one makes a new version.
//! No event carries an agent's own number, an address or an e-mail address:
//! pool numbers (the contact center's) are the only phone numbers in them.
//!
//! A new event is a line in `domain_events!` (`event.rs`: variant, detail
//! type, detail-type), its detail's struct with its `subject` (`detail.rs`),
//! the change that produces it (`events_of`, `change.rs`), a sample
//! `events/<detail-type>.json`, and its consumers.

mod change;
mod detail;
mod event;

pub use change::{events_of, CallFacts, ItemChange, PresenceFacts};
pub use detail::{
    CallEvent, CallbackEvent, IncidentEvent, LeaseChanged, LeaseSnapshot, NotificationEvent,
    PresenceEvent, VERSION,
};
pub use event::{DomainEvent, DETAIL_TYPES, SOURCE};

#[cfg(test)]
mod docs_tests;
#[cfg(test)]
mod incident_tests;
#[cfg(test)]
mod tests;
