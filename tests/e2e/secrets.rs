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

    // A secret that does not exist stops the cold start, naming it.
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
