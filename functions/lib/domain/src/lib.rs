//! Lifeline's pure rules. No async, no AWS, no I/O, no clock reads, no
//! randomness: time, ids and random picks are arguments, so every rule is a
//! plain function a unit test calls.

pub mod ack;
pub mod call;
pub mod chain;
pub mod classify;
pub mod degraded;
pub mod dial;
pub mod escalation;
pub mod events;
pub mod expiry;
pub mod incident;
pub mod lease;
pub mod locale;
pub mod location;
pub mod notification;
pub mod numbers;
pub mod platform;
pub mod presence;
pub mod presented;
pub mod recipient;
pub mod route;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod types;
