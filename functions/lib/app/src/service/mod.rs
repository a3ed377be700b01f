//! Services: the use cases, over the ports. No AWS types here.

pub mod ack;
pub mod callback;
pub mod chain;
pub mod dial;
pub mod ended;
pub mod incident;
pub mod lease;
pub mod location;
pub mod notify;
pub mod outbox;
pub mod platform;
pub mod presence;
pub mod unseen;
