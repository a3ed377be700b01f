//! The local runner refuses what a web page in the developer's browser could
//! send it: a foreign `Host` (DNS rebinding), any `Origin`, `/_local/*` and
//! Lambda's Invoke path without the run's token, a webhook body of another
//! media type (a simple cross-site POST). Each refusal is checked to have
//! reached nothing: no DynamoDB request from the handlers, no call record,
//! the clock where it was.

use lifeline_e2e::{dial, start, Local};
use lifeline_edge::webhook::{Signed, SIGNATURE_HEADER};
use lifeline_local::TOKEN_HEADER;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

/// A request as a page (or anyone) could build it: these headers, this body.
async fn send(
    l: &Local,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", l.base))
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("the runner answers");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let json = resp.json().await.unwrap_or(Value::Null);
    (status, content_type, json)
}

/// A valid signature of `body` POSTed to `path`, now.
fn signature(l: &Local, path: &str, body: &str) -> String {
    l.secret.sign(
        chrono::Utc::now().timestamp(),
        Signed::post(path, body.as_bytes()),
    )
}

fn assert_problem(got: &(u16, String, Value), status: u16, kind: &str) {
    let (s, content_type, body) = got;
    assert_eq!(*s, status, "{body}");
    assert_eq!(content_type, "application/problem+json", "{body}");
    assert_eq!(
        body["type"],
        format!("urn:lifeline:problem:{kind}"),
        "{body}"
    );
}

/// A page whose name was rebound to 127.0.0.1 sends its own name as the
/// Host: a signed dial and a signed read of a registered location, and even
/// a request carrying the token, are refused before any handler runs.
#[tokio::test]
async fn a_foreign_host_is_refused_and_nothing_is_read_or_written() {
    let l = start(1).await;
    let body = dial("rb-1", "a-42", "911").to_string();
    let sig = signature(&l, "/calls/outbound", &body);
    let evil = "rebound.evil.example:3000";
    let headers = [
        ("host", evil),
        ("content-type", "application/json"),
        (SIGNATURE_HEADER, sig.as_str()),
    ];
    let got = send(
        &l,
        reqwest::Method::POST,
        "/calls/outbound",
        &headers,
        &body,
    )
    .await;
    assert_problem(&got, 403, "forbidden-host");
    let get_sig = l.secret.sign(
        chrono::Utc::now().timestamp(),
        Signed::new("GET", "/agents/a-42/location", b""),
    );
    let read = [("host", evil), (SIGNATURE_HEADER, get_sig.as_str())];
    let got = send(&l, reqwest::Method::GET, "/agents/a-42/location", &read, "").await;
    assert_problem(&got, 403, "forbidden-host");
    let with_token = [("host", evil), (TOKEN_HEADER, l.token.as_str())];
    let got = send(&l, reqwest::Method::GET, "/_local/clock", &with_token, "").await;
    assert_problem(&got, 403, "forbidden-host");
    assert_eq!(l.calls.total(), 0, "{:?}", l.calls.snapshot());
    assert!(!l.call_recorded("rb-1").await);
    // The same dial with the runner's own name goes through.
    let ok = [
        ("host", "localhost"),
        ("content-type", "application/json"),
        (SIGNATURE_HEADER, sig.as_str()),
    ];
    let got = send(&l, reqwest::Method::POST, "/calls/outbound", &ok, &body).await;
    assert_eq!(
        (got.0, &got.2["action"]),
        (200, &json!("emergency")),
        "{}",
        got.2
    );
}

/// A page's cross-site POST carries its Origin: refused, even with a valid
/// signature (a page could have obtained one), and no call is recorded.
#[tokio::test]
async fn a_post_from_a_page_is_refused_even_when_signed() {
    let l = start(1).await;
    let body = dial("or-1", "a-42", "911").to_string();
    let sig = signature(&l, "/calls/outbound", &body);
    let headers = [
        ("origin", "https://evil.example"),
        ("content-type", "application/json"),
        (SIGNATURE_HEADER, sig.as_str()),
    ];
    let got = send(
        &l,
        reqwest::Method::POST,
        "/calls/outbound",
        &headers,
        &body,
    )
    .await;
    assert_problem(&got, 403, "cross-origin");
    let to_clock = [("origin", "null"), (TOKEN_HEADER, l.token.as_str())];
    let got = send(
        &l,
        reqwest::Method::POST,
        "/_local/clock",
        &to_clock,
        r#"{"advanceMinutes":61}"#,
    )
    .await;
    assert_problem(&got, 403, "cross-origin");
    assert_eq!(l.calls.total(), 0, "{:?}", l.calls.snapshot());
    assert!(!l.call_recorded("or-1").await);
}

