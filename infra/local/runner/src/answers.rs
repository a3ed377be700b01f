//! The handlers' own answer builders, as the runner's response type.

use bytes::Bytes;
use lambda_http::Body as LambdaBody;
use lifeline_edge::webhook::Problem;

pub(crate) fn json(status: u16, v: &serde_json::Value) -> http::Response<Bytes> {
    from_lambda(lifeline_edge::http::json(status, v))
}

pub(crate) fn problem(p: &Problem) -> http::Response<Bytes> {
    from_lambda(lifeline_edge::http::problem(p))
}

pub(crate) fn from_lambda(resp: lambda_http::Response<LambdaBody>) -> http::Response<Bytes> {
    let (parts, body) = resp.into_parts();
    let bytes = match body {
        LambdaBody::Text(t) => Bytes::from(t),
        LambdaBody::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    http::Response::from_parts(parts, bytes)
}
