//! The `presence-override` Lambda: the stream handler, wired to the runtime.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lifeline_edge::lambda::run_stream(presence_override::PresenceOverride::new).await
}
