//! The call path's capacity: the concurrency reserved for the function that
//! takes the dials (the stack's `CallPathReservedConcurrency`) is also its
//! ceiling, and each agent has at most one dial in flight, so fewer than the
//! agents who may dial at once (an evacuation, a mass-casualty incident)
//! leaves some dials refused by Lambda.

use super::finding::{finding, Finding, Level, DEPLOYMENT};

const CHECK: &str = "call path";

/// `reserved`: executions reserved for the function that takes the dials
/// (0: none, the account's unreserved pool); `agents`: every agent in the
/// table.
pub fn check_call_path_concurrency(reserved: u32, agents: usize) -> Finding {
    let reserved_for = |n: u32| {
        format!("{n} concurrent executions reserved for the function that takes the dials")
    };
    if reserved == 0 {
        return finding(
            DEPLOYMENT,
            CHECK,
            Level::Ok,
            "no concurrency reserved for the call path: it shares the account's unreserved pool \
             (CallPathReservedConcurrency 0)"
                .into(),
            None,
        );
    }
    if usize::try_from(reserved).is_ok_and(|r| r >= agents) {
        return finding(
            DEPLOYMENT,
            CHECK,
            Level::Ok,
            format!("{}, for {agents} agent(s)", reserved_for(reserved)),
            None,
        );
    }
    finding(
        DEPLOYMENT,
        CHECK,
        Level::Warning,
        format!(
            "{}, fewer than the {agents} agents: beyond {reserved} dials at once, Lambda refuses \
             the rest before Lifeline runs (the platform fails open: the agent's own number, no \
             record, no e-mail)",
            reserved_for(reserved)
        ),
        Some(format!(
            "raise the stack's CallPathReservedConcurrency to at least {agents} (`sam deploy \
             --parameter-overrides CallPathReservedConcurrency={agents}`; the account's quota \
             must keep 100 unreserved), then set {} to match",
            lifeline_app::settings::table::LIFELINE_CALL_PATH_RESERVED_CONCURRENCY.name
        )),
    )
}
