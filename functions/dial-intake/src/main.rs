//! The `dial-intake` Lambda: the handler, wired to the runtime.

use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_aws::sqs::SqsOutbox;
use lifeline_domain::numbers::Country;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    // The outbox (LIFELINE_OUTBOX_QUEUE_URL), read once at cold start.
    let aws = load_aws_config(ClientProfile::CriticalPath).await;
    let outbox = SqsOutbox::from_lookup(&aws, |k| std::env::var(k).ok());
    lifeline_edge::lambda::run_webhook(move |store, clock, config| {
        let intake = dial_intake::DialIntake::new(store, clock, config);
        // Candidate numbers read ahead, off the request path: the cold
        // start's first dials need no lookup. Profiles are learnt per agent
        // (a scan of them all by every new container of a burst would load
        // the table when it matters most).
        intake.service().prefetch(&Country::SEED);
        match outbox {
            Some(outbox) => intake.with_outbox(Arc::new(outbox)),
            None => intake,
        }
    })
    .await
}
