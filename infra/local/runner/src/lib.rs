//! The local runner: serves Lifeline's HTTP routes on 127.0.0.1 with the same
//! handler code the Lambdas run, against the local emulators, with a clock
//! that `POST /_local/clock` moves.

pub mod activity;
mod answers;
pub mod bus;
pub mod invoke;
pub mod outbox;
mod server;
pub mod stream;
mod system;

pub use server::serve;
pub use system::LocalSystem;
