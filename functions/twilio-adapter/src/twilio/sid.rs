//! Twilio's resource identifiers (SIDs): two letters naming the kind of
//! resource, then 32 hex digits (`WW0123456789abcdef0123456789abcdef`).

/// A TaskRouter workflow's SID prefix.
pub const WORKFLOW_SID: &str = "WW";

/// Whether `value` is a SID of the kind `prefix` names (`WW` a TaskRouter
/// workflow, `AC` an account, …): the prefix, then 32 hex digits.
pub fn is_sid(value: &str, prefix: &str) -> bool {
    value
        .strip_prefix(prefix)
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}
