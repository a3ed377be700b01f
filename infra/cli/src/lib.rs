//! The admin CLI's library: the readiness report (`lifeline doctor`) and the
//! dead letters (`lifeline dlq`), which only the CLI (and its end-to-end
//! tests) pull in.

pub mod dlq;
pub mod doctor;

/// A new webhook secret: 64 hex digits from two random UUIDs (256 bits of
/// which 244 random), the length and alphabet the stack generates.
pub fn new_webhook_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}
