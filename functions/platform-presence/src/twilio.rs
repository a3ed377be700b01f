//! The agent's activity on Twilio TaskRouter: the worker's `ActivitySid`.
//! API reference, the Worker resource
//! (https://www.twilio.com/docs/taskrouter/api/worker):
//! - fetch: `GET {base}/v1/Workspaces/{WorkspaceSid}/Workers/{WorkerSid}`,
//!   answer JSON with `activity_sid` and `activity_name` (the worker's
//!   current Activity);
//! - update: `POST` to the same URL, an `application/x-www-form-urlencoded`
//!   body `ActivitySid=WA…`, answer the worker's JSON;
//! - HTTP Basic authentication, `AccountSid:AuthToken`
//!   (https://www.twilio.com/docs/usage/requests-to-twilio).
//!
//! Over hyper with rustls on ring and the system's roots: the AWS SDK's
//! own TLS stack, not a second one. The auth token is never logged.
//!
//! Its settings (`settings`), the client (`client`) and what TaskRouter's
//! answers mean (`answer`); the names are all re-exported here.

mod answer;
mod client;
mod settings;

pub use answer::{answer_of, error_of};
pub use client::TaskRouterPresence;
pub use settings::{
    is_sid, AuthToken, TokenSource, TwilioSettings, ACCOUNT_SID_VAR, DEFAULT_TASKROUTER_URL,
    EMERGENCY_ACTIVITY_VAR, TASKROUTER_URL_VAR, WORKSPACE_SID_VAR,
};

#[cfg(test)]
mod tests;
