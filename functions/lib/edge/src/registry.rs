//! The function registry: every Lambda function Lifeline deploys, its
//! logical id in `template.yaml`, what invokes it and the HTTP routes it
//! serves. The local runner routes and invokes by it, the bench builds and
//! measures by it, and tests hold `template.yaml`, the workspace and the docs
//! to it: a new function or route is added here first.

use crate::events::{Rule, INCIDENT_RULE, LEASE_RULE, NOTIFY_RULE, PLATFORM_RULE, PRESENCE_RULE};

/// One Lifeline function: its binary (crate) name, its logical id and its
/// triggers.
#[derive(Debug)]
pub struct Function {
    /// The binary, the crate under `functions/`, the invoke name locally.
    pub name: &'static str,
    /// Its resource in `template.yaml`.
    pub logical_id: &'static str,
    pub triggers: &'static [Trigger],
}

/// What invokes a function.
#[derive(Debug)]
pub enum Trigger {
    /// The HTTP API (payload format 2.0), on these routes.
    Http(&'static [Route]),
    /// A rule on Lifeline's event bus (asynchronously, with retries).
    Bus(Rule),
    /// The table's DynamoDB stream.
    TableStream,
    /// The dial's SQS outbox.
    Outbox,
    /// EventBridge Scheduler, at a lease's expiry.
    Schedule,
    /// An Amazon Connect contact flow (synchronously), and Connect's own
    /// contact events (the end of a contact).
    Connect,
}

/// An HTTP API route: a method and a path, `{name}` standing for one
/// non-empty segment, and what docs/contract.md says of it (generated from
/// here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    /// An example body, or "".
    pub body: &'static str,
    /// What it answers, for the docs.
    pub answer: &'static str,
}

const fn route(method: &'static str, path: &'static str, answer: &'static str) -> Route {
    Route {
        method,
        path,
        body: "",
        answer,
    }
}

const fn route_with_body(
    method: &'static str,
    path: &'static str,
    body: &'static str,
    answer: &'static str,
) -> Route {
    Route {
        method,
        path,
        body,
        answer,
    }
}

const TWILIO_ANSWER: &str = "TwiML, form-encoded in, `X-Twilio-Signature` ([platforms.md](platforms.md#twilio-programmable-voice-and-flex))";

/// The console's routes ([console.md](console.md)): page shells anyone
/// may fetch, and under [`CONSOLE_API`] the data and actions, behind the
/// HTTP API's JWT authorizer.
const CONSOLE_ROUTES: &[Route] = &[
    route("GET", "/console", "the incident board's page (HTML; its data from `/console/api/board`)"),
    route(
        "GET",
        "/console/{page}",
        "`sign-in`, `app.js`, and the pages `pools`, `agents`, `template`, `escalation`, `readiness`, `dead-letters` (HTML shells, no data)",
    ),
    route_with_body(
        "POST",
        "/console/sign-in",
        "username=…&password=…",
        "the token handed to the tab (HTML); `401` wrong user name or password",
    ),
    route("GET", "/console/incidents/{callId}", "an incident's page (HTML shell)"),
    route(
        "GET",
        "/console/api/{view}",
        "a page's content (HTML) for a signed-in user of a group that may see it; `401` no valid token; `403` the group may not",
    ),
    route(
        "GET",
        "/console/api/incidents/{callId}",
        "the incident: timeline, PIDF-LO, the PSAP summary; `404`",
    ),
    route_with_body(
        "POST",
        "/console/api/{view}/{action}",
        "form fields",
        "`{\"message\"}`; `400` problem naming the field, nothing written; `403` the group may not (the security desk changes no configuration); `409` a conflict",
    ),
    route(
        "POST",
        "/console/api/incidents/{callId}/acknowledge",
        "`{\"message\"}` (channel `console`); `403` neither desk nor admin; `404`",
    ),
];

/// The console's routes behind the JWT authorizer.
pub const CONSOLE_API: &str = "/console/api/";

