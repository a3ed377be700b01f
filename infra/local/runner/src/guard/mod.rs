//! What the runner asks of a request before any route sees it, so that a web
//! page open in the developer's browser cannot drive it:
//! - the `Host` must name the runner itself (127.0.0.1, localhost, [::1]),
//!   which defeats DNS rebinding (a rebound page's requests name its own host);
//! - no `Origin` header: browsers send one with every cross-site POST and every
//!   `fetch`, while curl, the CLI, SIP proxies and platforms' webhooks do not;
//! - `/_local/*` (but its health) and Lambda's Invoke API path need the run's
//!   token ([`LocalToken`]); the webhook routes keep their own signatures;
//! - a webhook body must be of its route's media type (JSON, or Twilio's
//!   form), so that a page's simple cross-site POST (text/plain, a form) to a
//!   JSON route is refused even if a browser ever left `Origin` out.

#[cfg(test)]
mod tests;
mod token;

pub use token::{LocalToken, TOKEN_HEADER};

use http::header::{CONTENT_TYPE, HOST, ORIGIN};
use http::request::Parts;
use lifeline_edge::registry;
use lifeline_edge::webhook::Problem;
use std::net::IpAddr;

/// AWS SDKs reach Lambda's Invoke API with `<runner>/_local/sdk/<token>` as
/// their endpoint URL: they put the API's path after it, and send no header
/// of ours.
pub const SDK_PREFIX: &str = "/_local/sdk/";
/// Lambda's Invoke API path, up to the function's name.
pub(crate) const INVOKE_API: &str = "/2015-03-31/functions/";
const LOCAL: &str = "/_local/";
const HEALTH: &str = "/_local/health";
const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// Why a request was refused before any route saw it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum Refusal {
    #[error("Host `{0}` is not this runner (127.0.0.1, localhost or [::1]); a DNS-rebound page is refused")]
    ForeignHost(String),
    #[error("a request with an Origin header comes from a web page; the local runner answers no browser")]
    FromAPage,
    #[error("this route needs the runner's token in {TOKEN_HEADER} (LIFELINE_LOCAL_TOKEN, from `source infra/local/env.sh`)")]
    MissingToken,
    #[error("the {TOKEN_HEADER} given is not this run's token (LIFELINE_LOCAL_TOKEN changes at each start)")]
    WrongToken,
    #[error("{path} takes `{expected}` bodies, not `{got}`")]
    WrongMediaType {
        path: String,
        expected: &'static str,
        got: String,
    },
}

impl Refusal {
    /// The answer: 403 for a foreign host or a page, 401 for the token, 415
    /// for the media type.
    pub(crate) fn problem(&self) -> Problem {
        let (status, slug, title) = match self {
            Refusal::ForeignHost(_) => (403, "forbidden-host", "Forbidden host"),
            Refusal::FromAPage => (403, "cross-origin", "Cross-origin request refused"),
            Refusal::MissingToken | Refusal::WrongToken => {
                (401, "local-token", "Local token required")
            }
            Refusal::WrongMediaType { .. } => {
                (415, "unsupported-media-type", "Unsupported media type")
            }
        };
        Problem::new(status, slug, title, self.to_string())
    }
}

/// The kinds of route, by what they require.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// `/_local/health`: up or not, and nothing more.
    Health,
    /// `/_local/sdk/<token>/…`: an SDK's Invoke call, the token in its path.
    Sdk,
    /// The rest of `/_local/*`, and Lambda's Invoke API path.
    Tool,
    /// A Lifeline webhook route: signed, JSON bodies.
    Json,
    /// The Twilio adapter's routes: signed by Twilio, form bodies.
    Twilio,
    /// Pages people open in a browser (an alert's acknowledgement link, the
    /// console): the link or the console's token is the credential; a
    /// same-origin form post or `fetch` carries `Origin`.
    Page,
    /// Anything else (answered 404).
    Other,
}

impl Family {
    fn of(path: &str) -> Family {
        if path == HEALTH {
            Family::Health
        } else if path.starts_with(SDK_PREFIX) {
            Family::Sdk
        } else if path.starts_with(LOCAL) || path == "/_local" || path.starts_with(INVOKE_API) {
            Family::Tool
        } else {
            match registry::serving(path) {
                Some(f) if f.name == "twilio-adapter" => Family::Twilio,
                Some(f) if f.name == "ack" || f.name == "console" => Family::Page,
                Some(_) => Family::Json,
                None => Family::Other,
            }
        }
    }
}

/// The checks, with what they compare against (read once at the start).
#[derive(Debug)]
pub(crate) struct Guard {
    token: LocalToken,
    /// The loopback address the runner listens on.
    listen_ip: IpAddr,
    /// The host of Twilio's public URL when it is a tunnel to the runner
    /// (not loopback): accepted on the Twilio routes only.
    tunnel_host: Option<String>,
}

