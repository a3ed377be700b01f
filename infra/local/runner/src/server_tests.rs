//! The server over a real socket: the guard's answers on the wire, and the
//! header-read timeout. Every request here is refused before a handler (or
//! needs no table), so no emulator is needed.

use super::*;
use crate::guard::TOKEN_HEADER;
use lifeline_edge::config::{Config, Mode};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A runner on an ephemeral loopback port, with this header-read timeout:
/// its address, its token, and the sender that stops it.
async fn runner(timeout: Duration) -> (String, String, tokio::sync::oneshot::Sender<()>) {
    let conf = lifeline_aws::sdk::aws_config_loader(lifeline_aws::sdk::ClientProfile::Admin)
        .load()
        .await;
    let config = Config::from_lookup(Mode::Local, |_| None).expect("local config");
    let store = lifeline_aws::dynamo::DynamoStore::from_conf(&conf, "lifeline");
    let system = Arc::new(LocalSystem::new(store, config));
    let token = system.local_token().reveal().to_string();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let options = ServeOptions {
        header_read_timeout: timeout,
    };
    tokio::spawn(serve_with(listener, system, options, async move {
        let _ = stopped.await;
    }));
    (addr, token, stop)
}

/// Sends `request` whole and reads the answer to its end: its status and text.
async fn exchange(addr: &str, request: &str) -> (u16, String) {
    let mut conn = TcpStream::connect(addr).await.expect("connect");
    conn.write_all(request.as_bytes()).await.expect("write");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.expect("read");
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

fn post(path: &str, host: &str, headers: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nhost: {host}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn refusals_are_answered_as_problems_on_the_wire() {
    let (addr, token, _stop) = runner(Duration::from_secs(10)).await;
    let json = "content-type: application/json\r\n";
    let cases = [
        (
            post("/calls/outbound", "evil.example:3000", json, "{}"),
            403,
            "forbidden-host",
        ),
        (
            post(
                "/calls/outbound",
                &addr,
                &format!("{json}origin: https://evil.example\r\n"),
                "{}",
            ),
            403,
            "cross-origin",
        ),
        (
            post("/_local/clock", &addr, "", r#"{"advanceMinutes":1}"#),
            401,
            "local-token",
        ),
        (
            post(
                "/calls/outbound",
                &addr,
                "content-type: text/plain\r\n",
                "{}",
            ),
            415,
            "unsupported-media-type",
        ),
    ];
    for (request, status, kind) in cases {
        let (got, answer) = exchange(&addr, &request).await;
        assert_eq!(got, status, "{answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
        assert!(
            answer.contains(&format!("urn:lifeline:problem:{kind}")),
            "{answer}"
        );
    }
    // With the token, the clock answers (and moves by nothing).
    let with_token = format!("{TOKEN_HEADER}: {token}\r\n");
    let request = post(
        "/_local/clock",
        &addr,
        &with_token,
        r#"{"advanceMinutes":0}"#,
    );
    let (got, answer) = exchange(&addr, &request).await;
    assert_eq!(got, 200, "{answer}");
}

/// A client trickling its request head a byte at a time is cut off by the
/// header-read timeout, however steadily it sends; one that sends its
/// request whole is answered.
#[tokio::test]
async fn a_trickled_request_head_is_cut_off() {
    let timeout = Duration::from_millis(1000);
    let (addr, _, _stop) = runner(timeout).await;
    let mut conn = TcpStream::connect(&addr).await.expect("connect");
    let head = format!(
        "GET /_local/health HTTP/1.1\r\nhost: {addr}\r\nx-slow: {}",
        "a".repeat(64)
    );
    let started = Instant::now();
    let mut closed_after = None;
    for byte in head.bytes() {
        if conn.write_all(&[byte]).await.is_err() {
            closed_after = Some(started.elapsed());
            break;
        }
        // A read that ends (or fails) is the server closing the connection.
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(200), conn.read(&mut buf)).await {
            Ok(Ok(_)) | Ok(Err(_)) => {
                closed_after = Some(started.elapsed());
                break;
            }
            Err(_) => {}
        }
    }
    let closed_after = closed_after.expect("the connection was never closed");
    assert!(
        closed_after >= timeout - Duration::from_millis(100)
            && closed_after < timeout + Duration::from_millis(1500),
        "closed after {closed_after:?}, timeout {timeout:?}"
    );
    let (status, answer) = exchange(
        &addr,
        &format!("GET /_local/nothing HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 401, "the server still answers: {answer}");
}

/// A request head larger than hyper is allowed to buffer is refused (431).
#[tokio::test]
async fn an_oversized_request_head_is_refused() {
    let (addr, _, _stop) = runner(Duration::from_secs(10)).await;
    let big = format!("x-big: {}\r\n", "a".repeat(MAX_HEAD_BYTES));
    let (status, answer) = exchange(&addr, &post("/calls/outbound", &addr, &big, "")).await;
    assert_eq!(status, 431, "{answer}");
}
