//! A runner whose DynamoDB cannot be reached.

use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::sdk::ClientProfile;
use lifeline_aws::test_support::FailFirst;
use lifeline_edge::config::{Config, Mode};
use lifeline_edge::webhook::{Signed, WebhookSecret};
use lifeline_local::LocalSystem;
use serde_json::Value;

/// A runner whose DynamoDB endpoint is broken (`127.0.0.1:<port>`), with the
/// Lambda's critical-path client settings; requests go straight to its handler.
pub struct Broken {
    system: LocalSystem,
    secret: WebhookSecret,
}

impl Broken {
    pub async fn at_port(port: u16) -> Broken {
        let conf = lifeline_aws::sdk::aws_config_loader(ClientProfile::CriticalPath)
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .load()
            .await;
        let config = Config::from_lookup(Mode::Local, |k| {
            (k == "LIFELINE_OUTSIDE_LINE_PREFIX").then(|| "9".to_string())
        })
        .expect("config");
        let secret = config.webhook_secret.clone();
        let system = LocalSystem::new(DynamoStore::from_conf(&conf, "lifeline"), config);
        Broken { system, secret }
    }

    /// A runner on DynamoDB Local's `table` whose listed operations fail every
    /// time, as throttling that outlasts the SDK's retries would.
    pub async fn failing(table: &str, operations: &[&'static str]) -> Broken {
        let conf = lifeline_aws::sdk::aws_config_loader(ClientProfile::CriticalPath)
            .load()
            .await;
        let mut builder = aws_sdk_dynamodb::config::Builder::from(&conf);
        for op in operations {
            builder = builder.interceptor(FailFirst::new(op, usize::MAX));
        }
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(builder.build()), table);
        let config = Config::from_lookup(Mode::Local, |k| match k {
            "LIFELINE_OUTSIDE_LINE_PREFIX" => Some("9".to_string()),
            "LIFELINE_TABLE" => Some(table.to_string()),
            _ => None,
        })
        .expect("config");
        let secret = config.webhook_secret.clone();
        Broken {
            system: LocalSystem::new(store, config),
            secret,
        }
    }

    /// Answers a signed webhook; the status, the JSON and how long it took.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value, std::time::Duration) {
        let raw = body.to_string();
        let mut req = http::Request::new(bytes::Bytes::from(raw.clone()));
        *req.method_mut() = http::Method::POST;
        *req.uri_mut() = path.parse().expect("uri");
        let sig = self.secret.sign(
            chrono::Utc::now().timestamp(),
            Signed::post(path, raw.as_bytes()),
        );
        req.headers_mut()
            .insert("x-lifeline-signature", sig.parse().expect("header"));
        let started = std::time::Instant::now();
        let resp = self.system.handle(req).await;
        let took = started.elapsed();
        let json = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
        (resp.status().as_u16(), json, took)
    }
}
