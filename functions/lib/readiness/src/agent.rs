//! The checks of an agent's profile: outbound profile, home country,
//! recipients, route.

use lifeline_domain::call::AgentProfile;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::{select_route, TenantSettings};

use super::finding::{agent_scope, finding, Finding, Level};

pub fn check_outbound_profile(a: &AgentProfile) -> Finding {
    match &a.outbound_profile {
        Some(p) => finding(&agent_scope(a), "outbound profile", Level::Ok, format!("outbound voice profile {p}"), None),
        None => finding(
            &agent_scope(a),
            "outbound profile",
            Level::Error,
            "no outbound voice profile: the platform may refuse the emergency call".into(),
            Some(format!(
                "link one to the agent's capacity profile, then `lifeline agent put --id {} … --outbound-profile <name>`",
                a.id
            )),
        ),
    }
}

/// The recognised numbers, as an admin reads them.
pub fn numbers_recognised(c: Country) -> String {
    c.recognised_numbers().join(", ")
}

pub fn check_location(a: &AgentProfile) -> Finding {
    let scope = agent_scope(a);
    match (a.country, &a.other_country) {
        (Some(c), _) => finding(&scope, "location", Level::Ok, format!("{c}: recognises {}", numbers_recognised(c)), None),
        (None, Some(other)) => finding(
            &scope,
            "location",
            Level::Error,
            format!("home country {other} is not supported: emergency dials are passed through without a callback number or e-mail"),
            Some("Lifeline supports US, CA, PR, GB and DK; route this agent's emergency calls through the carrier".into()),
        ),
        (None, None) => finding(
            &scope,
            "location",
            Level::Warning,
            "no home country: dials rely on the desktop's location".into(),
            Some(format!("`lifeline agent put --id {} … --country <code>`", a.id)),
        ),
    }
}

pub fn check_recipients(a: &AgentProfile) -> Finding {
    let n = a.recipients.as_slice().len();
    if n == 0 {
        finding(
            &agent_scope(a),
            "recipients",
            Level::Warning,
            "no notification recipients: nobody is e-mailed when this agent dials an emergency number".into(),
            Some(format!(
                "`lifeline agent recipients set {} \"sup@example.com; security@example.com\"`",
                a.id
            )),
        )
    } else {
        finding(
            &agent_scope(a),
            "recipients",
            Level::Ok,
            // Masked: a chat webhook's URL is a secret, a number personal.
            format!(
                "{} recipient(s): {}",
                a.recipients.len(),
                a.recipients.redacted()
            ),
            None,
        )
    }
}

pub fn check_route(a: &AgentProfile, tenant: TenantSettings) -> Finding {
    let d = select_route(a.number_type, tenant);
    let detail = format!(
        "{} ({}): {}",
        d.route.as_str(),
        a.number_type.as_str(),
        d.reason
    );
    if d.carrier_must_be_configured {
        finding(
            &agent_scope(a),
            "route",
            Level::Warning,
            detail,
            Some("the carrier must be set up for emergency calls on this trunk, or add an emergency direct-routing rule (`lifeline tenant set`)".into()),
        )
    } else {
        finding(&agent_scope(a), "route", Level::Ok, detail, None)
    }
}
