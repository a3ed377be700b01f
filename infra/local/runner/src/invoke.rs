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
