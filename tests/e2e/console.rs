//! The console against the emulators. Sign-in against moto's Cognito: a
//! user pool with the console's groups, tokens from a password sign-in,
//! verified with the keys the pool serves; a token from another pool, an
//! expired one (the clock moved) and a wrong password are refused. The
//! incident board read from the table after dials through the runner.

use lifeline_e2e::LocalPool;
use lifeline_edge::console::auth::verify;
use lifeline_edge::console::{AuthError, Group, Jwks, TokenRules};

#[tokio::test]
async fn a_pool_user_signs_in_with_their_groups_and_other_tokens_are_refused() {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let pool = LocalPool::create(&format!("console-{tag}")).await;
    pool.add_user("desk", "Desk-pass-1!", &["security-desk"])
        .await;
    pool.add_user("admin", "Admin-pass-1!", &["admin"]).await;
    let jwks = Jwks::parse(&pool.jwks().await).expect("the pool's keys");
    let rules = TokenRules {
        issuer: pool.issuer.clone(),
        client_id: pool.client_id.clone(),
    };
    let now = chrono::Utc::now().timestamp();

    let (id, access) = pool
        .sign_in("desk", "Desk-pass-1!")
        .await
        .expect("signed in");
    let desk = verify(&format!("Bearer {id}"), &jwks, &rules, now).expect("the ID token");
    assert_eq!(desk.username, "desk");
    assert_eq!(desk.groups, vec![Group::SecurityDesk]);
    assert!(!desk.is(Group::Admin), "the desk changes no configuration");
    let again = verify(&access, &jwks, &rules, now).expect("the access token");
    assert_eq!(again.groups, vec![Group::SecurityDesk]);
    let (admin_id, _) = pool.sign_in("admin", "Admin-pass-1!").await.expect("admin");
    assert!(verify(&admin_id, &jwks, &rules, now)
        .expect("admin")
        .is(Group::Admin));

    // A wrong password gets no token.
    assert_eq!(
        pool.sign_in("desk", "wrong").await.err().as_deref(),
        Some("NotAuthorizedException")
    );
    // Expired: the same token two hours on.
    assert_eq!(
        verify(&id, &jwks, &rules, now + 7200),
        Err(AuthError::Expired)
    );
    // Another pool's user (its keys verify, its issuer is not ours).
    let other = LocalPool::create(&format!("other-{tag}")).await;
    other.add_user("eve", "Eve-pass-1!", &["admin"]).await;
    let (foreign, _) = other.sign_in("eve", "Eve-pass-1!").await.expect("eve");
    assert_eq!(
        verify(&foreign, &jwks, &rules, now),
        Err(AuthError::WrongIssuer)
    );
    // Nothing, or something else.
    assert_eq!(verify("", &jwks, &rules, now), Err(AuthError::Missing));
    assert_eq!(
        verify("Bearer x.y.z", &jwks, &rules, now),
        Err(AuthError::Malformed)
    );
}

/// A dial through the runner is on the board, alerted on every channel; an
/// acknowledgement through its link shows; an ended drill is below.
#[tokio::test]
async fn a_dial_is_on_the_board_with_its_alerts_and_acknowledgement() {
    use crate::channels::{arrival, dial, every_channel};
    use lifeline_app::service::incident::IncidentService;
    use lifeline_console::Board;
    use lifeline_e2e::{emails_to, sms_to, start, ChatSink};
    use std::sync::Arc;

    let l = start(2).await;
    let sink = ChatSink::start().await;
    let (email, number) = every_channel(&l, "a-71", &sink).await;
    let call = format!("cb-{}", &l.table[4..16]);
    dial(&l, &call, "911").await;
    arrival("the e-mail", || async {
        emails_to(&email).await.into_iter().next()
    })
    .await;
    let (sms, _) = arrival("the SMS", || async {
        sms_to(&number).await.into_iter().next()
    })
    .await;
    l.settled().await;
    let service = IncidentService::new(
        Arc::new(l.store.clone()),
        Arc::new(lifeline_app::clock::SystemClock),
        chrono::Duration::hours(6),
    );
    let read = |service: IncidentService<lifeline_aws::dynamo::DynamoStore>| async move {
        let entries = service
            .board(chrono::Utc::now() - chrono::Duration::hours(1), 50)
            .await
            .expect("the board reads");
        Board::of(&entries)
    };
    let board = read(service).await;
    let row = board
        .open
        .iter()
        .find(|r| r.call_id == call)
        .expect("the call is on the board");
    let mut channels: Vec<&str> = row.alerts.iter().map(|a| a.channel.as_str()).collect();
    channels.sort();
    assert_eq!(channels, ["chat", "email", "sms"]);
    assert!(row.callback_number.is_some() && row.callback_until.is_some());
    let html = board.render(chrono::Utc::now(), true).into_string();
    assert!(html.contains(&format!("/console/api/incidents/{call}/acknowledge")));
    assert!(
        !html.contains(&number[1..]),
        "numbers are masked on the board"
    );

    // Acknowledged through the SMS link: the board says who and how.
    crate::channels::acknowledge_through(&sms).await;
    l.settled().await;
    let service = IncidentService::new(
        Arc::new(l.store.clone()),
        Arc::new(lifeline_app::clock::SystemClock),
        chrono::Duration::hours(6),
    );
    let board = read(service).await;
    let row = board
        .open
        .iter()
        .find(|r| r.call_id == call)
        .expect("still open");
    let ack = row.acknowledged.as_ref().expect("acknowledged");
    assert_eq!(ack.channel, "sms");
    assert!(ack.by.ends_with(&number[number.len() - 4..]) && !ack.by.contains(&number[1..8]));
}

