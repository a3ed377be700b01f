//! The dead letters over an in-memory AWS: one sample of each shape
//! ([`samples`]), gathered, classified, shown and replayed — only through
//! the stage's own functions ([`owner`]), `--all` once confirmed; and the
//! console's calls ([`console`]), which do as the CLI does.

mod classify;
mod consent;
mod console;
mod fake;
mod gather;
mod owner;
mod replay;
mod samples;
mod shown;
