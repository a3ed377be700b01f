//! Lifeline's edge: what stands between a trigger and the services. Webhook
//! signatures, problem+json, request parsing, configuration read at cold
//! start, the Lambda/HTTP/stream wiring, and structured logs.

pub mod config;
#[cfg(feature = "console")]
pub mod console;
#[cfg(test)]
mod docs_tests;
pub mod events;
#[cfg(any(test, feature = "fakes"))]
pub mod fixtures;
pub mod http;
pub mod lambda;
pub mod registry;
pub mod secret;
pub mod stream;
pub mod telemetry;
pub mod webhook;
