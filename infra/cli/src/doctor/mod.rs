//! Readiness: what must be right before an agent needs to dial 911. Each check
//! is a small pure function from what was looked up to a finding; `gather`
//! makes the lookups over the [`Readiness`] port, one per resource (the
//! table, the identity, the group, each country's pool), not one per agent,
//! except each agent's registered location (one batch read per agent).

mod aws;
mod checks;
mod gather;

pub use aws::{gather, AwsReadiness};
pub use checks::*;
pub use gather::{gather_from, Readiness};

#[cfg(test)]
mod tests;
