//! The console's answers against the in-memory incidents, with tokens
//! signed by the test key.

use super::*;
use async_trait::async_trait;
use lifeline_app::clock::FixedClock;
use lifeline_app::fakes::{MemoryIncidents, MemoryStore};
use lifeline_app::ports::{SignInError, SignedIn};
use lifeline_domain::incident::{Entry, EntryKind};
use lifeline_domain::testing::{at, call};
use lifeline_edge::console::testing::{test_jwks, test_rules, test_token};
use serde_json::json;

struct OneUser;

#[async_trait]
impl ConsoleSignIn for OneUser {
    async fn sign_in(&self, username: &str, password: &str) -> Result<SignedIn, SignInError> {
        if (username, password) == ("desk", "right") {
            Ok(SignedIn {
                id_token: "the.id.token".into(),
                access_token: "the.access.token".into(),
                expires_in: 3600,
            })
        } else {
            Err(SignInError::WrongCredentials)
        }
    }
}

fn t0() -> chrono::DateTime<chrono::Utc> {
    at("2026-11-24T05:00:00Z")
}

struct NoChecks;

#[async_trait]
impl crate::ReadinessSource for NoChecks {
    async fn checks(
        &self,
        _now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<crate::Check>, String> {
        Ok(vec![crate::Check {
            scope: "deployment".into(),
            check: "table".into(),
            verdict: crate::Verdict::Error,
            detail: "the table lifeline-local does not exist".into(),
            fix: Some("deploy the stack".into()),
        }])
    }
}

struct NoLetters;

#[async_trait]
impl crate::DeadLetters for NoLetters {
    async fn list(&self) -> Result<Vec<crate::LetterLine>, crate::DeadLetterError> {
        Ok(vec![])
    }
    async fn show(&self, id: &str) -> Result<String, crate::DeadLetterError> {
        Err(crate::DeadLetterError::NotFound(id.into()))
    }
    async fn replay(&self, id: &str) -> Result<String, crate::DeadLetterError> {
        Err(crate::DeadLetterError::NotFound(id.into()))
    }
}

/// The app on an in-memory store (`c-1` dialed by `a-42`), and the store.
pub(crate) async fn app_with_store() -> (ConsoleApp, Arc<MemoryIncidents>, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    store.with_state(|s| {
        s.calls
            .insert("c-1".parse().unwrap(), call("c-1", "a-42", t0()))
    });
    let incidents = Arc::new(MemoryIncidents::new(store.clone()));
    let clock = Arc::new(FixedClock::at(t0() + chrono::Duration::seconds(30)));
    let ports = ConsolePorts {
        incidents: incidents.clone(),
        admin: store.clone(),
        templates: store.clone(),
        escalation: store.clone(),
        locations: store.clone(),
        readiness: Arc::new(NoChecks),
        dead_letters: Arc::new(NoLetters),
        sign_in: Arc::new(OneUser),
    };
    let settings = ConsoleSettings {
        jwks: test_jwks(),
        rules: test_rules(),
        incident_keep: chrono::Duration::hours(6),
        callback_window: chrono::Duration::minutes(60),
        chat_hosts: lifeline_domain::recipient::ChatHosts::parse("hooks.slack.com").unwrap(),
        location_fresh_for: chrono::Duration::hours(12),
    };
    let app = ConsoleApp::new(ports, settings, clock);
    app.incidents
        .add(
            &"c-1".parse().unwrap(),
            &"a-42".parse().unwrap(),
            Entry::new(t0(), EntryKind::Dialed, "call"),
        )
        .await
        .unwrap();
    (app, incidents, store)
}

async fn app() -> (ConsoleApp, Arc<MemoryIncidents>) {
    let (app, incidents, _) = app_with_store().await;
    (app, incidents)
}

pub(crate) async fn send(
    app: &ConsoleApp,
    method: Method,
    path: &str,
    token: Option<String>,
    body: &str,
) -> Response<String> {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let auth = token.map(|t| format!("Bearer {t}"));
    app.handle(ConsoleRequest {
        method: &method,
        path,
        query,
        authorization: auth.as_deref(),
        body: body.as_bytes(),
    })
    .await
}

pub(crate) fn token(groups: &[&str]) -> String {
    test_token("desk", groups, t0().timestamp() + 3600, json!({}))
}

#[tokio::test]
async fn the_api_answers_a_valid_token_only() {
    let (app, _) = app().await;
    let r = send(&app, Method::GET, "/console/api/board", None, "").await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let expired = test_token("desk", &["security-desk"], t0().timestamp(), json!({}));
    let r = send(&app, Method::GET, "/console/api/board", Some(expired), "").await;
    assert_eq!(r.status(), 401, "{}", r.body());
    let foreign = test_token(
        "desk",
        &["admin"],
        t0().timestamp() + 3600,
        json!({"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"}),
    );
    assert_eq!(
        send(&app, Method::GET, "/console/api/board", Some(foreign), "")
            .await
            .status(),
        401
    );
    let r = send(
        &app,
        Method::GET,
        "/console/api/board",
        Some(token(&["security-desk"])),
        "",
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.body().contains("Agent a-42"), "{}", r.body());
    assert!(r.body().contains("Acknowledge</button>"));
    // Every answer: no caching, scripts from the console alone.
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
}

#[tokio::test]
async fn the_desk_acknowledges_on_the_incident_and_a_user_of_no_group_may_not() {
    let (app, incidents) = app().await;
    let path = "/console/api/incidents/c-1/acknowledge";
    let r = send(&app, Method::POST, path, Some(token(&[])), "").await;
    assert_eq!(r.status(), 403);
    let r = send(
        &app,
        Method::POST,
        path,
        Some(token(&["security-desk"])),
        "",
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.body());
    assert!(r.body().contains("escalation stops here"), "{}", r.body());
    let head = incidents.with(|all| {
        all.get(&"c-1".parse().unwrap())
            .and_then(|i| i.head.clone())
    });
    let ack = head
        .and_then(|(h, _)| h.acknowledged)
        .expect("acknowledged");
    assert_eq!((ack.by.as_str(), ack.channel.as_str()), ("desk", "console"));
    let r = send(
        &app,
        Method::POST,
        "/console/api/incidents/c-404/acknowledge",
        Some(token(&["admin"])),
        "",
    )
    .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn signing_in_hands_the_token_to_the_tab_and_a_wrong_password_is_refused() {
    let (app, _) = app().await;
    let r = send(&app, Method::GET, "/console/sign-in", None, "").await;
    assert!(
        r.body().contains("<label for=\"password\">"),
        "{}",
        r.body()
    );
    let r = send(
        &app,
        Method::POST,
        "/console/sign-in",
        None,
        "username=desk&password=right",
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.body()
            .contains(r#"<meta name="lifeline-token" content="the.id.token">"#),
        "{}",
        r.body()
    );
    let r = send(
        &app,
        Method::POST,
        "/console/sign-in",
        None,
        "username=desk&password=nope",
    )
    .await;
    assert_eq!(r.status(), 401);
    assert!(r.body().contains("Wrong user name or password."));
    assert!(!r.body().contains("nope"), "the password is never echoed");
    let r = send(
        &app,
        Method::POST,
        "/console/sign-in",
        None,
        "username=desk",
    )
    .await;
    assert_eq!(r.status(), 400);
    // The shell carries no data; the script is served as a script.
    let r = send(&app, Method::GET, "/console/", None, "").await;
    assert!(r.body().contains("data-src=\"/console/api/board\"") && !r.body().contains("a-42"));
    let r = send(&app, Method::GET, "/console/app.js", None, "").await;
    assert_eq!(r.headers()["content-type"], "text/javascript");
}
