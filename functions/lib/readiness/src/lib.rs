//! Readiness: what must be right before an agent needs to dial 911 (`lifeline
//! doctor`, and the console). Each check is a small pure function from what
//! was looked up to a finding, one check family per module; `gather_from`
//! makes the lookups over the [`Readiness`] port, one per resource (the table,
//! the identity, the group, each country's pool, the webhook secret's
//! versions), not one per agent, except each agent's registered location (one
//! batch read per agent). Nothing here reads the environment: what the
//! deployment is configured with comes in [`Targets`], filled by the caller.
//! The port answered by the AWS adapters ([`AwsReadiness`], [`gather`]) is
//! behind the `aws` feature.

mod agent;
#[cfg(feature = "aws")]
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
#[cfg(feature = "aws")]
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
