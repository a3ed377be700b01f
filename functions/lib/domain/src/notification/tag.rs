//! Which recipients a call's alert went to, recorded without their addresses.

use sha2::{Digest, Sha256};

use crate::recipient::Address;
use crate::types::{CallId, Email};

/// A short tag for one recipient of one call's e-mail, to record that it was
/// sent (or refused) without storing the address: the first 6 bytes of
/// SHA-256 over the call id and the address, as hex. Per call, so the same
/// address tags differently on another call.
pub fn recipient_tag(call: &CallId, to: &Email) -> String {
    tag(call, &[to.as_str()])
}

/// [`recipient_tag`] for an address on any channel: an e-mail address tags
/// as it always has (progress recorded before SMS and chat still reads);
/// a number or a webhook with its channel's name, so no two channels share
/// a tag.
pub fn address_tag(call: &CallId, to: &Address) -> String {
    match to {
        Address::Email(e) => recipient_tag(call, e),
        other => tag(call, &[other.channel().as_str(), other.as_str()]),
    }
}

fn tag(call: &CallId, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(call.as_str().as_bytes());
    for p in parts {
        h.update([0u8]);
        h.update(p.as_bytes());
    }
    hex::encode(&h.finalize()[..6])
}
