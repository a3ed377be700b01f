//! The console's requests, routed: the sign-in page and its form, the page
//! shells (no data in them: an HTTP API's JWT authorizer reads a header, so
//! data comes from `/console/api/…` fetched with `Authorization: Bearer
//! <token>`), the script that does the fetching, and the API itself, which
//! checks the token on every request and the group per view and action.
//! What a platform or a person sends is never trusted: every answer is
//! escaped HTML or JSON with a strict content security policy.

use std::sync::Arc;

use http::{Method, Response, StatusCode};

use lifeline_app::clock::Clock;
use lifeline_app::ports::{
    AdminStore, ConsoleSignIn, EscalationStore, IncidentStore, LocationStore, TemplateStore,
};
use lifeline_app::service::incident::IncidentService;
use lifeline_edge::console::auth::verify;
use lifeline_edge::console::{AuthError, ConsoleUser, Jwks, TokenRules};

use crate::answer::{self, forbidden, not_found, unauthorized};
use crate::form::{percent_decoded, Form};
use crate::pages::{Needs, Page};
use crate::ports::{DeadLetters, ReadinessSource};
use crate::shell::Shell;

/// The script every page loads (`/console/app.js`).
const APP_JS: &str = include_str!("app.js");

/// What the console reads and writes through: the same ports the CLI and
/// the functions use.
pub struct ConsolePorts {
    pub incidents: Arc<dyn IncidentStore>,
    pub admin: Arc<dyn AdminStore>,
    pub templates: Arc<dyn TemplateStore>,
    pub escalation: Arc<dyn EscalationStore>,
    pub locations: Arc<dyn LocationStore>,
    pub readiness: Arc<dyn ReadinessSource>,
    pub dead_letters: Arc<dyn DeadLetters>,
    pub sign_in: Arc<dyn ConsoleSignIn>,
}

/// The console's settings, read once at cold start.
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    pub jwks: Jwks,
    pub rules: TokenRules,
    /// How long an incident's items are kept (the incident log's retention).
    pub incident_keep: chrono::Duration,
    /// The callback window the notifier's messages state (the preview's).
    pub callback_window: chrono::Duration,
    /// Where chat alerts may go (the notifier's allow-list): recipients are
    /// checked against it as the CLI checks them.
    pub chat_hosts: lifeline_domain::recipient::ChatHosts,
    /// How long a registered location stays fresh.
    pub location_fresh_for: chrono::Duration,
}

pub struct ConsoleApp {
    pub(crate) ports: ConsolePorts,
    pub(crate) incidents: IncidentService<dyn IncidentStore>,
    pub(crate) settings: ConsoleSettings,
    pub(crate) clock: Arc<dyn Clock>,
}

/// One request, as the console needs it.
pub struct ConsoleRequest<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    /// The query string, without `?`.
    pub query: &'a str,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

impl ConsoleApp {
    pub fn new(ports: ConsolePorts, settings: ConsoleSettings, clock: Arc<dyn Clock>) -> Self {
        let incidents = IncidentService::new(
            ports.incidents.clone(),
            clock.clone(),
            settings.incident_keep,
        );
        ConsoleApp {
            ports,
            incidents,
            settings,
            clock,
        }
    }

    pub async fn handle(&self, req: ConsoleRequest<'_>) -> Response<String> {
        let path = req.path.trim_end_matches('/');
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let query = Form::parse(req.query.as_bytes());
        match (req.method.as_str(), segments.as_slice()) {
            ("GET", ["console"]) => Shell::of(Page::Board).answer(),
            ("GET", ["console", "sign-in"]) => crate::sign_in::page(None),
            ("POST", ["console", "sign-in"]) => {
                crate::sign_in::submit(self.ports.sign_in.as_ref(), req.body).await
            }
            ("GET", ["console", "app.js"]) => {
                answer::answer(StatusCode::OK, "text/javascript", APP_JS.into())
            }
            ("GET", ["console", "incidents", id]) => Shell::incident(&percent_decoded(id)).answer(),
            ("GET", ["console", slug]) => match Page::from_slug(slug) {
                Some(page) => Shell::of(page).with_query(&query).answer(),
                None => not_found("this page"),
            },
            ("GET", ["console", "api", rest @ ..]) => match self.user(&req) {
                Ok(user) => self.view(user, rest, &query).await,
                Err(e) => unauthorized(&e),
            },
            ("POST", ["console", "api", rest @ ..]) => match self.user(&req) {
                Ok(user) => self.act(user, rest, &Form::parse(req.body)).await,
                Err(e) => unauthorized(&e),
            },
            _ => not_found("this page"),
        }
    }

