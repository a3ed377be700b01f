//! Lifeline's use cases: the services (dial, end, callback, presence, lease,
//! notify) over the ports they need (stores, scheduler, mail, clock, ids,
//! metrics). No AWS types here: the adapters implement the ports.

pub mod clock;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod ids;
pub mod metrics;
pub mod ports;
pub mod service;
pub mod settings;