/// The console served as its function will serve it (`ConsoleApp` over the
/// test's table, signing in against moto's Cognito), in Debian's chromium:
/// the desk signs in, a dial through the runner shows on the board by
/// itself (the time it takes is printed), the Acknowledge button is reached
/// by keyboard and pressed, and the incident shows the acknowledgement.
/// `LIFELINE_SCREENSHOTS=<dir>` keeps `sign-in.png` and `board.png`.
#[tokio::test]
async fn the_desk_signs_in_sees_a_dial_on_the_board_and_acknowledges_it_in_a_real_browser() {
    use crate::channels::{dial, every_channel};
    use fantoccini::{key::Key, Locator};
    use lifeline_app::ports::IncidentStore;
    use lifeline_app::service::incident::IncidentService;
    use lifeline_aws::cognito::CognitoSignIn;
    use lifeline_aws::sdk::{load_aws_config, ClientProfile};
    use lifeline_console::ConsoleApp;
    use lifeline_e2e::{start, Browser, ChatSink};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    let l = start(2).await;
    let sink = ChatSink::start().await;
    every_channel(&l, "a-71", &sink).await;
    let pool = LocalPool::create(&format!("browser-{}", uuid::Uuid::new_v4().simple())).await;
    pool.add_user("desk", "Desk-pass-1!", &["security-desk"])
        .await;
    let conf = load_aws_config(ClientProfile::Admin).await;
    let clock: Arc<dyn lifeline_app::clock::Clock> = Arc::new(lifeline_app::clock::SystemClock);
    let app = Arc::new(ConsoleApp::new(
        IncidentService::new(
            Arc::new(l.store.clone()),
            clock.clone(),
            chrono::Duration::hours(6),
        ),
        Arc::new(CognitoSignIn::from_conf(&conf, &pool.client_id)),
        Jwks::parse(&pool.jwks().await).expect("the pool's keys"),
        TokenRules {
            issuer: pool.issuer.clone(),
            client_id: pool.client_id.clone(),
        },
        clock,
    ));
    let (base, server) = serve_console(app).await;
    let shots = std::env::var("LIFELINE_SCREENSHOTS").ok();
    let browser = Browser::start().await;
    let c = &browser.client;
    let wait_for = |what: &'static str, css: &'static str, text: String| async move {
        let started = Instant::now();
        loop {
            if let Ok(el) = c.find(Locator::Css(css)).await {
                if el.text().await.unwrap_or_default().contains(&text) {
                    return started.elapsed();
                }
            }
            if started.elapsed() > Duration::from_secs(10) {
                let url = c
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                let page = c.source().await.unwrap_or_default();
                panic!("never: {what}; at {url}:\n{page}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };

    // Not signed in: the board's page sends the browser to sign in.
    c.goto(&format!("{base}/console/"))
        .await
        .expect("the page loads");
    wait_for("the sign-in page", "h1", "Sign in".into()).await;
    if let Some(dir) = &shots {
        save(
            dir,
            "sign-in.png",
            &c.screenshot().await.expect("a screenshot"),
        );
    }
    c.find(Locator::Css("#username"))
        .await
        .expect("a user name field")
        .send_keys("desk")
        .await
        .expect("typed");
    c.find(Locator::Css("#password"))
        .await
        .expect("a password field")
        .send_keys("Desk-pass-1!")
        .await
        .expect("typed");
    c.find(Locator::Css("form button"))
        .await
        .expect("the button")
        .click()
        .await
        .expect("sent");
    wait_for("the board", "#board", "Open emergency calls".into()).await;

    // A dial: on the board by itself.
    let call = format!("cw-{}", &l.table[4..16]);
    let answered = Instant::now();
    dial(&l, &call, "911").await;
    wait_for("the dial on the board", "#board", "Agent a-71".into()).await;
    println!(
        "board: dial answered -> on the board in {} ms (refreshed every 2 s)",
        answered.elapsed().as_millis()
    );
    if let Some(dir) = &shots {
        save(
            dir,
            "board.png",
            &c.screenshot().await.expect("a screenshot"),
        );
    }

    // By keyboard to the Acknowledge button, and Enter.
    let body = c.find(Locator::Css("body")).await.expect("body");
    body.send_keys(&Key::Tab.to_string()).await.expect("Tab");
    let mut reached = None;
    for _ in 0..30 {
        let focused = c.active_element().await.expect("focus");
        if focused.text().await.unwrap_or_default() == "Acknowledge" {
            reached = Some(focused);
            break;
        }
        focused.send_keys(&Key::Tab.to_string()).await.expect("Tab");
    }
    let button = reached.expect("the Acknowledge button is reachable by keyboard");
    button
        .send_keys(&Key::Enter.to_string())
        .await
        .expect("Enter");
    wait_for(
        "the acknowledgement on the board",
        "#board",
        "by desk".into(),
    )
    .await;
    let head = l
        .store
        .incident(&call.parse().expect("id"))
        .await
        .expect("incident")
        .head
        .expect("opened");
    let ack = head.acknowledged.expect("acknowledged");
    assert_eq!((ack.by.as_str(), ack.channel.as_str()), ("desk", "console"));
    browser.close().await;
    server.abort();
}

fn save(dir: &str, name: &str, png: &[u8]) {
    assert!(png.starts_with(b"\x89PNG"));
    std::fs::create_dir_all(dir).expect("the screenshots' folder");
    std::fs::write(format!("{dir}/{name}"), png).expect("written");
}

/// Serves `app` on a free port of 127.0.0.1, as the console function will.
async fn serve_console(
    app: std::sync::Arc<lifeline_console::ConsoleApp<lifeline_aws::dynamo::DynamoStore>>,
) -> (String, tokio::task::JoinHandle<()>) {
    use http_body_util::BodyExt;
    lifeline_e2e::stub_server::serve(move |req: hyper::Request<hyper::body::Incoming>| {
        let app = app.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = body.collect().await?.to_bytes();
            let auth = parts
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(String::from);
            let answer = app
                .handle(lifeline_console::ConsoleRequest {
                    method: &parts.method,
                    path: parts.uri.path(),
                    authorization: auth.as_deref(),
                    body: &body,
                })
                .await;
            let (parts, text) = answer.into_parts();
            Ok(hyper::Response::from_parts(
                parts,
                http_body_util::Full::new(bytes::Bytes::from(text)),
            ))
        }
    })
    .await
}

/// The console's sign-in through the SDK adapter (Cognito `InitiateAuth`):
/// a user's password gives tokens the sign-in check takes; a wrong password
/// and an unknown user get the same answer.
#[tokio::test]
async fn the_sign_in_adapter_gets_tokens_for_a_password_and_one_answer_for_wrong_ones() {
    use lifeline_app::ports::{ConsoleSignIn, SignInError};
    use lifeline_aws::cognito::CognitoSignIn;
    use lifeline_aws::sdk::{load_aws_config, ClientProfile};

    let pool = LocalPool::create(&format!("signin-{}", uuid::Uuid::new_v4().simple())).await;
    pool.add_user("desk", "Desk-pass-1!", &["security-desk"])
        .await;
    let conf = load_aws_config(ClientProfile::Admin).await;
    let sign_in = CognitoSignIn::from_conf(&conf, &pool.client_id);
    let tokens = sign_in
        .sign_in("desk", "Desk-pass-1!")
        .await
        .expect("tokens");
    assert!(tokens.expires_in > 0);
    assert!(
        !format!("{tokens:?}").contains(&tokens.id_token),
        "no token in a log line"
    );
    let jwks = Jwks::parse(&pool.jwks().await).expect("keys");
    let rules = TokenRules {
        issuer: pool.issuer.clone(),
        client_id: pool.client_id.clone(),
    };
    let user = verify(
        &tokens.id_token,
        &jwks,
        &rules,
        chrono::Utc::now().timestamp(),
    )
    .expect("the check takes it");
    assert_eq!(user.groups, vec![Group::SecurityDesk]);
    for (name, password) in [("desk", "wrong-one"), ("nobody", "Desk-pass-1!")] {
        assert_eq!(
            sign_in.sign_in(name, password).await,
            Err(SignInError::WrongCredentials),
            "{name}"
        );
    }
}
