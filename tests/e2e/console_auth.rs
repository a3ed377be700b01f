//! The console's sign-in against moto's Cognito: a user pool with the
//! console's groups, tokens from a password sign-in, verified with the keys
//! the pool serves; a token from another pool, an expired one (the clock
//! moved) and a wrong password are refused.

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
