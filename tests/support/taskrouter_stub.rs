//! A stand-in for Twilio TaskRouter's REST API on 127.0.0.1, for the
//! Worker resource as platform presence uses it
//! (https://www.twilio.com/docs/taskrouter/api/worker):
//! - fetch: `GET /v1/Workspaces/{WorkspaceSid}/Workers/{Sid}`, answer the
//!   worker's JSON (`sid`, `activity_sid`, `activity_name`, `available`, …);
//! - update: `POST` to the same path, `application/x-www-form-urlencoded`
//!   `ActivitySid=WA…`, answer the worker's JSON; an unknown activity is a
//!   400, an unknown worker a 404; while the worker has a pending
//!   reservation (a task offered to it) the update is refused with a 400,
//!   Twilio error 20001, unless it also sets `RejectPendingReservations=true`,
//!   which rejects the reservation (the task goes back to its workflow);
//! - HTTP Basic authentication `AccountSid:AuthToken`, else a 401
//!   (https://www.twilio.com/docs/usage/requests-to-twilio); errors as
//!   Twilio's JSON (`code`, `message`, `more_info`, `status`).
//!
//! It keeps each worker's activity and reservations (a test offers a
//! worker a task), records every request (method, path, form,
//! `Authorization` and `Content-Type` headers), and can answer the next
//! requests with a 500. It stops when dropped.

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::stub_server::{json_answer, Answer};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const ACCOUNT_SID: &str = "AC00000000000000000000000000000001";
pub const AUTH_TOKEN: &str = "stub-auth-token";
pub const WORKSPACE_SID: &str = "WS00000000000000000000000000000001";
pub const AVAILABLE: &str = "WA0000000000000000000000000000000a";
pub const EMERGENCY: &str = "WA0000000000000000000000000000000e";
pub const BREAK: &str = "WA0000000000000000000000000000000b";

/// `Authorization` as the API expects it: `Basic base64(AccountSid:AuthToken)`.
pub fn basic_auth() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"))
    )
}

/// One request the stub received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub content_type: Option<String>,
    /// The form body's pairs, in order.
    pub form: Vec<(String, String)>,
    pub authorization: Option<String>,
}

/// A task offered to a worker, and what became of the offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// `WR…`.
    pub sid: String,
    /// `pending`, then `rejected` when an update rejected it.
    pub status: String,
}

#[derive(Default)]
struct State {
    /// Worker SID → activity SID.
    workers: HashMap<String, String>,
    /// Worker SID → the reservations offered to it.
    reservations: HashMap<String, Vec<Reservation>>,
    /// Activity SID → (friendly name, available), the workspace's activities.
    activities: HashMap<String, (String, bool)>,
    seen: Vec<Seen>,
    fail_next: usize,
}

