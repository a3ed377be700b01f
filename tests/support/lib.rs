//! End-to-end rig: a local runner (the same handlers the Lambdas run) on an
//! ephemeral 127.0.0.1 port, over a fresh table in DynamoDB Local. Each test
//! gets its own table, so tests run in parallel. `./infra/test.sh` starts the
//! emulators and exports their endpoints.

mod broken;
mod browser;
pub mod chat_sink;
mod client;
mod cognito;
pub mod connect_stub;
pub mod contract;
pub mod fault_proxy;
mod rig;
mod ses;
pub mod sip;
pub mod stub_server;
pub mod taskrouter_stub;

pub use broken::*;
pub use browser::Browser;
pub use chat_sink::ChatSink;
pub use client::*;
pub use cognito::{cognito, LocalPool};
pub use rig::*;
pub use ses::*;
pub use stub_server::serve_html;

use lifeline_domain::call::AgentProfile;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::NumberType;
use serde_json::Value;

/// DynamoDB Local's endpoint, as `infra/test.sh` exports it (a test's
/// failure, saying how to get one, when it is not set).
pub fn dynamodb_endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .expect("end-to-end tests need DynamoDB Local: run ./infra/test.sh (it starts the emulators and sets AWS_ENDPOINT_URL_DYNAMODB)")
}

pub const NOTIFY_FROM: &str = "lifeline@example.com";

pub const US_POOL: [&str; 5] = [
    "+14255550190",
    "+14255550191",
    "+14255550192",
    "+14255550193",
    "+14255550194",
];

pub fn agent(id: &str, country: Country, number_type: NumberType, source: &str) -> AgentProfile {
    AgentProfile {
        country: Some(country),
        source_number: source.parse().expect("source number"),
        number_type,
        ..lifeline_domain::testing::agent(id)
    }
}

pub fn dial(call: &str, agent: &str, dialed: &str) -> Value {
    serde_json::json!({"callId": call, "agentId": agent, "dialed": dialed, "from": "+14255550100",
        "location": {"country": "US", "address": "1 Main St, Redmond WA", "lat": 47.6, "lon": -122.1},
        "timestamp": chrono::Utc::now().to_rfc3339()})
}

pub fn inbound(to: &str) -> Value {
    serde_json::json!({"callId": "c-in", "to": to, "from": "+12065550911", "sipPriority": "psap-callback"})
}

pub fn ended(call: &str, agent: &str) -> Value {
    serde_json::json!({"callId": call, "agentId": agent, "timestamp": chrono::Utc::now().to_rfc3339()})
}

/// The nearest-rank percentile `p` (0..=1) of `values` (sorted here): the
/// figures examples' one definition.
pub fn percentile(values: &mut [std::time::Duration], p: f64) -> Option<std::time::Duration> {
    values.sort();
    let rank = ((p * values.len() as f64).ceil() as usize).max(1);
    values.get(rank - 1).copied()
}
