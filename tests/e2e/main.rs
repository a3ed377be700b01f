//! The end-to-end suites, one module each, in one test binary (linked once).
//! Each runs against the local emulators (`LIFELINE_E2E=1`, see `infra/test.sh`).

mod ack;
mod alerts;
mod channels;
mod confidentiality;
mod connect;
mod connect_flows;
mod console;
mod console_browser;
mod doctor;
mod escalation;
mod fault_proxy;
mod faults;
mod follow_up;
mod hostile;
mod incident;
mod invoke;
mod lease;
mod location;
mod notify;
mod platform;
mod pool;
mod presence;
mod reused;
mod runner_guard;
mod secrets;
mod sip;
mod spine;
mod store_contract;
mod tier_one;
mod twilio;