/// A simple cross-site POST (text/plain or a form: no preflight) to a JSON
/// route is refused 415 even without an Origin and with a valid signature;
/// Twilio's routes take its form and refuse JSON.
#[tokio::test]
async fn a_simple_cross_site_post_is_refused_by_its_media_type() {
    let l = start(1).await;
    let body = dial("mt-1", "a-42", "911").to_string();
    let sig = signature(&l, "/calls/outbound", &body);
    for media_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let headers = [
            ("content-type", media_type),
            (SIGNATURE_HEADER, sig.as_str()),
        ];
        let got = send(
            &l,
            reqwest::Method::POST,
            "/calls/outbound",
            &headers,
            &body,
        )
        .await;
        assert_problem(&got, 415, "unsupported-media-type");
    }
    let no_type = [(SIGNATURE_HEADER, sig.as_str())];
    let got = send(
        &l,
        reqwest::Method::POST,
        "/calls/outbound",
        &no_type,
        &body,
    )
    .await;
    assert_problem(&got, 415, "unsupported-media-type");
    let twilio = [("content-type", "application/json")];
    let got = send(&l, reqwest::Method::POST, "/twilio/status", &twilio, "{}").await;
    assert_problem(&got, 415, "unsupported-media-type");
    assert_eq!(l.calls.total(), 0, "{:?}", l.calls.snapshot());
    assert!(!l.call_recorded("mt-1").await);
    // With its charset, JSON is JSON.
    let ok = [
        ("content-type", "application/json; charset=utf-8"),
        (SIGNATURE_HEADER, sig.as_str()),
    ];
    let got = send(&l, reqwest::Method::POST, "/calls/outbound", &ok, &body).await;
    assert_eq!(
        (got.0, &got.2["action"]),
        (200, &json!("emergency")),
        "{}",
        got.2
    );
}

/// Without the run's token (or with another), the clock does not move and
/// `?resign=true` signs and runs nothing; with it, both work.
#[tokio::test]
async fn the_clock_and_resigned_invocations_need_the_token() {
    let l = start(1).await;
    let before = l.now();
    let advance = r#"{"advanceMinutes":61}"#;
    let event =
        std::fs::read_to_string(repo().join("events/dial-intake.json")).expect("the sample");
    let invoke = "/_local/invoke/dial-intake?resign=true";
    for headers in [vec![], vec![(TOKEN_HEADER, "not-the-token")]] {
        let got = send(
            &l,
            reqwest::Method::POST,
            "/_local/clock",
            &headers,
            advance,
        )
        .await;
        assert_problem(&got, 401, "local-token");
        let got = send(&l, reqwest::Method::GET, "/_local/clock", &headers, "").await;
        assert_problem(&got, 401, "local-token");
        let got = send(&l, reqwest::Method::POST, invoke, &headers, &event).await;
        assert_problem(&got, 401, "local-token");
    }
    assert!(
        l.now() - before < chrono::Duration::minutes(1),
        "the clock moved"
    );
    assert_eq!(l.calls.total(), 0, "{:?}", l.calls.snapshot());
    assert!(!l.call_recorded("c-1").await, "the sample's call");
    // With the token: the clock moves, the sample is re-signed and dialed.
    let token = [(TOKEN_HEADER, l.token.as_str())];
    let got = send(&l, reqwest::Method::POST, "/_local/clock", &token, advance).await;
    assert_eq!(got.0, 200, "{}", got.2);
    assert!(l.now() - before >= chrono::Duration::minutes(61));
    let got = send(&l, reqwest::Method::POST, invoke, &token, &event).await;
    assert_eq!(
        (got.0, &got.2["statusCode"]),
        (200, &json!(200)),
        "{}",
        got.2
    );
    assert!(l.call_recorded("c-1").await);
}

