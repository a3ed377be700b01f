//! The local runner: serves Lifeline's HTTP routes on 127.0.0.1 with the same
//! handler code the Lambdas run, against the local emulators, with a clock
//! that `POST /_local/clock` moves. What it asks of each request before a
//! route sees it (its host, no `Origin`, the run's token, the media type) is
//! in `guard`.

pub mod activity;
mod answers;
pub mod bus;
pub mod concurrency;
mod guard;
pub mod invoke;
pub mod outbox;
mod server;
pub mod stream;
mod system;

pub use guard::{LocalToken, SDK_PREFIX, TOKEN_HEADER};
pub use server::{serve, serve_with, ServeOptions};
pub use system::{AlertSenders, LocalSystem};
