//! The admin CLI's library: the readiness report (`lifeline doctor`), which
//! only the CLI (and its end-to-end test) pulls in.

pub mod doctor;
