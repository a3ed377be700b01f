//! What the SES emulator accepted, and the dead letters the admin CLI sees.

use crate::rig::Local;
use lifeline_aws::sdk::ClientProfile;
use serde_json::Value;

/// One e-mail the SES emulator accepted.
#[derive(Debug, Clone)]
pub struct SentEmail {
    pub to: Vec<String>,
    pub source: String,
    pub subject: String,
    /// moto keeps one body: the HTML part when there is one.
    pub body: String,
}

/// What moto's SES received, addressed to `recipient`.
pub async fn emails_to(recipient: &str) -> Vec<SentEmail> {
    sent_to(&moto_snapshot().await, recipient)
}

/// As [`emails_to`], an error when moto does not answer (for polling loops
/// that try again).
pub async fn try_emails_to(recipient: &str) -> Result<Vec<SentEmail>, reqwest::Error> {
    Ok(sent_to(&try_moto_snapshot().await?, recipient))
}

/// Everything moto holds (`/moto-api/data.json`).
///
/// moto checks each attribute of its models, then serialises them all; a
/// schedule another test creates in between makes that answer a 500
/// (`Schedule is not JSON serializable`). Such a snapshot is asked for again,
/// a few times.
pub async fn moto_snapshot() -> Value {
    let mut tries = 0;
    loop {
        match try_moto_snapshot().await {
            Ok(data) => return data,
            Err(e) if tries < 20 => {
                tries += 1;
                eprintln!("moto's data.json again ({e})");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => panic!("moto answers: {e}"),
        }
    }
}

async fn try_moto_snapshot() -> Result<Value, reqwest::Error> {
    let base = std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into());
    reqwest::get(format!("{base}/moto-api/data.json"))
        .await?
        .json()
        .await
}

/// The e-mails in moto's `data` addressed to `recipient`.
fn sent_to(data: &Value, recipient: &str) -> Vec<SentEmail> {
    data["ses"]["Message"]
        .as_array()
        .map(|msgs| {
            msgs.iter()
                .filter_map(|m| {
                    let to: Vec<String> = m["destinations"]["ToAddresses"]
                        .as_array()?
                        .iter()
                        .filter_map(|a| a.as_str().map(String::from))
                        .collect();
                    to.iter().any(|a| a == recipient).then(|| SentEmail {
                        to,
                        source: m["source"].as_str().unwrap_or("").into(),
                        subject: m["subject"].as_str().unwrap_or("").into(),
                        body: m["body"].as_str().unwrap_or("").into(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Local {
    /// The admin CLI's dead-letter clients for this system: the emulator's
    /// SQS and S3, and Lambda's Invoke API served by this runner (its token
    /// in the endpoint's path, as `infra/local/env.sh` sets it).
    pub async fn dead_letter_clients(&self) -> lifeline_aws::dlq::DeadLetterClients {
        let conf = lifeline_aws::sdk::load_aws_config(ClientProfile::Admin).await;
        let mut clients = lifeline_aws::dlq::DeadLetterClients::from_conf(&conf);
        clients.lambda = aws_sdk_lambda::Client::from_conf(
            aws_sdk_lambda::config::Builder::from(&conf)
                .endpoint_url(self.sdk_endpoint())
                .build(),
        );
        clients
    }

    /// `lifeline dlq list --json` for this system's stage.
    pub async fn dead_letters(&self) -> Vec<Value> {
        let places = lifeline_cli::dlq::Places {
            stage: lifeline_cli::dlq::Stage::parse(&self.stage).expect("stage"),
            failure_bucket: None,
            only: None,
        };
        let letters = lifeline_cli::dlq::gather(&self.dead_letter_clients().await, &places)
            .await
            .expect("gather dead letters")
            .letters;
        serde_json::from_str::<Value>(&lifeline_cli::dlq::list_json(&letters))
            .ok()
            .and_then(|v| {
                v.as_array()
                    .cloned()
                    .or_else(|| v["deadLetters"].as_array().cloned())
            })
            .unwrap_or_default()
    }

    /// `lifeline dlq replay --all`: (replayed, failed again) and its output.
    pub async fn replay_dead_letters(&self) -> (lifeline_cli::dlq::ReplaySummary, String) {
        let clients = self.dead_letter_clients().await;
        let places = lifeline_cli::dlq::Places {
            stage: lifeline_cli::dlq::Stage::parse(&self.stage).expect("stage"),
            failure_bucket: None,
            only: None,
        };
        let letters = lifeline_cli::dlq::gather(&clients, &places)
            .await
            .expect("gather dead letters")
            .letters;
        let chosen = lifeline_cli::dlq::select(&letters, &[], true).expect("select");
        let mut out = Vec::new();
        let summary = lifeline_cli::dlq::replay(&clients, &chosen, &mut out).await;
        (summary, String::from_utf8_lossy(&out).into_owned())
    }
}

/// The text messages moto's SNS received for `number`, in order.
pub async fn sms_to(number: &str) -> Vec<String> {
    sms_in(&moto_snapshot().await, number)
}

/// How many e-mails moto's `data` holds for `recipient`.
pub fn emails_in(data: &Value, recipient: &str) -> usize {
    sent_to(data, recipient).len()
}

/// The text messages in moto's `data` for `number`, in order.
pub fn sms_in(data: &Value, number: &str) -> Vec<String> {
    data["sns"]["SMS"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|m| m["phone_number"] == number)
                .filter_map(|m| m["message"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}
