//! A stand-in for the Amazon Connect API on 127.0.0.1, for the two
//! operations platform presence calls, as the API reference defines them:
//! - `GetCurrentUserData`: `POST /metrics/userdata/{InstanceId}`, body
//!   `{"Filters": {"Agents": [user]}}`, answer `{"UserDataList": [{"User":
//!   {"Id"}, "Status": {"StatusArn", "StatusName", "StatusStartTimestamp"}}]}`
//!   (https://docs.aws.amazon.com/connect/latest/APIReference/API_GetCurrentUserData.html);
//! - `PutUserStatus`: `PUT /users/{InstanceId}/{UserId}/status`, body
//!   `{"AgentStatusId"}`, answer `{}`
//!   (https://docs.aws.amazon.com/connect/latest/APIReference/API_PutUserStatus.html).
//!
//! It keeps each user's status, records every request (method, path, body),
//! and can answer the next requests with a 500. It stops when dropped.

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use serde_json::{json, Value};

use crate::stub_server::{json_answer, Answer};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const INSTANCE: &str = "inst-1";

/// One request the stub received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub body: Value,
}

#[derive(Default)]
struct State {
    /// User → (status id, name).
    statuses: HashMap<String, (String, String)>,
    /// Status id → name, for the statuses the instance has.
    names: HashMap<String, String>,
    seen: Vec<Seen>,
    fail_next: usize,
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

    /// Sets a user's status as the agent or a supervisor would.
    pub fn set_status(&self, user: &str, id: &str) {
        let mut s = self.lock();
        let name = s.names.get(id).cloned().unwrap_or_else(|| id.to_string());
        s.statuses.insert(user.to_string(), (id.to_string(), name));
    }

    /// The user's status id now.
    pub fn status(&self, user: &str) -> Option<String> {
        self.lock().statuses.get(user).map(|(id, _)| id.clone())
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
            let users: Vec<String> = body
                .pointer("/Filters/Agents")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|u| u.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let list: Vec<Value> = users
                .iter()
                .filter_map(|u| s.statuses.get(u).map(|st| (u, st)))
                .map(|(u, (id, name))| {
                    json!({
                        "User": {"Id": u},
                        "Status": {
                            "StatusArn": format!("arn:aws:connect:us-east-1:123456789012:instance/{INSTANCE}/agent-state/{id}"),
                            "StatusName": name,
                            "StatusStartTimestamp": 1795496400.0,
                        }
                    })
                })
                .collect();
            json_answer(
                StatusCode::OK,
                json!({"UserDataList": list, "ApproximateTotalCount": list.len()}),
            )
        }
        ("PUT", ["users", instance, user, "status"]) if *instance == INSTANCE => {
            match body.get("AgentStatusId").and_then(Value::as_str) {
                Some(id) if s.names.contains_key(id) => {
                    let name = s.names[id].clone();
                    s.statuses.insert(user.to_string(), (id.to_string(), name));
                    json_answer(StatusCode::OK, json!({}))
                }
                _ => json_answer(
                    StatusCode::NOT_FOUND,
                    json!({"__type": "ResourceNotFoundException", "message": "agent status not found"}),
                ),
            }
        }
        _ => json_answer(
            StatusCode::NOT_FOUND,
            json!({"message": format!("no route {} {path}", parts.method)}),
        ),
    })
}
