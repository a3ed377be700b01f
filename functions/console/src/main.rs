//! The `console` Lambda: configuration, clients and the pool's keys read
//! once at cold start, then the runtime loop.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lifeline_edge::telemetry::init_json();
    let function = console::ConsoleFunction::from_env().await?;
    lifeline_edge::lambda::serve_webhook(function).await
}
