//! Readiness: what must be right before an agent needs to dial 911. Each check
//! is a small pure function from what was looked up to a finding, one check
//! family per module; `gather` makes the lookups over the [`Readiness`] port,
//! one per resource (the table, the identity, the group, each country's pool,
//! the webhook secret's versions), not one per agent, except each agent's
//! registered location (one batch read per agent).

mod agent;
mod aws;
mod call_path;
mod deployment;
mod finding;
mod gather;
mod platform;
mod registered_location;
mod report;
mod webhook_secret;

pub use agent::*;
pub use aws::{gather, AwsReadiness};
pub use call_path::*;
pub use deployment::*;
pub use finding::*;
pub use gather::{gather_from, Readiness};
pub use platform::*;
pub use registered_location::*;
pub use report::*;
pub use webhook_secret::*;

#[cfg(test)]
mod tests;