/// Lambda's Invoke API path: nothing without the token; an AWS SDK reaches
/// it with the token in its endpoint's path (as `lifeline dlq replay` does
/// through `AWS_ENDPOINT_URL_LAMBDA` from env.sh), a script with the header.
#[tokio::test]
async fn the_lambda_invoke_path_needs_the_token() {
    let l = start(1).await;
    let path = "/2015-03-31/functions/connect-adapter/invocations";
    let got = send(&l, reqwest::Method::POST, path, &[], r#"{"hello":"world"}"#).await;
    assert_problem(&got, 401, "local-token");
    let wrong = format!("/_local/sdk/not-the-token{path}");
    let got = send(
        &l,
        reqwest::Method::POST,
        &wrong,
        &[],
        r#"{"hello":"world"}"#,
    )
    .await;
    assert_problem(&got, 401, "local-token");
    let token = [(TOKEN_HEADER, l.token.as_str())];
    let got = send(
        &l,
        reqwest::Method::POST,
        path,
        &token,
        r#"{"hello":"world"}"#,
    )
    .await;
    assert_eq!(
        (got.0, &got.2["errorType"]),
        (200, &json!("UnrecognisedEvent")),
        "{}",
        got.2
    );
    // The SDK: refused at the bare runner, answered through the token's path.
    let conf = lifeline_aws::sdk::load_aws_config(lifeline_aws::sdk::ClientProfile::Admin).await;
    let sdk = |endpoint: String| {
        aws_sdk_lambda::Client::from_conf(
            aws_sdk_lambda::config::Builder::from(&conf)
                .endpoint_url(endpoint)
                .build(),
        )
    };
    let payload = aws_sdk_lambda::primitives::Blob::new(br#"{"hello":"world"}"#.to_vec());
    let bare = sdk(l.base.clone())
        .invoke()
        .function_name("lifeline-local-connect-adapter")
        .payload(payload.clone())
        .send()
        .await;
    assert!(bare.is_err(), "{bare:?}");
    let out = sdk(l.sdk_endpoint())
        .invoke()
        .function_name("lifeline-local-connect-adapter")
        .payload(payload)
        .send()
        .await
        .expect("an invocation through the token's path");
    assert_eq!(out.function_error(), Some("Unhandled"));
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the repository")
}

/// The scripts: `sign-curl.sh` sends the token to `/_local/*` from
/// `LIFELINE_LOCAL_TOKEN`; `invoke.sh` without it stops before sending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scripts_send_the_token_from_the_environment() {
    let l = start(1).await;
    let before = l.now();
    let script = |name: &str, args: &[&str], token: Option<&str>| {
        let mut cmd = Command::new("bash");
        cmd.arg(repo().join("infra/local").join(name))
            .args(args)
            .current_dir(repo())
            .env("LIFELINE_URL", &l.base)
            .env_remove("LIFELINE_LOCAL_TOKEN");
        if let Some(t) = token {
            cmd.env("LIFELINE_LOCAL_TOKEN", t);
        }
        async move {
            let out = tokio::task::spawn_blocking(move || cmd.output())
                .await
                .expect("joined")
                .expect("bash runs");
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
            )
        }
    };
    let clock = ["/_local/clock", r#"{"advanceMinutes":61}"#];
    let (code, out) = script("sign-curl.sh", &clock, Some(&l.token)).await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("HTTP 200"), "{out}");
    assert!(l.now() - before >= chrono::Duration::minutes(61));
    let (code, out) = script("sign-curl.sh", &clock, None).await;
    assert_eq!(code, Some(2), "{out}");
    let (code, out) = script("sign-curl.sh", &clock, Some("not-the-token")).await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("HTTP 401"), "{out}");
    let event = ["connect-adapter", "events/connect-outbound-whisper.json"];
    let (code, out) = script("invoke.sh", &event, None).await;
    assert_eq!(code, Some(2), "{out}");
    let (code, out) = script("invoke.sh", &event, Some("not-the-token")).await;
    assert_eq!(code, Some(2), "{out}");
    let (code, out) = script("invoke.sh", &event, Some(&l.token)).await;
    assert_eq!(code, Some(0), "{out}");
}
