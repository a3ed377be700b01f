//! Lifeline's shared library: pure domain rules, ports, services over the
//! ports, and the AWS adapters that implement them.

pub mod aws_calls;
pub mod clock;
pub mod config;
pub mod doctor;
pub mod domain;
pub mod dynamo;
pub mod http;
pub mod lambda;
#[cfg(any(test, feature = "fakes"))]
pub mod memory;
pub mod metrics;
pub mod notify;
pub mod ports;
pub mod scheduler;
pub mod secrets;
pub mod service;
pub mod ses;
pub mod stream;
pub mod telemetry;
pub mod twilio;
pub mod webhook;
