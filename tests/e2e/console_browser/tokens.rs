//! The runner's console refuses what a browser or a script may send
//! without a valid sign-in: no token, another pool's, one expired (the
//! runner's clock moved past its hour), a forged one; a page from another
//! origin; and the desk's token on an admin's action.

use lifeline_e2e::{start_with, LocalPool};

async fn status(
    l: &lifeline_e2e::Local,
    method: &str,
    path: &str,
    token: Option<&str>,
    origin: Option<&str>,
) -> u16 {
    let client = reqwest::Client::new();
    let url = format!("{}{path}", l.base);
    let mut req = match method {
        "POST" => client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("country=US&numbers=%2B14255550199"),
        _ => client.get(url),
    };
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    req.send()
        .await
        .expect("the runner answers")
        .status()
        .as_u16()
}

#[tokio::test]
async fn no_token_another_pools_an_expired_or_forged_one_is_refused() {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let pool = LocalPool::create(&format!("tokens-{tag}")).await;
    pool.add_user("admin", "Admin-pass-1!", &["admin"]).await;
    pool.add_user("desk", "Desk-pass-1!", &["security-desk"])
        .await;
    let l = start_with(
        1,
        &[
            ("LIFELINE_CONSOLE_ISSUER", &pool.issuer),
            ("LIFELINE_CONSOLE_CLIENT_ID", &pool.client_id),
            ("LIFELINE_CONSOLE_JWKS_URL", &pool.jwks_url),
        ],
    )
    .await;
    let (admin, _) = pool.sign_in("admin", "Admin-pass-1!").await.expect("admin");
    let (desk, _) = pool.sign_in("desk", "Desk-pass-1!").await.expect("desk");
    let other = LocalPool::create(&format!("other-{tag}")).await;
    other.add_user("eve", "Eve-pass-1!", &["admin"]).await;
    let (foreign, _) = other.sign_in("eve", "Eve-pass-1!").await.expect("eve");
    // The admin's token with its payload changed: the signature no longer holds.
    let mut parts: Vec<String> = admin.split('.').map(String::from).collect();
    parts[1] = parts[1].chars().rev().collect();
    let forged = parts.join(".");

    // Shells carry no data: anyone gets them.
    assert_eq!(status(&l, "GET", "/console/", None, None).await, 200);
    assert_eq!(
        status(&l, "GET", "/console/api/board", Some(&admin), None).await,
        200
    );
    for path in [
        "/console/api/board",
        "/console/api/pools",
        "/console/api/incidents/c-1",
    ] {
        for token in [
            None,
            Some(foreign.as_str()),
            Some(forged.as_str()),
            Some("x.y.z"),
        ] {
            assert_eq!(
                status(&l, "GET", path, token, None).await,
                401,
                "{path} {token:?}"
            );
        }
    }
    assert_eq!(
        status(&l, "POST", "/console/api/pools/add", None, None).await,
        401
    );
    assert_eq!(
        status(&l, "POST", "/console/api/pools/add", Some(&desk), None).await,
        403
    );
    // A page of another origin gets nothing, even with a token.
    assert_eq!(
        status(
            &l,
            "POST",
            "/console/api/pools/add",
            Some(&admin),
            Some("https://evil.example")
        )
        .await,
        403
    );
    // The runner's clock two hours on: the hour-long token has expired.
    l.advance(120).await;
    assert_eq!(
        status(&l, "GET", "/console/api/board", Some(&admin), None).await,
        401
    );
    let numbers = lifeline_app::ports::AdminStore::list_pool(&l.store, None, chrono::Utc::now())
        .await
        .expect("pool");
    assert!(
        !numbers.iter().any(|n| n.number == "+14255550199"),
        "nothing written"
    );
}
