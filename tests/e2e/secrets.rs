//! The webhook secret from Secrets Manager (moto), as the HTTP functions read
//! it at cold start on AWS: `LIFELINE_WEBHOOK_SECRET_ARN`, one `GetSecretValue`.

use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_aws::secrets::{webhook_secret, SecretError, SECRET_ARN_VAR, SECRET_VAR};

#[tokio::test]
async fn webhook_secret_is_read_from_secrets_manager_by_arn() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "needs moto: run ./infra/test.sh (it starts the emulators and sets AWS_ENDPOINT_URL)"
    );
    let aws = load_aws_config(ClientProfile::CriticalPath).await;
    let client = aws_sdk_secretsmanager::Client::new(&aws);
    let name = format!("lifeline-e2e/{}", uuid::Uuid::new_v4().simple());
    let value = "Gk2x9QpVt7Lw3RzN8mYc4HbJ6aEd5FsU1oPiK0lTnWqXrZyMvBgCe";
    let arn = client
        .create_secret()
        .name(&name)
        .secret_string(value)
        .send()
        .await
        .expect("create the secret in moto")
        .arn
        .expect("an ARN");

    let got = webhook_secret(&aws, |k| (k == SECRET_ARN_VAR).then(|| arn.clone()))
        .await
        .expect("read by ARN");
    assert_eq!(got, value);

    // The plain variable (local, development) wins and needs no call.
    let got = webhook_secret(&aws, |k| match k {
        SECRET_VAR => Some("local-secret".into()),
        SECRET_ARN_VAR => Some(arn.clone()),
        _ => None,
    })
    .await
    .unwrap();
    assert_eq!(got, "local-secret");

    // Read once, at cold start (as Twilio's token is): a secret that does not
    // exist stops that cold start, naming it. (The webhook secret's wiring
    // starts without it instead: see below.)
    let missing = format!("{arn}-missing");
    match webhook_secret(&aws, |k| (k == SECRET_ARN_VAR).then(|| missing.clone())).await {
        Err(e @ SecretError::Unreadable { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains(&missing) && text.contains(SECRET_ARN_VAR),
                "{text}"
            );
        }
        other => panic!("expected Unreadable, got {other:?}"),
    }
}