/// Every function, in the order the docs list them.
pub const FUNCTIONS: &[Function] = &[
    Function {
        name: "dial-intake",
        logical_id: "DialIntakeFunction",
        triggers: &[Trigger::Http(&[
            route(
                "POST",
                "/calls/outbound",
                "`emergency` or `continue` ([the dial](#the-dial-post-callsoutbound))",
            ),
            route(
                "POST",
                "/calls/presented",
                "`204` (the record now names what the PSAP saw); `400` naming the field; `409` the `callId` has all its records; `503` store unavailable (retry)",
            ),
        ])],
    },
    Function {
        name: "call-events",
        logical_id: "CallEventsFunction",
        triggers: &[Trigger::Http(&[route(
            "POST",
            "/calls/ended",
            "`204`; `202` kept (the call is not recorded yet); `503` store unavailable (retry)",
        )])],
    },
    Function {
        name: "callback-router",
        logical_id: "CallbackRouterFunction",
        triggers: &[Trigger::Http(&[route(
            "POST",
            "/calls/inbound",
            "`connect_agent` or `continue` ([a callback](#a-callback-post-callsinbound))",
        )])],
    },
    Function {
        name: "ack",
        logical_id: "AckFunction",
        triggers: &[Trigger::Http(&[
            route(
                "GET",
                "/ack/{token}",
                "an alert's acknowledgement page (HTML; JSON with `Accept: application/json`), nothing written; `404` not a valid link; `410` expired; `403` recipient not alerted",
            ),
            route(
                "POST",
                "/ack/{token}",
                "the acknowledgement: `{\"first\",\"you\",\"acknowledgements\"}` (or the page); the same refusals; `503` store unavailable (retry)",
            ),
        ])],
    },
    Function {
        name: "presence-api",
        logical_id: "PresenceApiFunction",
        triggers: &[Trigger::Http(&[
            route(
                "GET",
                "/agents/{agentId}/presence",
                "`{\"agentId\",\"status\",\"override\"}`; `404` unknown agent",
            ),
            route_with_body(
                "PUT",
                "/agents/{agentId}/presence",
                "{\"status\":\"away\"}",
                "the same; `400` naming the allowed statuses",
            ),
            route_with_body(
                "PUT",
                "/agents/{agentId}/location",
                "{\"location\":{…}}",
                "`{\"agentId\",\"location\",\"locationQuality\",\"registeredAt\",\"fresh\"}`; `400` naming the field; `404` unknown agent",
            ),
            route(
                "GET",
                "/agents/{agentId}/location",
                "the same; `404` `no-registered-location`",
            ),
        ])],
    },
    Function {
        name: "console",
        logical_id: "ConsoleFunction",
        triggers: &[Trigger::Http(CONSOLE_ROUTES)],
    },
    Function {
        name: "presence-override",
        logical_id: "PresenceOverrideFunction",
        triggers: &[Trigger::Bus(PRESENCE_RULE)],
    },
    Function {
        name: "callback-lease",
        logical_id: "CallbackLeaseFunction",
        triggers: &[Trigger::Bus(LEASE_RULE), Trigger::Schedule],
    },
    Function {
        name: "notifier",
        logical_id: "NotifierFunction",
        triggers: &[Trigger::Bus(NOTIFY_RULE)],
    },
    Function {
        name: "connect-adapter",
        logical_id: "ConnectAdapterFunction",
        triggers: &[Trigger::Connect],
    },
    Function {
        name: "twilio-adapter",
        logical_id: "TwilioAdapterFunction",
        triggers: &[Trigger::Http(&[
            route("POST", "/twilio/outbound", TWILIO_ANSWER),
            route("POST", "/twilio/inbound", TWILIO_ANSWER),
            route("POST", "/twilio/status", TWILIO_ANSWER),
        ])],
    },
    Function {
        name: "call-outbox",
        logical_id: "CallOutboxFunction",
        triggers: &[Trigger::Outbox],
    },
    Function {
        name: "stream-events",
        logical_id: "StreamEventsFunction",
        triggers: &[Trigger::TableStream],
    },
    Function {
        name: "platform-presence",
        logical_id: "PlatformPresenceFunction",
        triggers: &[Trigger::Bus(PLATFORM_RULE)],
    },
    Function {
        name: "incident-log",
        logical_id: "IncidentLogFunction",
        triggers: &[Trigger::Bus(INCIDENT_RULE)],
    },
];

impl Function {
    /// The HTTP routes it serves (none for an event-driven function).
    pub fn routes(&self) -> impl Iterator<Item = &'static Route> {
        self.triggers.iter().flat_map(|t| match t {
            Trigger::Http(routes) => routes.iter(),
            _ => [].iter(),
        })
    }
}

impl Route {
    /// Whether `path` is this route's path (`{name}`: any one segment).
    pub fn path_matches(&self, path: &str) -> bool {
        let mut want = self.path.split('/');
        let mut got = path.split('/');
        loop {
            match (want.next(), got.next()) {
                (None, None) => return true,
                (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') => {
                    if g.is_empty() {
                        return false;
                    }
                }
                (Some(w), Some(g)) if w == g => {}
                _ => return false,
            }
        }
    }
}

/// The function serving `path`, whatever the method: as the HTTP API's
/// integration would receive it, the function answers a method it does not
/// take (405).
pub fn serving(path: &str) -> Option<&'static Function> {
    // API Gateway routes `/a/b/` as `/a/b`.
    let path = match path.strip_suffix('/') {
        Some(p) if !p.is_empty() => p,
        _ => path,
    };
    FUNCTIONS
        .iter()
        .find(|f| f.routes().any(|r| r.path_matches(path)))
}

/// The function `name` names: its name, its logical id, a deployed name
/// (`lifeline-<stage>-<name>`) or a function ARN (with or without a
/// qualifier).
pub fn named(name: &str) -> Option<&'static Function> {
    let name = match name.split_once(":function:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest),
        None => name,
    };
    FUNCTIONS
        .iter()
        .find(|f| f.name == name || f.logical_id == name)
        .or_else(|| {
            let deployed = name.strip_prefix("lifeline-")?;
            FUNCTIONS
                .iter()
                .find(|f| deployed.ends_with(&format!("-{}", f.name)))
        })
}

/// The functions' names.
pub fn names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.name)
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
