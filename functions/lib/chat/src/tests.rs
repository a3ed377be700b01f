//! The sender against a one-shot HTTP server on 127.0.0.1.

use super::*;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Answers every request with `status` and `body` (after `delay`); keeps
/// each request's head and body.
async fn server(
    status: u16,
    body: &'static str,
    delay: Duration,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Head, then as much body as Content-Length says.
                loop {
                    let n = s.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                kept.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf).to_string());
                tokio::time::sleep(delay).await;
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(answer.as_bytes()).await;
            });
        }
    });
    (format!("http://127.0.0.1:{}", addr.port()), seen)
}

fn local() -> WebhookChat {
    WebhookChat::new(ChatHosts::parse("127.0.0.1").unwrap()).unwrap()
}

fn url(base: &str) -> ChatUrl {
    ChatUrl::parse(&format!("{base}/hook/SECRET")).unwrap()
}

#[tokio::test]
async fn a_2xx_is_sent_as_one_json_text() {
    let (base, seen) = server(200, "ok", Duration::ZERO).await;
    assert_eq!(
        local()
            .send_chat(&url(&base), "Emergency call \"911\"")
            .await,
        Ok(None)
    );
    let req = seen.lock().unwrap()[0].clone();
    assert!(req.starts_with("POST /hook/SECRET HTTP/1.1"), "{req}");
    assert!(
        req.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{req}"
    );
    let body = &req[req.find("\r\n\r\n").unwrap() + 4..];
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(body).unwrap(),
        serde_json::json!({"text": "Emergency call \"911\""})
    );
}

#[tokio::test]
async fn google_chat_gives_the_message_name() {
    let (base, _) = server(200, r#"{"name":"spaces/A/messages/B"}"#, Duration::ZERO).await;
    assert_eq!(
        local().send_chat(&url(&base), "t").await,
        Ok(Some("spaces/A/messages/B".into()))
    );
}

#[tokio::test]
async fn statuses_are_transient_or_permanent() {
    for (status, transient) in [
        (429, true),
        (500, true),
        (503, true),
        (404, false),
        (400, false),
        (302, false),
    ] {
        let (base, _) = server(status, "", Duration::ZERO).await;
        let e = local().send_chat(&url(&base), "t").await.unwrap_err();
        let code = ErrorCode::new(&format!("Http{status}"));
        let want = if transient {
            SendError::Transient(code)
        } else {
            SendError::Permanent(code)
        };
        assert_eq!(e, want);
        assert!(!e.to_string().contains("SECRET"));
    }
}

#[tokio::test]
async fn a_slow_webhook_times_out() {
    let (base, _) = server(200, "ok", Duration::from_secs(5)).await;
    let chat = local().with_timeout(Duration::from_millis(200));
    assert_eq!(
        chat.send_chat(&url(&base), "t").await,
        Err(SendError::Transient(ErrorCode::new("Timeout")))
    );
}

#[tokio::test]
async fn nothing_listening_is_transient() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let e = local()
        .send_chat(&url(&format!("http://127.0.0.1:{port}")), "t")
        .await;
    assert_eq!(e, Err(SendError::Transient(ErrorCode::new("Transport"))));
}

#[tokio::test]
async fn a_host_not_allowed_is_refused_before_any_request() {
    let (base, seen) = server(200, "ok", Duration::ZERO).await;
    let chat = WebhookChat::new(ChatHosts::parse("hooks.slack.com").unwrap()).unwrap();
    assert_eq!(
        chat.send_chat(&url(&base), "t").await,
        Err(SendError::Permanent(ErrorCode::new("HostNotAllowed")))
    );
    assert!(seen.lock().unwrap().is_empty());
}
