//! The console's requests, answered: the sign-in page and its form, the
//! page shells (no data in them: an HTTP API's JWT authorizer reads a
//! header, so data comes from `/console/api/…` fetched with
//! `Authorization: Bearer <token>`), the script that does the fetching, and
//! the API itself, which checks the token on every request and the group per
//! action. What a platform or a person sends is never trusted: every answer
//! is escaped HTML or JSON with a strict content security policy.

use std::sync::Arc;

use http::{Method, Response, StatusCode};
use maud::html;

use lifeline_app::clock::Clock;
use lifeline_app::ports::{ConsoleSignIn, IncidentStore, SignInError};
use lifeline_app::service::incident::{IncidentError, IncidentService};
use lifeline_domain::incident::Acknowledgement;
use lifeline_edge::console::auth::verify;
use lifeline_edge::console::{AuthError, ConsoleUser, Group, Jwks, TokenRules};

use crate::board::Board;
use crate::layout::page;

/// How far back the board lists closed incidents.
const BOARD_HOURS: i64 = 12;
const BOARD_LIMIT: usize = 100;
/// How often the board refreshes itself, in milliseconds.
const REFRESH_MS: u32 = 2000;

/// The script every page loads (`/console/app.js`).
const APP_JS: &str = include_str!("app.js");

pub struct ConsoleApp<S: ?Sized> {
    incidents: IncidentService<S>,
    sign_in: Arc<dyn ConsoleSignIn>,
    jwks: Jwks,
    rules: TokenRules,
    clock: Arc<dyn Clock>,
}

/// One request, as the console needs it.
pub struct ConsoleRequest<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

impl<S: IncidentStore + ?Sized> ConsoleApp<S> {
    pub fn new(
        incidents: IncidentService<S>,
        sign_in: Arc<dyn ConsoleSignIn>,
        jwks: Jwks,
        rules: TokenRules,
        clock: Arc<dyn Clock>,
    ) -> Self {
        ConsoleApp {
            incidents,
            sign_in,
            jwks,
            rules,
            clock,
        }
    }

    pub async fn handle(&self, req: ConsoleRequest<'_>) -> Response<String> {
        let path = req.path.trim_end_matches('/');
        match (req.method.as_str(), path) {
            ("GET", "/console/sign-in") => html_answer(StatusCode::OK, sign_in_page(None)),
            ("POST", "/console/sign-in") => self.sign_in(req.body).await,
            ("GET", "/console/app.js") => answer(StatusCode::OK, "text/javascript", APP_JS.into()),
            ("GET", "/console") => html_answer(StatusCode::OK, board_shell()),
            ("GET", "/console/api/board") => match self.user(&req) {
                Ok(user) => self.board(&user).await,
                Err(e) => unauthorized(&e),
            },
            ("POST", p) if p.starts_with("/console/api/incidents/") => match self.user(&req) {
                Ok(user) => self.acknowledge(&user, p).await,
                Err(e) => unauthorized(&e),
            },
            _ => answer(
                StatusCode::NOT_FOUND,
                "text/plain; charset=utf-8",
                "not found".into(),
            ),
        }
    }

    /// The user the request's token signs in.
    fn user(&self, req: &ConsoleRequest<'_>) -> Result<ConsoleUser, AuthError> {
        let token = req.authorization.unwrap_or_default();
        verify(token, &self.jwks, &self.rules, self.clock.now().timestamp())
    }

    async fn sign_in(&self, body: &[u8]) -> Response<String> {
        let mut username = String::new();
        let mut password = String::new();
        for (k, v) in form_urlencoded::parse(body) {
            match k.as_ref() {
                "username" => username = v.into_owned(),
                "password" => password = v.into_owned(),
                _ => {}
            }
        }
        if username.is_empty() || password.is_empty() {
            return html_answer(
                StatusCode::BAD_REQUEST,
                sign_in_page(Some("Enter your user name and password.")),
            );
        }
        match self.sign_in.sign_in(&username, &password).await {
            Ok(tokens) => html_answer(StatusCode::OK, signed_in_page(&tokens.id_token)),
            Err(SignInError::WrongCredentials) => html_answer(
                StatusCode::UNAUTHORIZED,
                sign_in_page(Some("Wrong user name or password.")),
            ),
            Err(SignInError::Challenge(_)) => html_answer(
                StatusCode::FORBIDDEN,
                sign_in_page(Some(
                    "Your account needs attention first (a new password or a second factor): ask an administrator.",
                )),
            ),
            Err(SignInError::Unavailable(_)) => html_answer(
                StatusCode::SERVICE_UNAVAILABLE,
                sign_in_page(Some("Sign-in is unavailable for a moment: try again.")),
            ),
        }
    }

