//! Twilio's webhook edge: request signatures, form bodies and TwiML.
//!
//! Pure: no I/O. The handlers read the request, call [`Form::parse`] and
//! [`verify`], and answer with one of the TwiML documents built here.

mod form;
mod sid;
mod signature;
mod twiml;

pub use form::Form;
pub use sid::{is_sid, WORKFLOW_SID};
pub use signature::{
    client_identity, expected_signature, verify, TwilioAuthToken, TwilioSignatureError,
};
pub use twiml::{
    dial_clients, dial_clients_verb, dial_number, document, enqueue_task, enqueue_task_verb,
    hangup, hangup_verb, redirect, say_verb,
};

/// The header carrying Twilio's request signature (lower case, as `http` names are).
pub const SIGNATURE_HEADER: &str = "x-twilio-signature";
/// The media type of a TwiML answer.
pub const CONTENT_TYPE: &str = "text/xml";

#[cfg(test)]
mod tests;
