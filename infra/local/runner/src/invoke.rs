//! `POST /_local/invoke/<function>`: any function with a raw Lambda event,
//! the Docker-free `sam local invoke`. The event is decoded exactly as the
//! function's runtime decodes it (API Gateway HTTP API events through
//! lambda_http's own request type), the same handler runs, and the answer is
//! what the runtime would return: the output, or the error as
//! `{"errorType", "errorMessage"}` (marked `X-Amz-Function-Error: Unhandled`,
//! as Lambda's Invoke API marks it).

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::request::LambdaRequest;
use lambda_http::Body as LambdaBody;
use lambda_runtime::Diagnostic;
use lifeline_edge::http::WebhookHandler;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;

/// The functions of `template.yaml`: invoke name and SAM logical id.
pub const FUNCTIONS: [(&str, &str); 12] = [
    ("dial-intake", "DialIntakeFunction"),
    ("call-events", "CallEventsFunction"),
    ("callback-router", "CallbackRouterFunction"),
    ("presence-api", "PresenceApiFunction"),
    ("presence-override", "PresenceOverrideFunction"),
    ("callback-lease", "CallbackLeaseFunction"),
    ("notifier", "NotifierFunction"),
    ("connect-adapter", "ConnectAdapterFunction"),
    ("twilio-adapter", "TwilioAdapterFunction"),
    ("call-outbox", "CallOutboxFunction"),
    ("stream-events", "StreamEventsFunction"),
    ("platform-presence", "PlatformPresenceFunction"),
];

/// The invoke name for a name, a logical id, a deployed name
/// (`lifeline-<stage>-<name>`) or a function ARN (with or without a qualifier).
pub fn canonical_name(name: &str) -> Option<&'static str> {
    let name = match name.split_once(":function:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest),
        None => name,
    };
    FUNCTIONS
        .iter()
        .find(|(n, id)| *n == name || *id == name)
        .or_else(|| {
            let deployed = name.strip_prefix("lifeline-")?;
            FUNCTIONS
                .iter()
                .find(|(n, _)| deployed.ends_with(&format!("-{n}")))
        })
        .map(|(n, _)| *n)
}

/// A URL path segment with its `%XX` escapes decoded (an ARN in the path).
pub fn percent_decoded(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%')
            .then(|| segment.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One function as its runtime sees it: the raw event in, output or error out.
#[async_trait::async_trait]
pub trait Invocable: Send + Sync {
    async fn invoke(&self, event: &[u8]) -> Result<Value, Diagnostic>;
}

/// Decodes the event as lambda_runtime does (same error type and message).
fn decode<T: DeserializeOwned>(event: &[u8]) -> Result<T, Diagnostic> {
    const CONTEXT: &str =
        "failed to deserialize the incoming data into the function's payload type";
    let de = &mut serde_json::Deserializer::from_slice(event);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let message = if path == "." {
            format!("{CONTEXT}: {}\n", e.inner())
        } else {
            format!("{CONTEXT}: [{path}] {}\n", e.inner())
        };
        Diagnostic {
            error_type: "&lambda_runtime::deserializer::DeserializeError".into(),
            error_message: message,
        }
    })
}

/// A webhook function behind the HTTP API (payload format 2.0).
pub struct HttpFunction(pub Arc<dyn WebhookHandler>);

#[async_trait::async_trait]
impl Invocable for HttpFunction {
    async fn invoke(&self, event: &[u8]) -> Result<Value, Diagnostic> {
        let request: LambdaRequest = decode(event)?;
        let response = self.0.handle(request.into()).await;
        Ok(http_api_response(response))
    }
}

/// What lambda_http returns to an HTTP API for a handler's response.
fn http_api_response(response: lambda_http::Response<LambdaBody>) -> Value {
    let (parts, body) = response.into_parts();
    let mut out = ApiGatewayV2httpResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    out.headers = parts.headers;
    (out.is_base64_encoded, out.body) = match body {
        LambdaBody::Empty => (false, None),
        b @ LambdaBody::Text(_) => (false, Some(b)),
        b @ LambdaBody::Binary(_) => (true, Some(b)),
        _ => (false, None),
    };
    serde_json::to_value(out).unwrap_or_default()
}

/// A function taking any JSON (several triggers), with its own error type.
pub struct JsonFunction<F>(pub F);

#[async_trait::async_trait]
impl<F, Fut, E> Invocable for JsonFunction<F>
where
    F: Fn(Value) -> Fut + Send + Sync,
    Fut: std::future::Future<Output = Result<Value, E>> + Send,
    E: Into<Diagnostic>,
{
    async fn invoke(&self, event: &[u8]) -> Result<Value, Diagnostic> {
        let payload: Value = decode(event)?;
        (self.0)(payload).await.map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names and logical ids stay those of `template.yaml` (and its binaries).
    #[test]
    fn every_function_is_the_templates() {
        let template = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../template.yaml"
        ))
        .expect("template.yaml");
        let resources: Vec<&str> = template
            .lines()
            .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.ends_with("Function:"))
            .filter(|l| l.trim() != "Function:") // Globals
            .map(|l| l.trim().trim_end_matches(':'))
            .collect();
        assert_eq!(resources.len(), FUNCTIONS.len(), "{resources:?}");
        for (name, id) in FUNCTIONS {
            let at = template
                .find(&format!("\n  {id}:\n"))
                .unwrap_or_else(|| panic!("{id} is not in template.yaml"));
            let binary = template[at..]
                .lines()
                .find_map(|l| l.trim().strip_prefix("Binary: "))
                .unwrap_or_default();
            assert_eq!(binary, name, "{id}");
            assert_eq!(canonical_name(id), Some(name));
            assert_eq!(canonical_name(name), Some(name));
        }
        assert_eq!(canonical_name("nope"), None);
        assert_eq!(canonical_name("lifeline-local-notifier"), Some("notifier"));
        assert_eq!(
            canonical_name("arn:aws:lambda:us-east-1:000000000000:function:lifeline-e2e-1-stream-events:$LATEST"),
            Some("stream-events")
        );
        assert_eq!(
            canonical_name("lifeline-local-call-events"),
            Some("call-events")
        );
        assert_eq!(percent_decoded("arn%3Aaws%3Alambda"), "arn:aws:lambda");
    }
}