    async fn board(&self, user: &ConsoleUser) -> Response<String> {
        let now = self.clock.now();
        match self
            .incidents
            .board(now - chrono::Duration::hours(BOARD_HOURS), BOARD_LIMIT)
            .await
        {
            Ok(entries) => {
                let can_ack = user.is(Group::SecurityDesk) || user.is(Group::Admin);
                let board = Board::of(&entries).render(now, can_ack);
                answer(
                    StatusCode::OK,
                    "text/html; charset=utf-8",
                    board.into_string(),
                )
            }
            Err(e) => unavailable(&e),
        }
    }

    /// `POST /console/api/incidents/<callId>/acknowledge`.
    async fn acknowledge(&self, user: &ConsoleUser, path: &str) -> Response<String> {
        if !(user.is(Group::SecurityDesk) || user.is(Group::Admin)) {
            return answer(
                StatusCode::FORBIDDEN,
                "text/plain; charset=utf-8",
                "your group may not acknowledge".into(),
            );
        }
        let call = path
            .strip_prefix("/console/api/incidents/")
            .and_then(|rest| rest.strip_suffix("/acknowledge"))
            .and_then(|id| percent_decoded(id).parse().ok());
        let Some(call) = call else {
            return answer(
                StatusCode::NOT_FOUND,
                "text/plain; charset=utf-8",
                "not found".into(),
            );
        };
        let ack = Acknowledgement {
            by: user.username.clone(),
            at: self.clock.now(),
            channel: "console".into(),
        };
        match self.incidents.acknowledge(&call, &ack).await {
            Ok(done) => answer(
                StatusCode::OK,
                "application/json",
                serde_json::json!({ "first": done.first }).to_string(),
            ),
            Err(IncidentError::NoIncident(_)) => answer(
                StatusCode::NOT_FOUND,
                "text/plain; charset=utf-8",
                "no such incident".into(),
            ),
            Err(e) => unavailable(&e),
        }
    }
}

/// `401`: sign in again (why, in words that quote no token).
fn unauthorized(e: &AuthError) -> Response<String> {
    let mut r = answer(
        StatusCode::UNAUTHORIZED,
        "text/plain; charset=utf-8",
        format!("{e}: sign in again"),
    );
    r.headers_mut().insert(
        http::header::WWW_AUTHENTICATE,
        http::HeaderValue::from_static("Bearer"),
    );
    r
}

fn unavailable(e: &IncidentError) -> Response<String> {
    // The store's text names keys, never a number or an address.
    tracing::error!(error = %e, "console: the incidents did not read");
    answer(
        StatusCode::SERVICE_UNAVAILABLE,
        "text/plain; charset=utf-8",
        "the table did not answer: try again".into(),
    )
}

/// `%XX` sequences of a path segment decoded (an invalid one left as is).
fn percent_decoded(s: &str) -> String {
    form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn sign_in_page(message: Option<&str>) -> String {
    page(
        "Sign in",
        None,
        false,
        html! {
            @if let Some(m) = message { p.error role="alert" { (m) } }
            form method="post" action="/console/sign-in" {
                p {
                    label for="username" { "User name" } br;
                    input #username name="username" autocomplete="username" required;
                }
                p {
                    label for="password" { "Password" } br;
                    input #password name="password" type="password" autocomplete="current-password" required;
                }
                button type="submit" { "Sign in" }
            }
        },
    )
    .into_string()
}

/// The page after a sign-in: the script keeps the token for this tab
/// (`sessionStorage`) and goes to the board.
fn signed_in_page(id_token: &str) -> String {
    html! {
        (maud::DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="lifeline-token" content=(id_token);
                title { "Signed in — Lifeline" }
                script src="/console/app.js" {}
            }
            body { p { "Signed in. " a href="/console/" { "Go to the incidents" } } }
        }
    }
    .into_string()
}

/// The board's page: its content comes from `/console/api/board`, again
/// every 2 s.
fn board_shell() -> String {
    page(
        "Incidents",
        Some(""),
        false,
        html! {
            div #board data-src="/console/api/board" data-refresh=(REFRESH_MS) aria-live="polite" {
                p.quiet { "Loading…" }
            }
        },
    )
    .into_string()
}

fn html_answer(status: StatusCode, body: String) -> Response<String> {
    answer(status, "text/html; charset=utf-8", body)
}

/// An answer with the console's headers: no caching, no framing, no
/// referrer, scripts from the console alone.
fn answer(status: StatusCode, content_type: &'static str, body: String) -> Response<String> {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let h = r.headers_mut();
    let set = |h: &mut http::HeaderMap, k: &'static str, v: &'static str| {
        h.insert(k, http::HeaderValue::from_static(v));
    };
    set(h, "content-type", content_type);
    set(h, "cache-control", "no-store");
    set(h, "referrer-policy", "no-referrer");
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(
        h,
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; \
         img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    r
}

#[cfg(test)]
mod tests;
