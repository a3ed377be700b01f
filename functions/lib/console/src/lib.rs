//! The console's pages, as pure functions of what the services read: each
//! page's view model (what a person sees, masked as the CLI masks) and its
//! HTML. Server-rendered, escaped by default, readable without script (a
//! little script only refreshes the board), usable by keyboard and on a
//! phone. The `console` function serves them; nothing on the call path
//! reads any of this.

pub mod app;
pub mod board;
pub mod layout;

pub use app::{ConsoleApp, ConsoleRequest};
pub use board::{Board, BoardRow};