impl Guard {
    pub(crate) fn new(token: LocalToken, listen_ip: IpAddr, twilio_public_url: &str) -> Self {
        let tunnel_host = twilio_public_url
            .parse::<http::Uri>()
            .ok()
            .and_then(|u| u.host().map(str::to_ascii_lowercase))
            .filter(|h| !is_loopback_name(h.trim_matches(['[', ']'])));
        Guard {
            token,
            listen_ip,
            tunnel_host,
        }
    }

    /// Admits a request's head, or says why not. An SDK's Invoke call loses
    /// its token prefix here, and is routed as Lambda's own path.
    pub(crate) fn admit(&self, parts: &mut Parts) -> Result<(), Refusal> {
        let family = Family::of(parts.uri.path());
        self.check_host(parts, family)?;
        if let Some(origin) = parts.headers.get(ORIGIN) {
            // A page's own form (same origin) may post back to it; nothing
            // from another origin reaches any route.
            let same_origin = origin
                .to_str()
                .ok()
                .and_then(|o| o.parse::<http::Uri>().ok())
                .and_then(|u| u.authority().map(|a| a.as_str().to_string()))
                .is_some_and(|host| self.is_ours(&host, family));
            if !(matches!(family, Family::Page) && same_origin) {
                return Err(Refusal::FromAPage);
            }
        }
        match family {
            Family::Sdk => self.take_path_token(parts),
            Family::Tool => self.check_header_token(parts),
            _ => Ok(()),
        }
    }

    fn check_host(&self, parts: &Parts, family: Family) -> Result<(), Refusal> {
        let header = parts.headers.get(HOST).and_then(|v| v.to_str().ok());
        // An absolute request target names a host too: both must be ours.
        let target = parts.uri.authority().map(|a| a.as_str());
        for host in [header, target].into_iter().flatten() {
            if !self.is_ours(host, family) {
                return Err(Refusal::ForeignHost(host.to_string()));
            }
        }
        match header {
            Some(_) => Ok(()),
            None => Err(Refusal::ForeignHost(String::new())),
        }
    }

    /// Any port: what DNS rebinding changes is the name, and a loopback
    /// forwarder (`ssh -L`, the SIP tests' switch) keeps the name but not the
    /// port.
    fn is_ours(&self, host: &str, family: Family) -> bool {
        let Some(name) = host_name(host) else {
            return false;
        };
        let named_tunnel = self
            .tunnel_host
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(name));
        name.eq_ignore_ascii_case("localhost")
            || name.parse::<IpAddr>().is_ok_and(|ip| ip == self.listen_ip)
            || (family == Family::Twilio && named_tunnel)
    }

    fn check_header_token(&self, parts: &Parts) -> Result<(), Refusal> {
        match parts.headers.get(TOKEN_HEADER) {
            None => Err(Refusal::MissingToken),
            Some(v) if self.token.matches(v.as_bytes()) => Ok(()),
            Some(_) => Err(Refusal::WrongToken),
        }
    }

    /// `/_local/sdk/<token>/2015-03-31/functions/…` becomes
    /// `/2015-03-31/functions/…` (anything else after the token stays where
    /// it is, and is answered 404).
    fn take_path_token(&self, parts: &mut Parts) -> Result<(), Refusal> {
        let rest = &parts.uri.path()[SDK_PREFIX.len()..];
        let (offered, api) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if offered.is_empty() {
            return Err(Refusal::MissingToken);
        }
        if !self.token.matches(offered.as_bytes()) {
            return Err(Refusal::WrongToken);
        }
        if api.starts_with(INVOKE_API) {
            let target = match parts.uri.query() {
                Some(q) => format!("{api}?{q}"),
                None => api.to_string(),
            };
            if let Ok(uri) = target.parse() {
                parts.uri = uri;
            }
        }
        Ok(())
    }
}

/// Refuses a webhook body that is not of its route's media type (parameters
/// such as `; charset=utf-8` allowed). The runner's own routes need the
/// token instead, which a page cannot send without a preflight.
pub(crate) fn check_media_type(parts: &Parts, body: &[u8]) -> Result<(), Refusal> {
    let expected = match Family::of(parts.uri.path()) {
        Family::Json => JSON,
        Family::Twilio => FORM,
        _ => return Ok(()),
    };
    let got = parts
        .headers
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let media_type = got.split(';').next().unwrap_or_default().trim();
    if body.is_empty() || media_type.eq_ignore_ascii_case(expected) {
        return Ok(());
    }
    Err(Refusal::WrongMediaType {
        path: parts.uri.path().to_string(),
        expected,
        got,
    })
}

/// The name in a Host value (`name`, `name:port`, `[v6]` or `[v6]:port`),
/// an IPv6 address without its brackets; `None` if the port is not a number.
fn host_name(host: &str) -> Option<&str> {
    let (name, port) = match host.strip_prefix('[') {
        Some(bracketed) => {
            let (v6, after) = bracketed.split_once(']')?;
            match after {
                "" => (v6, None),
                _ => (v6, Some(after.strip_prefix(':')?)),
            }
        }
        None => match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    (port_ok && !name.is_empty()).then_some(name)
}

fn is_loopback_name(name: &str) -> bool {
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
