//! The guard's checks on request heads, without a server.

use super::*;

fn guard() -> (Guard, LocalToken) {
    let token = LocalToken::generate();
    let ip = "127.0.0.1".parse().expect("an address");
    (
        Guard::new(token.clone(), ip, "https://abc.ngrok.app"),
        token,
    )
}

fn head(method: &str, target: &str, headers: &[(&str, &str)]) -> Parts {
    let mut req = http::Request::builder().method(method).uri(target);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.body(()).expect("a request").into_parts().0
}

#[test]
fn the_host_must_name_the_runner() {
    let (g, _) = guard();
    for ok in [
        "127.0.0.1:3000",
        "localhost:3000",
        "LOCALHOST",
        "127.0.0.1:41234",
    ] {
        let mut p = head("GET", "/_local/health", &[("host", ok)]);
        assert_eq!(g.admit(&mut p), Ok(()), "{ok}");
    }
    for bad in [
        "evil.example:3000",
        "127.0.0.2:3000",
        "[::1]:3000",
        "localhost.evil.example:3000",
        "127.0.0.1:30x0",
        "127.0.0.1:",
        "",
    ] {
        let mut p = head("GET", "/_local/health", &[("host", bad)]);
        assert_eq!(
            g.admit(&mut p),
            Err(Refusal::ForeignHost(bad.into())),
            "{bad}"
        );
    }
    let mut none = head("GET", "/_local/health", &[]);
    assert!(matches!(g.admit(&mut none), Err(Refusal::ForeignHost(_))));
    // An absolute target naming another host is refused whatever the header.
    let mut absolute = head(
        "GET",
        "http://evil.example/_local/health",
        &[("host", "127.0.0.1:3000")],
    );
    assert!(matches!(
        g.admit(&mut absolute),
        Err(Refusal::ForeignHost(_))
    ));
}

#[test]
fn ipv6_loopback_is_accepted_when_listening_there() {
    let token = LocalToken::generate();
    let g = Guard::new(token, "::1".parse().expect("v6"), "http://[::1]:3000");
    let mut p = head("GET", "/_local/health", &[("host", "[::1]:3000")]);
    assert_eq!(g.admit(&mut p), Ok(()));
    let mut p = head("GET", "/_local/health", &[("host", "127.0.0.1:3000")]);
    assert!(g.admit(&mut p).is_err());
    assert_eq!(g.tunnel_host, None, "a loopback public URL is no tunnel");
}

#[test]
fn a_twilio_tunnel_host_is_accepted_on_the_twilio_routes_only() {
    let (g, token) = guard();
    let host = [("host", "abc.ngrok.app")];
    let mut p = head("POST", "/twilio/outbound", &host);
    assert_eq!(g.admit(&mut p), Ok(()));
    for path in ["/calls/outbound", "/_local/clock", "/_local/health"] {
        let mut p = head("POST", path, &[host[0], (TOKEN_HEADER, token.reveal())]);
        assert!(
            matches!(g.admit(&mut p), Err(Refusal::ForeignHost(_))),
            "{path}"
        );
    }
}

#[test]
fn any_origin_is_refused() {
    let (g, token) = guard();
    for path in [
        "/calls/outbound",
        "/twilio/status",
        "/_local/health",
        "/_local/clock",
    ] {
        let mut p = head(
            "POST",
            path,
            &[
                ("host", "127.0.0.1:3000"),
                ("origin", "https://evil.example"),
                (TOKEN_HEADER, token.reveal()),
            ],
        );
        assert_eq!(g.admit(&mut p), Err(Refusal::FromAPage), "{path}");
        assert_eq!(Refusal::FromAPage.problem().status, 403);
    }
    let mut null = head(
        "POST",
        "/calls/outbound",
        &[("host", "localhost"), ("origin", "null")],
    );
    assert_eq!(g.admit(&mut null), Err(Refusal::FromAPage));
}

#[test]
fn the_runners_own_routes_need_the_token() {
    let (g, token) = guard();
    let tool_paths = [
        "/_local/clock",
        "/_local/invoke/dial-intake?resign=true",
        "/_local/anything",
        "/2015-03-31/functions/notifier/invocations",
    ];
    for path in tool_paths {
        let mut p = head("POST", path, &[("host", "127.0.0.1:3000")]);
        assert_eq!(g.admit(&mut p), Err(Refusal::MissingToken), "{path}");
        let mut p = head(
            "POST",
            path,
            &[("host", "127.0.0.1:3000"), (TOKEN_HEADER, "0123")],
        );
        assert_eq!(g.admit(&mut p), Err(Refusal::WrongToken), "{path}");
        let mut p = head(
            "POST",
            path,
            &[("host", "127.0.0.1:3000"), (TOKEN_HEADER, token.reveal())],
        );
        assert_eq!(g.admit(&mut p), Ok(()), "{path}");
    }
    assert_eq!(Refusal::MissingToken.problem().status, 401);
    // Health, and the webhooks (signed), take none.
    for path in ["/_local/health", "/calls/outbound", "/twilio/inbound"] {
        let mut p = head("POST", path, &[("host", "127.0.0.1:3000")]);
        assert_eq!(g.admit(&mut p), Ok(()), "{path}");
    }
}

