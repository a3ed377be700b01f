//! The `incident-log` Lambda: the events' handler, wired to the runtime.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lifeline_edge::lambda::run_events(incident_log::IncidentLog::new).await
}
