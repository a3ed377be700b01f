//! `connect-adapter`: Amazon Connect onto Lifeline's core. Contact flows
//! invoke it synchronously (an outbound whisper flow before an agent's call is
//! placed, the inbound flow of the callback numbers) and read its answer as
//! `$.External.*`; an EventBridge rule sends it `DISCONNECTED` contact events.
//! A thin translation: the same dial, callback and end services as the
//! webhooks. It fails open: whatever goes wrong, an emergency dial is answered
//! so that the flow places it.
//!
//! The flow's request (`flow`), the attributes it reads back (`attributes`),
//! the lease's fallbacks as Connect reaches them (`fallback`), the adapter
//! (`adapter`) and contact events (`contact_event`); the crate's names are
//! all re-exported here.

mod adapter;
mod attributes;
mod contact_event;
mod fallback;
mod flow;

pub use adapter::{ConnectAdapter, ConnectError, ANSWER_BUDGET};
pub use attributes::{
    fail_open_outbound, fallback_attributes, inbound_attributes, outbound_attributes, Attributes,
};
pub use fallback::{
    connect_fallback, connect_fallbacks, ConnectFallback, FALLBACK_SLOTS, NO_FALLBACK,
};
pub use flow::{agent_from_param, flow_of, flow_request, parse_flow, Flow, FlowRequest};

#[cfg(test)]
mod tests;
