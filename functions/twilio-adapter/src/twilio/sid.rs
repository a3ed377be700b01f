//! Twilio's resource identifiers (SIDs), as the domain defines them.

pub use lifeline_domain::platform::twilio_sid::is as is_sid;
/// A TaskRouter workflow's SID prefix.
pub use lifeline_domain::platform::twilio_sid::WORKFLOW as WORKFLOW_SID;
