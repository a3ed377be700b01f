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
