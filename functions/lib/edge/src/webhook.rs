//! The webhook edge: Lifeline's signatures ([`signature`]), problem answers
//! ([`problem`]) and the canonical webhooks' request bodies ([`request`]).
//! Everything is re-exported here: `lifeline_edge::webhook::X` is the path
//! other crates use.

pub mod ack_token;
pub mod lenient;
pub mod problem;
pub mod request;
pub mod signature;

pub use ack_token::{
    issue_ack_token, verify_ack_token, AckClaim, AckTokenError, RecipientKey, SignedAckLinks,
    ACK_LINK_VALIDITY,
};
pub use lenient::{parse_outbound_lenient, LenientDial};
pub use problem::{Problem, MAX_BODY_BYTES};
pub use request::{
    parse_ended, parse_inbound, parse_json, parse_location, parse_outbound, parse_presented,
};
pub use signature::{
    SignatureError, Signed, WebhookSecret, AWS_MIN_SECRET_BYTES, MIN_SECRET_BYTES,
    SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECS,
};

#[cfg(test)]
mod tests;
