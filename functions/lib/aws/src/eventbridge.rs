//! Lifeline's event bus on EventBridge: `PutEvents`, at most ten entries per
//! request, in order; a partly failed request names its first failed entry.

use async_trait::async_trait;
use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use lifeline_app::ports::{BusEntry, EventPublisher, PublishError};
use lifeline_domain::events::SOURCE;

/// `LIFELINE_EVENT_BUS`: the bus's name.
pub const EVENT_BUS_VAR: &str = lifeline_app::settings::table::LIFELINE_EVENT_BUS.name;

/// PutEvents takes at most this many entries.
const MAX_ENTRIES: usize = 10;

#[derive(Clone, Debug)]
pub struct EventBridgeBus {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl EventBridgeBus {
    pub fn new(client: aws_sdk_eventbridge::Client, bus: impl Into<String>) -> Self {
        EventBridgeBus {
            client,
            bus: bus.into(),
        }
    }
}

#[async_trait]
impl EventPublisher for EventBridgeBus {
    async fn publish(&self, entries: &[BusEntry]) -> Result<(), PublishError> {
        for (chunk_no, chunk) in entries.chunks(MAX_ENTRIES).enumerate() {
            let offset = chunk_no * MAX_ENTRIES;
            let request: Vec<PutEventsRequestEntry> = chunk
                .iter()
                .map(|e| {
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&self.bus)
                        .source(SOURCE)
                        .detail_type(&e.detail_type)
                        .detail(&e.detail)
                        .build()
                })
                .collect();
            let answer = self
                .client
                .put_events()
                .set_entries(Some(request))
                .send()
                .await
                .map_err(|e| PublishError {
                    first_failed: offset,
                    reason: DisplayErrorContext(e).to_string(),
                })?;
            if answer.failed_entry_count() > 0 {
                let (index, code) = answer
                    .entries()
                    .iter()
                    .enumerate()
                    .find(|(_, e)| e.error_code().is_some())
                    .map(|(i, e)| (i, e.error_code().unwrap_or_default().to_string()))
                    .unwrap_or((0, "FailedEntry".into()));
                return Err(PublishError {
                    first_failed: offset + index,
                    reason: code,
                });
            }
        }
        Ok(())
    }
}