#[test]
fn an_sdk_call_carries_the_token_in_its_path() {
    let (g, token) = guard();
    let host = ("host", "127.0.0.1:3000");
    let path = format!(
        "{SDK_PREFIX}{}/2015-03-31/functions/lifeline-local-notifier/invocations?x=1",
        token.reveal()
    );
    let mut p = head("POST", &path, &[host]);
    assert_eq!(g.admit(&mut p), Ok(()));
    assert_eq!(
        p.uri.to_string(),
        "/2015-03-31/functions/lifeline-local-notifier/invocations?x=1"
    );
    let wrong = "/_local/sdk/0123/2015-03-31/functions/notifier/invocations";
    let mut p = head("POST", wrong, &[host]);
    assert_eq!(g.admit(&mut p), Err(Refusal::WrongToken));
    let mut p = head(
        "POST",
        "/_local/sdk//2015-03-31/functions/n/invocations",
        &[host],
    );
    assert_eq!(g.admit(&mut p), Err(Refusal::MissingToken));
    // Only the Invoke API is reached that way.
    let clock = format!("{SDK_PREFIX}{}/_local/clock", token.reveal());
    let mut p = head("POST", &clock, &[host]);
    assert_eq!(g.admit(&mut p), Ok(()));
    assert_eq!(p.uri.path(), clock, "left for the router to answer 404");
}

#[test]
fn a_webhook_body_must_be_of_its_routes_media_type() {
    let body = b"{}";
    let json_ok = [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
    ];
    for ct in json_ok {
        let p = head("POST", "/calls/outbound", &[("content-type", ct)]);
        assert_eq!(check_media_type(&p, body), Ok(()), "{ct}");
    }
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ] {
        let p = head("POST", "/calls/outbound", &[("content-type", ct)]);
        let refused = check_media_type(&p, body).expect_err(ct);
        assert_eq!(refused.problem().status, 415, "{ct}");
    }
    let p = head("PUT", "/agents/a-42/presence", &[]);
    assert!(check_media_type(&p, body).is_err(), "no type at all");
    // Twilio's routes take its form, and not JSON.
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let p = head("POST", "/twilio/status", &form);
    assert_eq!(check_media_type(&p, b"CallSid=CA1"), Ok(()));
    let p = head(
        "POST",
        "/twilio/status",
        &[("content-type", "application/json")],
    );
    assert!(check_media_type(&p, body).is_err());
    // No body, nothing to type; the runner's own routes are the token's.
    let p = head("GET", "/agents/a-42/presence", &[]);
    assert_eq!(check_media_type(&p, b""), Ok(()));
    let p = head("POST", "/_local/clock", &[("content-type", "text/plain")]);
    assert_eq!(check_media_type(&p, body), Ok(()));
}

#[test]
fn tokens_are_random_and_compared_whole() {
    let a = LocalToken::generate();
    let b = LocalToken::generate();
    assert_ne!(a, b);
    assert_eq!(a.reveal().len(), 64);
    assert!(a.matches(a.reveal().as_bytes()));
    assert!(!a.matches(&a.reveal().as_bytes()[..63]));
    assert!(!a.matches(b.reveal().as_bytes()));
    assert!(!format!("{a:?}").contains(a.reveal()));
}

#[test]
fn the_token_file_is_new_and_private() {
    let dir = std::env::temp_dir().join(format!("lifeline-token-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir(&dir).expect("a folder");
    let path = dir.join("token");
    let token = LocalToken::generate();
    token.write_new(&path).expect("written");
    assert_eq!(
        std::fs::read_to_string(&path).ok().as_deref(),
        Some(token.reveal())
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(
        token.write_new(&path).is_err(),
        "an existing file is not overwritten"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// An acknowledgement page's own form posts back with its origin: taken;
/// another origin, or any origin on another route, is not.
#[test]
fn a_pages_same_origin_post_is_taken_and_no_other() {
    let (g, _) = guard();
    let host = ("host", "127.0.0.1:3000");
    // The acknowledgement page's form, the console's fetches and forms.
    for path in ["/ack/tok", "/console/api/pools/add", "/console/sign-in"] {
        let mut same = head("POST", path, &[host, ("origin", "http://127.0.0.1:3000")]);
        assert!(g.admit(&mut same).is_ok(), "{path}");
        let mut foreign = head("POST", path, &[host, ("origin", "https://evil.example")]);
        assert_eq!(g.admit(&mut foreign), Err(Refusal::FromAPage), "{path}");
    }
    let mut webhook = head(
        "POST",
        "/calls/outbound",
        &[host, ("origin", "http://127.0.0.1:3000")],
    );
    assert!(g.admit(&mut webhook).is_err());
}
