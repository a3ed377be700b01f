//! The `presence-override` Lambda: the call events' handler, wired to the runtime.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lifeline_edge::lambda::run_events(presence_override::PresenceOverride::new).await
}
