//! The way back in through a function: a synchronous Lambda `Invoke`.

use aws_sdk_lambda::types::InvocationType;

use super::clients::DeadLetterClients;
use super::error::{sdk_failure, DlqError};

/// What a synchronous invocation answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// `Handled`/`Unhandled` when the function failed (Lambda's `FunctionError`).
    pub function_error: Option<String>,
    /// The function's result (or its error object); a non-JSON answer as a string.
    pub payload: serde_json::Value,
}

impl DeadLetterClients {
    /// Invokes `function` (name or ARN) synchronously with `payload`.
    pub async fn invoke(
        &self,
        function: &str,
        payload: &serde_json::Value,
    ) -> Result<Invocation, DlqError> {
        let body = serde_json::to_vec(payload).map_err(|e| DlqError::Failed {
            operation: "Invoke",
            target: function.to_string(),
            detail: format!("the payload could not be serialized: {e}"),
        })?;
        let out = self
            .lambda
            .invoke()
            .function_name(function)
            .invocation_type(InvocationType::RequestResponse)
            .payload(aws_smithy_types::Blob::new(body))
            .send()
            .await
            .map_err(|e| sdk_failure("Invoke", function, e))?;
        let answer = out.payload().map(|b| b.as_ref()).unwrap_or_default();
        Ok(Invocation {
            function_error: out.function_error().map(str::to_string),
            payload: parse_answer(answer),
        })
    }
}

/// A function's answer as JSON; anything else (empty, plain text) as a string.
pub fn parse_answer(answer: &[u8]) -> serde_json::Value {
    serde_json::from_slice(answer)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(answer).into_owned()))
}