/// The HTTP functions' wiring with a secret that Secrets Manager cannot give
/// yet: the function starts anyway (no 5xx from the platform on a cold
/// emergency dial), fails open on emergency dials, refuses the rest, and
/// verifies signatures once the secret exists and a request has refreshed it.
#[tokio::test]
async fn a_webhook_starts_without_its_secret_and_picks_it_up_once_it_exists() {
    use lifeline_app::ports::AdminStore;
    use lifeline_domain::numbers::Country;
    use lifeline_domain::route::NumberType;
    use lifeline_edge::fixtures::{body_json, signed};
    use lifeline_edge::http::WebhookHandler;
    use lifeline_edge::lambda::webhook_with_secret;
    use lifeline_edge::secret::RefreshPolicy;
    use lifeline_edge::webhook::WebhookSecret;
    use std::time::{Duration, Instant};

    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "needs moto: run ./infra/test.sh (it starts the emulators and sets AWS_ENDPOINT_URL)"
    );
    let aws = load_aws_config(ClientProfile::CriticalPath).await;
    let table = format!("e2e-{}", uuid::Uuid::new_v4().simple());
    let admin = lifeline_aws::dynamo::DynamoStore::from_conf(
        &load_aws_config(ClientProfile::Admin).await,
        &table,
    );
    admin.create_table().await.expect("table");
    admin
        .put_agent(&lifeline_e2e::agent(
            "a-42",
            Country::US,
            NumberType::CallingPlan,
            "+14255550100",
        ))
        .await
        .expect("agent");
    admin
        .add_numbers(
            Country::US,
            &["+14255550190".parse().expect("number")],
            chrono::Utc::now() - chrono::Duration::hours(1),
        )
        .await
        .expect("pool");

    // Secrets Manager takes a name as well as an ARN: this one does not exist yet.
    let name = format!("lifeline-e2e/{}", uuid::Uuid::new_v4().simple());
    let value = "Vb7Qm2Lx9Tn4Rk8Wp3Hs6Jd1Fg5Zc0Ye";
    let vars = [
        ("LIFELINE_TABLE", table.clone()),
        (SECRET_ARN_VAR, name.clone()),
    ];
    let lookup = |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
    let policy = RefreshPolicy {
        retry_every: Duration::from_millis(200),
        ..RefreshPolicy::default()
    };
    let started = Instant::now();
    let handler = webhook_with_secret(&aws, lookup, policy, dial_intake::DialIntake::new)
        .await
        .expect("the cold start goes on without the secret");
    assert!(
        started.elapsed() < Duration::from_millis(1600),
        "bounded: {:?}",
        started.elapsed()
    );
    let refresher = handler
        .refresher()
        .expect("a Secrets Manager secret is refreshed");
    assert!(!refresher.is_set());

    let sender = WebhookSecret::new(value).expect("sender's secret");
    let now = || chrono::Utc::now().timestamp();
    let emergency = |id: &str| {
        serde_json::json!({"callId": id, "agentId": "a-42", "dialed": "911", "from": "+14255550100",
            "location": {"country": "US"}})
        .to_string()
    };
    let ordinary = serde_json::json!({"callId": "o-1", "agentId": "a-42", "dialed": "4255550123",
        "from": "+14255550100", "location": {"country": "US"}})
    .to_string();

    // Unverifiable: the emergency dial fails open, nothing written...
    let r = handler
        .handle(signed(&sender, "/calls/outbound", &emergency("s-1"), now()))
        .await;
    assert_eq!(r.status(), 200);
    let v = body_json(&r);
    assert_eq!(
        (
            v["action"].as_str(),
            v["degraded"].as_bool(),
            v["reason"].as_str()
        ),
        (Some("emergency"), Some(true), Some("unauthenticated")),
        "{v}"
    );
    assert_eq!(v["callerId"], "+14255550100", "the agent's own number");
    // ...and an ordinary request is refused.
    let r = handler
        .handle(signed(&sender, "/calls/outbound", &ordinary, now()))
        .await;
    assert_eq!(r.status(), 401);

    aws_sdk_secretsmanager::Client::new(&aws)
        .create_secret()
        .name(&name)
        .secret_string(value)
        .send()
        .await
        .expect("create the secret in moto");

    // Requests start the refreshes; one of them brings the secret.
    let waiting = Instant::now();
    loop {
        let r = handler
            .handle(signed(&sender, "/calls/outbound", &ordinary, now()))
            .await;
        if r.status() == 200 {
            assert_eq!(body_json(&r)["action"], "continue");
            break;
        }
        assert_eq!(r.status(), 401);
        assert!(
            waiting.elapsed() < Duration::from_secs(5),
            "the secret was never picked up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "secret picked up {:?} after it was created",
        waiting.elapsed()
    );
    let r = handler
        .handle(signed(&sender, "/calls/outbound", &emergency("s-2"), now()))
        .await;
    let v = body_json(&r);
    assert_eq!(v["action"], "emergency", "{v}");
    assert_eq!(v["degraded"], false, "verified and recorded: {v}");
    assert_eq!(v["callerId"], "+14255550190", "a leased number: {v}");
    // A wrong secret is still refused.
    let r = handler
        .handle(signed(
            &WebhookSecret::new("not-the-secret").expect("secret"),
            "/calls/outbound",
            &ordinary,
            now(),
        ))
        .await;
    assert_eq!(r.status(), 401);
}

/// Neither variable set is a configuration error: it stops the cold start.
#[tokio::test]
async fn no_secret_configured_stops_the_cold_start() {
    let aws = load_aws_config(ClientProfile::CriticalPath).await;
    let r = lifeline_edge::lambda::webhook_with_secret(
        &aws,
        |_| None,
        lifeline_edge::secret::RefreshPolicy::default(),
        dial_intake::DialIntake::new,
    )
    .await;
    match r {
        Err(lifeline_edge::lambda::StartError::Secret(e @ SecretError::NotConfigured { .. })) => {
            let text = e.to_string();
            assert!(
                text.contains(SECRET_VAR) && text.contains(SECRET_ARN_VAR),
                "{text}"
            );
        }
        Err(other) => panic!("expected NotConfigured, got {other}"),
        Ok(_) => panic!("expected NotConfigured, got a handler"),
    }
}

