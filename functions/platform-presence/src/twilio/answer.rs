//! What TaskRouter's answers mean: the worker's activity, or an error that
//! is retried (`Unavailable`) or not (`Refused`).

use http::StatusCode;
use serde::Deserialize;

use lifeline_app::ports::PlatformError;
use lifeline_domain::platform::PlatformStatus;

/// The worker's JSON, the fields read (the Worker resource's properties).
#[derive(Debug, Deserialize)]
struct Worker {
    activity_sid: Option<String>,
    activity_name: Option<String>,
}

/// Twilio's error JSON (`code`, `message`, `more_info`, `status`): the code only.
#[derive(Debug, Deserialize)]
struct TwilioError {
    code: Option<u64>,
}

/// What an answer to a fetch or an update means: the worker's activity, or
/// why not. 429 and 5xx are `Unavailable` (retried); 400, 401, 403, 404
/// (and any other refusal) are `Refused`.
pub fn answer_of(status: StatusCode, body: &[u8]) -> Result<PlatformStatus, PlatformError> {
    if !status.is_success() {
        return Err(error_of(status, body));
    }
    let worker: Worker = serde_json::from_slice(body).map_err(|e| {
        PlatformError::Unavailable(format!("TaskRouter answered {status} with no worker: {e}"))
    })?;
    match worker.activity_sid.filter(|s| !s.is_empty()) {
        Some(id) => Ok(PlatformStatus {
            id,
            name: worker.activity_name.unwrap_or_default(),
        }),
        None => Err(PlatformError::Unavailable(format!(
            "TaskRouter answered {status} with a worker without activity_sid"
        ))),
    }
}

/// A refusal or failure, with Twilio's error code when it gave one.
pub fn error_of(status: StatusCode, body: &[u8]) -> PlatformError {
    let code = serde_json::from_slice::<TwilioError>(body)
        .ok()
        .and_then(|e| e.code)
        .map(|c| format!(" (Twilio error {c})"))
        .unwrap_or_default();
    let what = format!("TaskRouter answered {status}{code}");
    // 409: the worker changed under us (a concurrent update); retried.
    if status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::CONFLICT
        || status.is_server_error()
    {
        PlatformError::Unavailable(what)
    } else {
        PlatformError::Refused(what)
    }
}