pub struct TaskRouterStub {
    pub url: String,
    state: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TaskRouterStub {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TaskRouterStub {
    /// Starts the stub with the workspace's activities: Available, Emergency
    /// call (`available=false`), Break.
    pub async fn start() -> TaskRouterStub {
        let state = Arc::new(Mutex::new(State {
            activities: [
                (AVAILABLE, "Available", true),
                (EMERGENCY, "Emergency call", false),
                (BREAK, "Break", false),
            ]
            .iter()
            .map(|(sid, name, available)| (sid.to_string(), (name.to_string(), *available)))
            .collect(),
            ..State::default()
        }));
        let shared = state.clone();
        let (url, server) = crate::stub_server::serve(move |req| handle(shared.clone(), req)).await;
        TaskRouterStub { url, state, server }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets a worker's activity as the agent or a supervisor would.
    pub fn set_activity(&self, worker: &str, activity: &str) {
        self.lock()
            .workers
            .insert(worker.to_string(), activity.to_string());
    }

    /// The worker's activity SID now.
    pub fn activity(&self, worker: &str) -> Option<String> {
        self.lock().workers.get(worker).cloned()
    }

    /// Offers the worker a task: a pending reservation, its SID.
    pub fn offer_task(&self, worker: &str) -> String {
        let mut s = self.lock();
        let offered = s.reservations.entry(worker.to_string()).or_default();
        let sid = format!("WR{:032x}", offered.len() + 1);
        offered.push(Reservation {
            sid: sid.clone(),
            status: "pending".into(),
        });
        sid
    }

    /// The reservations offered to the worker.
    pub fn reservations(&self, worker: &str) -> Vec<Reservation> {
        self.lock()
            .reservations
            .get(worker)
            .cloned()
            .unwrap_or_default()
    }

    /// Answers the next `n` requests with a 500.
    pub fn fail_next(&self, n: usize) {
        self.lock().fail_next = n;
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }
}

/// Twilio's error JSON.
fn error(status: StatusCode, code: u32, message: &str) -> Response<Full<Bytes>> {
    json_answer(
        status,
        json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        }),
    )
}

fn worker_json(s: &State, worker: &str, activity: &str) -> Value {
    let (name, available) = s
        .activities
        .get(activity)
        .cloned()
        .unwrap_or_else(|| (activity.to_string(), false));
    json!({
        "sid": worker,
        "account_sid": ACCOUNT_SID,
        "workspace_sid": WORKSPACE_SID,
        "friendly_name": "alice",
        "activity_sid": activity,
        "activity_name": name,
        "available": available,
        "attributes": "{}",
        "date_created": "2026-01-01T00:00:00Z",
        "date_updated": "2026-01-01T00:00:00Z",
        "date_status_changed": "2026-01-01T00:00:00Z",
        "url": format!("https://taskrouter.twilio.com/v1/Workspaces/{WORKSPACE_SID}/Workers/{worker}"),
        "links": {},
    })
}

async fn handle(state: Arc<Mutex<State>>, req: Request<Incoming>) -> Answer {
    let (parts, body) = req.into_parts();
    let body = body.collect().await?.to_bytes();
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    let path = parts.uri.path().to_string();
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    s.seen.push(Seen {
        method: parts.method.to_string(),
        path: path.clone(),
        content_type: header("content-type"),
        form: form.clone(),
        authorization: header("authorization"),
    });
    if s.fail_next > 0 {
        s.fail_next -= 1;
        return Ok(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            20500,
            "Internal Server Error",
        ));
    }
    if header("authorization").as_deref() != Some(basic_auth().as_str()) {
        return Ok(error(StatusCode::UNAUTHORIZED, 20003, "Authenticate"));
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    Ok(match (parts.method.as_str(), segments.as_slice()) {
        (method, ["v1", "Workspaces", ws, "Workers", worker]) if *ws == WORKSPACE_SID => {
            let Some(current) = s.workers.get(*worker).cloned() else {
                return Ok(error(
                    StatusCode::NOT_FOUND,
                    20404,
                    "The requested resource was not found",
                ));
            };
            match method {
                "GET" => json_answer(StatusCode::OK, worker_json(&s, worker, &current)),
                "POST" => update(&mut s, worker, &current, &form),
                _ => error(StatusCode::METHOD_NOT_ALLOWED, 20004, "Method not allowed"),
            }
        }
        _ => error(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        ),
    })
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// An update of the worker: its activity, refused while a reservation is
/// pending unless the update rejects it.
fn update(
    s: &mut State,
    worker: &str,
    current: &str,
    form: &[(String, String)],
) -> Response<Full<Bytes>> {
    let Some(activity) = field(form, "ActivitySid") else {
        return json_answer(StatusCode::OK, worker_json(s, worker, current));
    };
    if !s.activities.contains_key(activity) {
        return error(
            StatusCode::BAD_REQUEST,
            20001,
            "ActivitySid is not a valid activity of the workspace",
        );
    }
    let reject = field(form, "RejectPendingReservations") == Some("true");
    let offered = s.reservations.entry(worker.to_string()).or_default();
    let pending = offered.iter_mut().filter(|r| r.status == "pending");
    if reject {
        pending.for_each(|r| r.status = "rejected".into());
    } else if pending.count() > 0 {
        return error(
            StatusCode::BAD_REQUEST,
            20001,
            "Worker has pending reservations: set RejectPendingReservations to change its activity",
        );
    }
    s.workers.insert(worker.to_string(), activity.to_string());
    json_answer(StatusCode::OK, worker_json(s, worker, activity))
}