/// A rotation scripted as README "Security" says, against moto's Secrets
/// Manager and a warm handler: `lifeline secret rotate` (the new value
/// becomes AWSCURRENT, the old AWSPREVIOUS), the sender keeps signing with
/// the old one, then with both, then with the new one only — and not one
/// request is refused. Retiring the previous version then ends the old
/// one's acceptance at the next refresh.
#[tokio::test]
async fn a_scripted_rotation_refuses_no_request() {
    use lifeline_edge::http::WebhookHandler;
    use lifeline_edge::lambda::webhook_with_secret;
    use lifeline_edge::secret::RefreshPolicy;
    use lifeline_edge::webhook::{Signed, WebhookSecret};
    use std::time::{Duration, Instant};

    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "needs moto: run ./infra/test.sh"
    );
    let aws = load_aws_config(ClientProfile::CriticalPath).await;
    let client = aws_sdk_secretsmanager::Client::new(&aws);
    let name = format!("lifeline-e2e/{}", uuid::Uuid::new_v4().simple());
    let old = lifeline_cli::new_webhook_secret();
    let new = lifeline_cli::new_webhook_secret();
    client
        .create_secret()
        .name(&name)
        .secret_string(&old)
        .send()
        .await
        .expect("create the secret in moto");
    let vars = [
        ("LIFELINE_TABLE", "e2e-rotation".to_string()),
        (SECRET_ARN_VAR, name.clone()),
    ];
    let lookup = |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
    // The interval shortened from 5 minutes so the test takes seconds.
    let max_age = Duration::from_millis(800);
    let policy = RefreshPolicy {
        max_age,
        retry_every: Duration::from_millis(200),
        ..RefreshPolicy::default()
    };
    let handler = webhook_with_secret(&aws, lookup, policy, dial_intake::DialIntake::new)
        .await
        .expect("starts");

    // An ordinary dial: 200 `continue` when verified, 401 when not (no store call).
    let body = serde_json::json!({"callId": "r-1", "agentId": "a-42", "dialed": "4255550123",
        "from": "+14255550100"})
    .to_string();
    let send = |keys: Vec<String>| {
        let body = body.clone();
        let handler = &handler;
        async move {
            let t = chrono::Utc::now().timestamp();
            let signed = Signed::post("/calls/outbound", body.as_bytes());
            let macs: Vec<String> = keys
                .iter()
                .map(|k| {
                    let h = WebhookSecret::new(k).expect("key").sign(t, signed);
                    h[h.find("v2=").expect("v2")..].to_string()
                })
                .collect();
            let header = format!("t={t},{}", macs.join(","));
            let mut req = lambda_http::Request::new(lambda_http::Body::Text(body));
            *req.method_mut() = http::Method::POST;
            *req.uri_mut() = "/calls/outbound".parse().expect("uri");
            req.headers_mut()
                .insert("x-lifeline-signature", header.parse().expect("header"));
            handler.handle(req).await.status().as_u16()
        }
    };
    let phase = |label: &'static str, keys: Vec<String>, for_how_long: Duration| {
        let send = &send;
        async move {
            let started = Instant::now();
            let mut statuses = Vec::new();
            while started.elapsed() < for_how_long {
                statuses.push(send(keys.clone()).await);
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
            let refused = statuses.iter().filter(|s| **s != 200).count();
            println!("{label}: {} requests, {refused} refused", statuses.len());
            (statuses.len(), refused)
        }
    };
    let mut results =
        vec![phase("old secret", vec![old.clone()], Duration::from_millis(400)).await];
    lifeline_aws::secrets::rotate(&client, &name, &new)
        .await
        .expect("rotate");
    // The sender keeps the old secret past a refresh, then signs with both,
    // then moves over.
    results.push(phase("old after the rotation", vec![old.clone()], max_age * 2).await);
    results.push(phase("both", vec![old.clone(), new.clone()], max_age).await);
    results.push(phase("new", vec![new.clone()], max_age).await);
    let (sent, refused) = results
        .iter()
        .fold((0, 0), |(s, r), (s2, r2)| (s + s2, r + r2));
    assert!(sent > 40, "{sent}");
    assert_eq!(refused, 0, "no request refused across the rotation");

    // Retiring the previous version: the old secret is refused after the next
    // refresh, the new one still accepted.
    assert!(lifeline_aws::secrets::retire_previous(&client, &name)
        .await
        .expect("retire"));
    let waiting = Instant::now();
    while send(vec![old.clone()]).await == 200 {
        assert!(
            waiting.elapsed() < Duration::from_secs(5),
            "the old secret is still accepted"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(send(vec![new.clone()]).await, 200);
}
