//! The dead letters over an in-memory AWS: one sample of each shape
//! ([`samples`]), gathered, classified, shown and replayed.

mod classify;
mod fake;
mod gather;
mod replay;
mod samples;
mod shown;
