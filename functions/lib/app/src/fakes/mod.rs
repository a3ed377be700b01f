//! In-memory implementations of the ports with the same conditional semantics
//! as the DynamoDB adapter, for handler tests and property tests. The store
//! counts calls per operation and can be told to fail, answer slowly, or
//! commit a write and answer after its caller gave up, like DynamoDB.
//! One file per family of ports; every fake is re-exported here.

mod ack;
mod admin;
mod alert;
mod bus;
mod call;
mod dial;
mod escalation;
mod faults;
mod incident;
mod lease;
mod mail;
mod notify;
mod outbox;
mod panicking;
mod presence;
mod recorded;
mod store;
mod template;

pub use alert::{MemoryChat, MemorySms};
pub use bus::{MemoryBus, MemoryFailures};
pub use faults::WriteOp;
pub use incident::{MemoryIncidents, StoredIncident};
pub use lease::MemoryScheduler;
pub use mail::MemoryOutbox;
pub use outbox::MemoryCallOutbox;
pub use panicking::PanickingStore;
pub use recorded::{Emitted, RecordedMetrics, SequenceIds};
pub use store::{MemoryStore, NumberState, State};
