//! A stand-in for the Amazon Connect API on 127.0.0.1, for the operations
//! platform presence calls, as the API reference defines them:
//! - `GetCurrentUserData`: `POST /metrics/userdata/{InstanceId}`, body
//!   `{"Filters": {"Agents": [user]}}`, answer `{"UserDataList": [{"User":
//!   {"Id"}, "Status": {"StatusArn", "StatusName", "StatusStartTimestamp"},
//!   "NextStatus", "Contacts": [{"ContactId", "Channel", "InitiationMethod",
//!   "AgentContactState", "StateStartTimestamp", …}]}]}`
//!   (https://docs.aws.amazon.com/connect/latest/APIReference/API_GetCurrentUserData.html);
//! - `PutUserStatus`: `PUT /users/{InstanceId}/{UserId}/status`, body
//!   `{"AgentStatusId"}`, answer `{}`; while the user handles a contact
//!   (after-contact work included) it sets the next status, not the current
//!   one (https://docs.aws.amazon.com/connect/latest/APIReference/API_PutUserStatus.html);
//! - `ListAgentStatuses`: `GET /agent-status/{InstanceId}`, answer
//!   `{"AgentStatusSummaryList": [{"Id", "Arn", "Name", "Type"}],
//!   "NextToken"}`, two a page (so that a client must follow the pages).
//!
//! It keeps per user the current status, the next status and the contacts:
//! a test starts a contact, ends it (the agent goes into after-contact work,
//! state `ENDED`) and finishes the after-contact work; when the last contact
//! is gone the next status becomes current. It records every request
//! (method, path, body) and can answer the next requests with a 500. It
//! stops when dropped.

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use serde_json::{json, Value};

use crate::stub_server::{json_answer, Answer};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const INSTANCE: &str = "inst-1";
/// The statuses `ListAgentStatuses` answers per page.
const PAGE: usize = 2;
/// Every timestamp the stub answers (2026-11-24T00:00:00Z, epoch seconds).
const AT: f64 = 1795496400.0;

/// One request the stub received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub body: Value,
}

/// A contact the user handles: `CONNECTED`, or `ENDED` while the agent is
/// in its after-contact work.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Contact {
    id: String,
    state: &'static str,
}

/// A user's data as Connect keeps it.
#[derive(Debug, Clone, Default)]
struct User {
    /// The current status's id.
    status: String,
    /// The next status's id, set while the user handles a contact.
    next: Option<String>,
    contacts: Vec<Contact>,
}

impl User {
    /// What `PutUserStatus` does: the current status, or during a contact
    /// the next one.
    fn put_status(&mut self, id: &str) {
        if self.contacts.is_empty() {
            self.status = id.to_string();
        } else {
            self.next = Some(id.to_string());
        }
    }

    /// The last contact gone: the next status becomes current.
    fn contacts_changed(&mut self) {
        if self.contacts.is_empty() {
            if let Some(next) = self.next.take() {
                self.status = next;
            }
        }
    }
}

#[derive(Default)]
struct State {
    users: HashMap<String, User>,
    /// Status id → name, for the statuses the instance has.
    names: HashMap<String, String>,
    seen: Vec<Seen>,
    fail_next: usize,
}

impl State {
    fn name(&self, id: &str) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    fn user_data(&self, id: &str, u: &User) -> Value {
        let contacts: Vec<Value> = u
            .contacts
            .iter()
            .map(|c| {
                json!({
                    "ContactId": c.id,
                    "Channel": "VOICE",
                    "InitiationMethod": "OUTBOUND",
                    "AgentContactState": c.state,
                    "StateStartTimestamp": AT,
                    "ConnectedToAgentTimestamp": AT,
                })
            })
            .collect();
        let mut data = json!({
            "User": {"Id": id},
            "Status": {
                "StatusArn": status_arn(&u.status),
                "StatusName": self.name(&u.status),
                "StatusStartTimestamp": AT,
            },
            "Contacts": contacts,
        });
        if let Some(next) = &u.next {
            data["NextStatus"] = json!(self.name(next));
        }
        data
    }
}

fn status_arn(id: &str) -> String {
    format!("arn:aws:connect:us-east-1:123456789012:instance/{INSTANCE}/agent-state/{id}")
}

