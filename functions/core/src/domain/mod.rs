//! Pure domain rules: no I/O, unit-tested without AWS.

pub mod call;
pub mod expiry;
pub mod lease;
pub mod numbers;
pub mod presence;
pub mod route;
pub mod types;
