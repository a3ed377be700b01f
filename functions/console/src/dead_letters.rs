//! Dead letters for the console: the stage's failure queues and the
//! stream's failure bucket, read, shown masked and replayed exactly as
//! `lifeline dlq` does it (the dead-letter crate's logic on the same AWS
//! adapter).

use async_trait::async_trait;

use lifeline_app::settings::table::{LIFELINE_STAGE, LIFELINE_STREAM_FAILURE_BUCKET};
use lifeline_aws::dlq::DeadLetterClients;
use lifeline_console::{DeadLetterError, DeadLetters, LetterLine};
use lifeline_dead_letters::console::{list_letters, masked_text, replay_one, ReplayOneError};
use lifeline_dead_letters::render::ListRow;
use lifeline_dead_letters::{find, FindError, GatherError, Places};

/// Where a replay's Lambda invocations go when not AWS's (the local
/// runner's Invoke API).
pub const LAMBDA_ENDPOINT_VAR: &str = "AWS_ENDPOINT_URL_LAMBDA";

pub struct StageDeadLetters {
    clients: DeadLetterClients,
    places: Places,
}

impl StageDeadLetters {
    pub fn new(
        aws: &aws_config::SdkConfig,
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let lookup = |k: &str| get(k);
        let stage = LIFELINE_STAGE.raw(&lookup).unwrap_or_else(|| "prod".into());
        let bucket = LIFELINE_STREAM_FAILURE_BUCKET
            .raw(&lookup)
            .filter(|b| !b.trim().is_empty());
        let places = Places::new(&stage, bucket.as_deref(), None)
            .map_err(|e| format!("{}: {e}", LIFELINE_STAGE.name))?;
        let mut clients = DeadLetterClients::from_conf(aws);
        if let Some(endpoint) = get(LAMBDA_ENDPOINT_VAR).filter(|e| !e.is_empty()) {
            let conf = aws_sdk_lambda::config::Builder::from(aws)
                .endpoint_url(endpoint)
                .build();
            clients.lambda = aws_sdk_lambda::Client::from_conf(conf);
        }
        Ok(StageDeadLetters { clients, places })
    }
}

fn unavailable(e: GatherError) -> DeadLetterError {
    DeadLetterError::Unavailable(e.to_string())
}

#[async_trait]
impl DeadLetters for StageDeadLetters {
    async fn list(&self) -> Result<Vec<LetterLine>, DeadLetterError> {
        let letters = list_letters(&self.clients, &self.places)
            .await
            .map_err(unavailable)?;
        Ok(letters
            .iter()
            .map(|l| {
                let row = ListRow::of(l);
                LetterLine {
                    id: l.id.clone(),
                    short_id: row.short_id,
                    source: row.source,
                    at: row.at,
                    kind: row.kind,
                    target: row.target,
                    reason: row.reason,
                    subject: row.subject,
                    replayable: l.replay.is_replayable(),
                }
            })
            .collect())
    }

    async fn show(&self, id: &str) -> Result<String, DeadLetterError> {
        let letters = list_letters(&self.clients, &self.places)
            .await
            .map_err(unavailable)?;
        match find(&letters, id) {
            Ok(letter) => Ok(masked_text(letter)),
            Err(FindError::NotFound(_)) => Err(DeadLetterError::NotFound(id.into())),
            Err(e) => Err(DeadLetterError::Refused(e.to_string())),
        }
    }

    async fn replay(&self, id: &str) -> Result<String, DeadLetterError> {
        match replay_one(&self.clients, &self.places, id).await {
            Ok(text) => Ok(text),
            Err(ReplayOneError::Gather(e)) => Err(unavailable(e)),
            Err(ReplayOneError::Find(FindError::NotFound(_))) => {
                Err(DeadLetterError::NotFound(id.into()))
            }
            Err(e) => Err(DeadLetterError::Refused(e.to_string())),
        }
    }
}
