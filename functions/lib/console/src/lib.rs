//! Lifeline's web console: the security desk's incident board and the
//! admins' configuration pages, as pure functions of what the services
//! read, and the answers to its requests ([`ConsoleApp`]). Server-rendered,
//! escaped by default, usable by keyboard and on a phone; a little script
//! fetches each page's content with the tab's token. The `console` function
//! serves it; nothing on the call path reads any of this.

pub mod agents;
pub mod answer;
pub mod app;
pub mod board;
pub mod dead_letters;
pub mod escalation;
pub mod form;
pub mod incident;
pub mod layout;
pub mod pages;
pub mod pools;
pub mod ports;
pub mod readiness;
pub mod shell;
pub mod sign_in;
pub mod template;

pub use app::{ConsoleApp, ConsolePorts, ConsoleRequest, ConsoleSettings};
pub use board::{Board, BoardRow};
pub use ports::{Check, DeadLetterError, DeadLetters, LetterLine, ReadinessSource, Verdict};
