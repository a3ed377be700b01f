//! The readiness checks, each from what was looked up to a finding: one
//! module per check family, and the report over them.

mod agent;
mod call_path;
mod deployment;
mod fixtures;
mod platform;
mod registered_location;
mod report;
mod webhook_secret;
