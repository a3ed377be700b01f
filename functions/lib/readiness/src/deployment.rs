//! The checks of the deployment's own resources: the table, the mail
//! identity, the e-mail template, the schedule group, the pools.

pub use lifeline_aws::dynamo::TableState;
pub use lifeline_aws::ses::IdentityState;
use lifeline_domain::notification::{validate, NotificationTemplate};
use lifeline_domain::numbers::Country;

use super::finding::{finding, Finding, Level, DEPLOYMENT};

pub fn check_identity(from: &str, state: IdentityState) -> Finding {
    match state {
        IdentityState::Verified => finding(DEPLOYMENT, "mail identity", Level::Ok, format!("{from} exists and may send"), None),
        IdentityState::Unverified => finding(
            DEPLOYMENT,
            "mail identity",
            Level::Error,
            format!("{from} exists but is not verified for sending"),
            Some("finish the verification e-mail or DNS records in SES".into()),
        ),
        IdentityState::Missing => finding(
            DEPLOYMENT,
            "mail identity",
            Level::Error,
            format!("{from} is not an SES identity: no emergency e-mail can be sent"),
            Some(format!("create and verify it in SES (`aws sesv2 create-email-identity --email-identity {from}`)")),
        ),
    }
}

pub fn check_template(t: &NotificationTemplate) -> Finding {
    let which = if t.version == 0 {
        "the built-in template".to_string()
    } else {
        format!("template version {}", t.version)
    };
    match validate(t) {
        Ok(()) => finding(DEPLOYMENT, "e-mail template", Level::Ok, format!("{which} renders"), None),
        Err(e) => finding(
            DEPLOYMENT,
            "e-mail template",
            Level::Error,
            format!("{which} does not render: {e}"),
            Some("fix it and `lifeline template push` (the notifier falls back to the built-in one meanwhile)".into()),
        ),
    }
}

/// A country's callback-number pool, as looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolLookup {
    pub country: Country,
    /// Free numbers, capped at what the lookup asked for (`low_water + 1`).
    pub free: usize,
    /// Whether the pool has any number at all (free, leased or in
    /// quarantine): an empty pool is exhausted, a missing one never set up.
    pub exists: bool,
}

/// A pool country with no pool at all: its dials are answered `no_pool`.
pub fn check_no_pool(country: Country) -> Finding {
    finding(
        DEPLOYMENT,
        "pool",
        Level::Error,
        format!("no callback-number pool for {country}: emergency calls from there go out with the agent's own number (degraded, reason no_pool)"),
        Some(format!("`lifeline pool add --country {country} …`")),
    )
}

/// `free` is capped at what the lookup asked for (`low_water + 1`).
pub fn check_pool(country: Country, free: usize, low_water: usize) -> Finding {
    let scope = DEPLOYMENT;
    let check = "pool";
    if free == 0 {
        finding(
            scope,
            check,
            Level::Error,
            format!("{country} pool has no free callback number: emergency calls go out with the agent's own number (degraded, reason pool_exhausted)"),
            Some(format!("`lifeline pool add --country {country} +1…`")),
        )
    } else if free < low_water {
        finding(
            scope,
            check,
            Level::Warning,
            format!(
                "{country} pool has {free} free number(s), below the low-water mark of {low_water}"
            ),
            Some(format!("`lifeline pool add --country {country} …`")),
        )
    } else {
        finding(
            scope,
            check,
            Level::Ok,
            format!("{country} pool has at least {free} free number(s)"),
            None,
        )
    }
}

pub fn check_schedule_group(group: &str, exists: bool) -> Finding {
    if exists {
        finding(
            DEPLOYMENT,
            "schedule group",
            Level::Ok,
            format!("{group} exists"),
            None,
        )
    } else {
        finding(
            DEPLOYMENT,
            "schedule group",
            Level::Warning,
            format!(
                "schedule group {group} is missing: leases expire correctly but are not cleaned up"
            ),
            Some("deploy the SAM template (it creates the group) or create it".into()),
        )
    }
}

pub fn check_table(table: &str, t: &TableState) -> Finding {
    match (t.exists, &t.stream) {
        (true, Some(view)) if view == "NEW_AND_OLD_IMAGES" => finding(
            DEPLOYMENT,
            "table",
            Level::Ok,
            format!("{table} exists, stream {view}"),
            None,
        ),
        (true, other) => finding(
            DEPLOYMENT,
            "table",
            Level::Error,
            format!(
                "{table} has {}: presence, e-mail and expiry never run",
                other
                    .as_deref()
                    .map_or("no stream".into(), |v| format!("stream {v}"))
            ),
            Some("enable the stream with NEW_AND_OLD_IMAGES (the SAM template does)".into()),
        ),
        (false, _) => finding(
            DEPLOYMENT,
            "table",
            Level::Error,
            format!("table {table} does not exist"),
            Some("deploy the SAM template, or `lifeline table create` locally".into()),
        ),
    }
}
