use callback_router::CallbackRouter;
use lambda_http::{service_fn, Error, Request};
use lifeline_core::clock::SystemClock;
use lifeline_core::config::{Config, Mode};
use lifeline_core::dynamo::{load_aws_config, ClientProfile, DynamoStore};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lifeline_core::telemetry::init_json();
    let config = Arc::new(Config::from_env(Mode::Lambda)?);
    let aws = load_aws_config(ClientProfile::CriticalPath).await;
    let store = Arc::new(DynamoStore::from_conf(&aws, &config.table));
    let handler = Arc::new(CallbackRouter::new(store, Arc::new(SystemClock), config));
    lambda_http::run(service_fn(move |req: Request| {
        let handler = handler.clone();
        async move { Ok::<_, std::convert::Infallible>(handler.handle(req).await) }
    }))
    .await
}
