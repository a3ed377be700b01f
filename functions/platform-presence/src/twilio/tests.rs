//! Settings, requests and answers against the Worker resource.

use super::settings::base_url;
use super::*;
use crate::SettingsError;
use base64::Engine;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use lifeline_app::ports::{PlatformError, PlatformPresence};
use lifeline_aws::secrets::{TWILIO_TOKEN_ARN_VAR, TWILIO_TOKEN_VAR};
use lifeline_domain::platform::PlatformStatus;
use std::time::Duration;

const AC: &str = "AC0123456789abcdef0123456789abcdef";
const WS: &str = "WS0123456789abcdef0123456789abcdef";
const WA: &str = "WA0123456789abcdef0123456789abcdef";
const WK: &str = "WK0123456789abcdef0123456789abcdef";
/// An activity other than the emergency one (`WA`).
const WA_AVAILABLE: &str = "WA0123456789abcdef0123456789abcde0";

fn env<'a>(vars: &'a [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |k: &str| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    }
}

fn settings() -> TwilioSettings {
    TwilioSettings::from_lookup(env(&[
        (ACCOUNT_SID_VAR, AC),
        (WORKSPACE_SID_VAR, WS),
        (EMERGENCY_ACTIVITY_VAR, WA),
        (TWILIO_TOKEN_VAR, "tok-secret"),
    ]))
    .unwrap()
}

#[test]
fn settings_are_validated_and_name_the_variable() {
    let s = settings();
    assert_eq!(s.base_url, DEFAULT_TASKROUTER_URL);
    assert_eq!(s.token, TokenSource::Plain(AuthToken::new("tok-secret")));
    assert!(!format!("{s:?}").contains("tok-secret"), "{s:?}");
    assert_eq!(
        TwilioSettings::from_lookup(env(&[(ACCOUNT_SID_VAR, AC)])),
        Err(SettingsError::Missing(WORKSPACE_SID_VAR))
    );
    let bad = TwilioSettings::from_lookup(env(&[
        (ACCOUNT_SID_VAR, AC),
        (WORKSPACE_SID_VAR, WS),
        (EMERGENCY_ACTIVITY_VAR, "st-emergency"),
    ]))
    .unwrap_err();
    assert!(bad.to_string().contains(EMERGENCY_ACTIVITY_VAR), "{bad}");
    assert_eq!(
        TwilioSettings::from_lookup(env(&[
            (ACCOUNT_SID_VAR, AC),
            (WORKSPACE_SID_VAR, WS),
            (EMERGENCY_ACTIVITY_VAR, WA),
        ])),
        Err(SettingsError::NoToken)
    );
    let from_secret = TwilioSettings::from_lookup(env(&[
        (ACCOUNT_SID_VAR, AC),
        (WORKSPACE_SID_VAR, WS),
        (EMERGENCY_ACTIVITY_VAR, WA),
        (
            TWILIO_TOKEN_ARN_VAR,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:tok",
        ),
        (TASKROUTER_URL_VAR, "http://127.0.0.1:8123/"),
    ]))
    .unwrap();
    assert_eq!(from_secret.base_url, "http://127.0.0.1:8123");
    assert!(matches!(from_secret.token, TokenSource::SecretsManager(_)));
}

#[test]
fn the_base_url_is_https_or_the_loopback() {
    assert_eq!(
        base_url("https://taskrouter.twilio.com/").as_deref(),
        Some("https://taskrouter.twilio.com")
    );
    assert!(base_url("http://localhost:9000").is_some());
    assert!(base_url("http://taskrouter.twilio.com").is_none());
    assert!(base_url("https://taskrouter.twilio.com/v1").is_none());
    assert!(base_url("https://u:p@taskrouter.twilio.com").is_none());
    assert!(base_url("ftp://taskrouter.twilio.com").is_none());
    assert!(base_url("not a url").is_none());
}

#[tokio::test]
async fn requests_follow_the_worker_resource() {
    let p = TaskRouterPresence::new(&settings(), &AuthToken::new("tok-secret")).unwrap();
    let get = p.fetch_request(WK).unwrap();
    assert_eq!(get.method(), Method::GET);
    assert_eq!(
        get.uri().to_string(),
        format!("https://taskrouter.twilio.com/v1/Workspaces/{WS}/Workers/{WK}")
    );
    let auth = get.headers()[AUTHORIZATION].clone();
    assert!(auth.is_sensitive());
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{AC}:tok-secret"));
    assert_eq!(auth.to_str().unwrap(), format!("Basic {expected}"));
    assert!(get.headers().get(CONTENT_TYPE).is_none());

    let post = p.update_request(WK, WA).unwrap();
    assert_eq!(post.method(), Method::POST);
    assert_eq!(post.uri(), get.uri());
    assert_eq!(
        post.headers()[CONTENT_TYPE],
        "application/x-www-form-urlencoded"
    );
    let body = post.into_body().collect().await.unwrap().to_bytes();
    // The emergency activity rejects a pending task offer; a restore does not.
    assert_eq!(
        &body[..],
        format!("ActivitySid={WA}&RejectPendingReservations=true").as_bytes()
    );
    let restore = p.update_request(WK, WA_AVAILABLE).unwrap();
    let body = restore.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], format!("ActivitySid={WA_AVAILABLE}").as_bytes());

    // Nothing is sent for what is not a SID (no path of our making).
    assert!(matches!(
        p.fetch_request("WK../../Accounts"),
        Err(PlatformError::Refused(_))
    ));
    assert!(matches!(
        p.update_request(WK, "available"),
        Err(PlatformError::Refused(_))
    ));
    assert!(!format!("{p:?}").contains("tok-secret"));
}

#[test]
fn answers_map_to_the_activity_or_the_error() {
    let worker = serde_json::json!({
        "sid": WK, "workspace_sid": WS, "account_sid": AC,
        "activity_sid": WA, "activity_name": "Emergency call",
        "available": false, "friendly_name": "alice",
    })
    .to_string();
    assert_eq!(
        answer_of(StatusCode::OK, worker.as_bytes()),
        Ok(PlatformStatus {
            id: WA.into(),
            name: "Emergency call".into()
        })
    );
    let err = |code: u16| {
        answer_of(
            StatusCode::from_u16(code).unwrap(),
            br#"{"code": 20404, "message": "not found", "status": 404}"#,
        )
        .unwrap_err()
    };
    for code in [429, 500, 502, 503] {
        assert!(matches!(err(code), PlatformError::Unavailable(_)), "{code}");
    }
    for code in [400, 401, 403, 404] {
        assert!(matches!(err(code), PlatformError::Refused(_)), "{code}");
    }
    assert_eq!(
        err(404),
        PlatformError::Refused("TaskRouter answered 404 Not Found (Twilio error 20404)".into())
    );
    assert!(matches!(
        answer_of(StatusCode::OK, b"<html>"),
        Err(PlatformError::Unavailable(_))
    ));
    assert!(matches!(
        answer_of(StatusCode::OK, br#"{"sid": "WK1"}"#),
        Err(PlatformError::Unavailable(_))
    ));
}

#[tokio::test]
async fn an_unreachable_taskrouter_is_unavailable() {
    // A port nobody listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut s = settings();
    s.base_url = format!("http://127.0.0.1:{port}");
    let mut p = TaskRouterPresence::new(&s, &AuthToken::new("t")).unwrap();
    p.retry_pause = Duration::from_millis(1);
    assert!(matches!(
        p.view(WK).await,
        Err(PlatformError::Unavailable(_))
    ));
}
