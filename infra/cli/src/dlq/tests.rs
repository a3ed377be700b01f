//! The dead letters over an in-memory AWS: one sample of each shape
//! ([`samples`]), gathered, classified, shown and replayed — only through
//! the stage's own functions ([`owner`]), `--all` once confirmed.

mod classify;
mod consent;
mod fake;
mod gather;
mod owner;
mod replay;
mod samples;
mod shown;
