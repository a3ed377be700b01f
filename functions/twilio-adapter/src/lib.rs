//! `twilio-adapter`: Twilio Programmable Voice (and Flex) onto Lifeline's
//! core. Three webhooks, form-encoded in, TwiML out:
//! - `POST /twilio/outbound`, the TwiML App's Voice URL: the agent's dial;
//! - `POST /twilio/inbound`, each callback number's Voice URL: a call to it
//!   (and the `<Dial action>`/`<Enqueue action>` of each of its legs);
//! - `POST /twilio/status`, the `<Dial action>` of an emergency call: its end.
//!
//! A call to a callback number is never rejected: the agent, then the
//! lease's fallbacks, then the configured last resort
//! (`LIFELINE_TWILIO_LAST_RESORT`: a supervisor's number or a Flex queue)
//! answer it, each ringing for a bounded time.
//!
//! A thin translation onto the same dial, callback and end services as the
//! canonical webhooks. Every request must carry a valid `X-Twilio-Signature`,
//! with one exception that keeps the outbound route failing open: a dial of
//! an emergency number whose signature does not check out (a rotated auth
//! token, a wrong public URL) is still answered with a `<Dial>` of that
//! number, and nothing is recorded for it.
//!
//! One module per route (`outbound`, `inbound`, `status`) over the adapter
//! (`adapter`), its settings (`config`) and Twilio's own formats
//! ([`twilio`]); the crate's names are all re-exported here.

mod adapter;
mod config;
mod inbound;
mod outbound;
mod status;
pub mod twilio;

pub use adapter::{TwilioAdapter, ANSWER_BUDGET};
pub use config::{
    LastResort, PublicUrl, TwilioConfig, TwilioConfigError, LAST_RESORT_VAR, LOCAL_LAST_RESORT,
};
pub use inbound::{
    callback_targets, callback_task, last_resort_task, leg_answered, InboundStep, NumberState,
    CALLBACK_TASK_PRIORITY, HOLD_MESSAGE, LAST_RESORT_ROUNDS, NOBODY_MESSAGE,
};
pub use outbound::{
    fail_open_twiml, no_caller_id, outbound_request, outbound_twiml, OutboundRequest, NO_CALLER_ID,
};

#[cfg(test)]
mod tests;
