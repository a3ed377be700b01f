//! The `ack` Lambda: the handler, wired to the runtime.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lifeline_edge::lambda::run_webhook(ack::AckApi::new).await
}