pub struct ConnectStub {
    pub url: String,
    state: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for ConnectStub {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl ConnectStub {
    /// Starts the stub with these agent statuses (id, name) on the instance.
    pub async fn start(statuses: &[(&str, &str)]) -> ConnectStub {
        let state = Arc::new(Mutex::new(State {
            names: statuses
                .iter()
                .map(|(id, name)| (id.to_string(), name.to_string()))
                .collect(),
            ..State::default()
        }));
        let shared = state.clone();
        let (url, server) = crate::stub_server::serve(move |req| handle(shared.clone(), req)).await;
        ConnectStub { url, state, server }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with_user<T>(&self, user: &str, f: impl FnOnce(&mut User) -> T) -> T {
        f(self.lock().users.entry(user.to_string()).or_default())
    }

    /// Sets a user's status as the agent or a supervisor would: during a
    /// contact, like `PutUserStatus`, the next status.
    pub fn set_status(&self, user: &str, id: &str) {
        self.with_user(user, |u| u.put_status(id));
    }

    /// The user's current status id.
    pub fn status(&self, user: &str) -> Option<String> {
        self.lock().users.get(user).map(|u| u.status.clone())
    }

    /// The user's next status id, when one is set.
    pub fn next_status(&self, user: &str) -> Option<String> {
        self.lock().users.get(user).and_then(|u| u.next.clone())
    }

    /// A contact reaches the user (connected).
    pub fn start_contact(&self, user: &str, contact: &str) {
        self.with_user(user, |u| {
            u.contacts.push(Contact {
                id: contact.to_string(),
                state: "CONNECTED",
            })
        });
    }

    /// The contact ends: the agent goes into its after-contact work.
    pub fn end_contact(&self, user: &str, contact: &str) {
        self.with_user(user, |u| {
            for c in u.contacts.iter_mut().filter(|c| c.id == contact) {
                c.state = "ENDED";
            }
        });
    }

    /// The after-contact work is done: the contact is gone, and with the
    /// last one the next status becomes current.
    pub fn finish_after_contact_work(&self, user: &str, contact: &str) {
        self.with_user(user, |u| {
            u.contacts.retain(|c| c.id != contact);
            u.contacts_changed();
        });
    }

    /// Answers the next `n` requests with a 500.
    pub fn fail_next(&self, n: usize) {
        self.lock().fail_next = n;
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }
}

async fn handle(state: Arc<Mutex<State>>, req: Request<Incoming>) -> Answer {
    let (parts, body) = req.into_parts();
    let body = body.collect().await?.to_bytes();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    s.seen.push(Seen {
        method: parts.method.to_string(),
        path: path.clone(),
        body: body.clone(),
    });
    if s.fail_next > 0 {
        s.fail_next -= 1;
        return Ok(json_answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"message": "injected failure"}),
        ));
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    Ok(match (parts.method.as_str(), segments.as_slice()) {
        ("POST", ["metrics", "userdata", instance]) if *instance == INSTANCE => {
            get_current_user_data(&s, &body)
        }
        ("PUT", ["users", instance, user, "status"]) if *instance == INSTANCE => {
            put_user_status(&mut s, user, &body)
        }
        ("GET", ["agent-status", instance]) if *instance == INSTANCE => {
            list_agent_statuses(&s, &query)
        }
        _ => json_answer(
            StatusCode::NOT_FOUND,
            json!({"message": format!("no route {} {path}", parts.method)}),
        ),
    })
}

type Reply = hyper::Response<http_body_util::Full<bytes::Bytes>>;

fn get_current_user_data(s: &State, body: &Value) -> Reply {
    let users: Vec<&str> = body
        .pointer("/Filters/Agents")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    // A user the stub has never seen is not logged in: no data.
    let list: Vec<Value> = users
        .iter()
        .filter_map(|id| s.users.get(*id).map(|u| s.user_data(id, u)))
        .collect();
    json_answer(
        StatusCode::OK,
        json!({"UserDataList": list, "ApproximateTotalCount": list.len()}),
    )
}

fn put_user_status(s: &mut State, user: &str, body: &Value) -> Reply {
    match body.get("AgentStatusId").and_then(Value::as_str) {
        Some(id) if s.names.contains_key(id) => {
            s.users.entry(user.to_string()).or_default().put_status(id);
            json_answer(StatusCode::OK, json!({}))
        }
        _ => json_answer(
            StatusCode::NOT_FOUND,
            json!({"__type": "ResourceNotFoundException", "message": "agent status not found"}),
        ),
    }
}

/// `PAGE` statuses from the `nextToken` query parameter (an index), in
/// the order of their ids.
fn list_agent_statuses(s: &State, query: &str) -> Reply {
    let from: usize = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "nextToken")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut ids: Vec<&String> = s.names.keys().collect();
    ids.sort();
    let page: Vec<Value> = ids
        .iter()
        .skip(from)
        .take(PAGE)
        .map(|id| {
            json!({
                "Id": id,
                "Arn": status_arn(id),
                "Name": s.names[*id],
                "Type": if id.as_str() == "st-available" { "ROUTABLE" } else { "CUSTOM" },
            })
        })
        .collect();
    let mut answer = json!({"AgentStatusSummaryList": page});
    if from + PAGE < ids.len() {
        answer["NextToken"] = json!((from + PAGE).to_string());
    }
    json_answer(StatusCode::OK, answer)
}