    /// The user the request's token signs in.
    fn user(&self, req: &ConsoleRequest<'_>) -> Result<ConsoleUser, AuthError> {
        let token = req.authorization.unwrap_or_default();
        verify(
            token,
            &self.settings.jwks,
            &self.settings.rules,
            self.clock.now().timestamp(),
        )
    }

    /// `GET /console/api/<view>`: a page's content, for who may see it.
    async fn view(&self, user: ConsoleUser, rest: &[&str], query: &Form) -> Response<String> {
        let Some(view) = View::of(rest) else {
            return not_found("this view");
        };
        if !view.needs().allows(&user) {
            return forbidden(view.what());
        }
        match view {
            View::Incident(id) => self.incident_view(&id).await,
            View::Page(Page::Board) => self.board_view(&user).await,
            View::Page(Page::Pools) => self.pools_view(query).await,
            View::Page(Page::Agents) => self.agents_view().await,
            View::Page(Page::Template) => self.template_view(query).await,
            View::Page(Page::Escalation) => self.escalation_view().await,
            View::Page(Page::Readiness) => self.readiness_view().await,
            View::Page(Page::DeadLetters) => self.dead_letters_view(query).await,
        }
    }

    /// `POST /console/api/…`: an action, for who may take it.
    async fn act(&self, user: ConsoleUser, rest: &[&str], form: &Form) -> Response<String> {
        let Some(action) = Action::of(rest) else {
            return not_found("this action");
        };
        if !action.needs().allows(&user) {
            return forbidden(action.what());
        }
        match action {
            Action::Acknowledge(id) => self.acknowledge(&user, &id).await,
            Action::AddNumbers => self.add_numbers(form).await,
            Action::PreviewTemplate => self.preview_template(form).await,
            Action::SaveTemplate => self.save_template(form).await,
            Action::SetDefaultLocale => self.set_default_locale(form).await,
            Action::SaveAgent => self.save_agent(form).await,
            Action::SaveEscalation => self.save_escalation(form).await,
            Action::ReplayDeadLetter => self.replay_dead_letter(&user, form).await,
        }
    }
}

/// What a `GET /console/api/…` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
enum View {
    Incident(String),
    Page(Page),
}

impl View {
    fn of(rest: &[&str]) -> Option<View> {
        match rest {
            ["incidents", id] => Some(View::Incident(percent_decoded(id))),
            [slug] => Page::from_slug(slug).map(View::Page),
            _ => None,
        }
    }

    fn needs(&self) -> Needs {
        match self {
            View::Incident(_) => Needs::Desk,
            View::Page(p) => p.needs(),
        }
    }

    fn what(&self) -> &'static str {
        match self {
            View::Incident(_) => Page::Board.what(),
            View::Page(p) => p.what(),
        }
    }
}

/// What a `POST /console/api/…` does.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Acknowledge(String),
    AddNumbers,
    PreviewTemplate,
    SaveTemplate,
    SetDefaultLocale,
    SaveAgent,
    SaveEscalation,
    ReplayDeadLetter,
}

impl Action {
    fn of(rest: &[&str]) -> Option<Action> {
        Some(match rest {
            ["incidents", id, "acknowledge"] => Action::Acknowledge(percent_decoded(id)),
            ["pools", "add"] => Action::AddNumbers,
            ["template", "preview"] => Action::PreviewTemplate,
            ["template", "save"] => Action::SaveTemplate,
            ["template", "default-locale"] => Action::SetDefaultLocale,
            ["agents", "save"] => Action::SaveAgent,
            ["escalation", "save"] => Action::SaveEscalation,
            ["dead-letters", "replay"] => Action::ReplayDeadLetter,
            _ => return None,
        })
    }

    /// Acknowledging is the desk's; changing configuration (a preview
    /// included: it reads the templates) is an admin's.
    fn needs(&self) -> Needs {
        match self {
            Action::Acknowledge(_) => Needs::Desk,
            _ => Needs::Admin,
        }
    }

    fn what(&self) -> &'static str {
        match self {
            Action::Acknowledge(_) => "acknowledge",
            Action::AddNumbers => "add pool numbers",
            Action::PreviewTemplate | Action::SaveTemplate | Action::SetDefaultLocale => {
                "change the template"
            }
            Action::SaveAgent => "change an agent",
            Action::SaveEscalation => "change the escalation policy",
            Action::ReplayDeadLetter => "replay a dead letter",
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod pages_tests;
