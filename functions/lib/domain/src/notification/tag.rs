//! Which recipients an e-mail went to, recorded without their addresses.

use sha2::{Digest, Sha256};

use crate::types::{CallId, Email};

/// A short tag for one recipient of one call's e-mail, to record that it was
/// sent (or refused) without storing the address: the first 6 bytes of
/// SHA-256 over the call id and the address, as hex. Per call, so the same
/// address tags differently on another call.
pub fn recipient_tag(call: &CallId, to: &Email) -> String {
    let mut h = Sha256::new();
    h.update(call.as_str().as_bytes());
    h.update([0u8]);
    h.update(to.as_str().as_bytes());
    hex::encode(&h.finalize()[..6])
}
