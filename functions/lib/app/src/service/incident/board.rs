//! What the console's incident board shows: the recent incidents (the open
//! ones and those closed lately), each with its call's record (the callback
//! number, its window, the location) and its timeline (who was alerted, on
//! which channel, the callback). Read through the incident store only.

use chrono::{DateTime, Utc};

use super::{IncidentError, IncidentService};
use crate::ports::{IncidentFilter, IncidentStore};
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::incident::{sort_timeline, Entry, Incident};
use lifeline_domain::types::CallId;

/// One incident as the board has it.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardEntry {
    pub head: Incident,
    /// The call's record (none: expired, or it does not decode).
    pub call: Option<EmergencyCall>,
    /// In time order.
    pub timeline: Vec<Entry>,
}

impl<S: IncidentStore + ?Sized> IncidentService<S> {
    /// The open incidents and those opened since `since`, at most `limit`,
    /// newest first: one listing, one batch read of their calls, and one
    /// read of each timeline.
    pub async fn board(
        &self,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<BoardEntry>, IncidentError> {
        let heads = self.list(IncidentFilter::Recent { since, limit }).await?;
        if heads.is_empty() {
            // No batch read of nothing (DynamoDB refuses an empty one).
            return Ok(Vec::new());
        }
        let ids: Vec<_> = heads.iter().map(|h| h.call_id.clone()).collect();
        let mut calls = self.store.call_records(&ids).await?;
        let mut out = Vec::with_capacity(heads.len());
        for head in heads {
            let call = calls
                .iter_mut()
                .find(|(id, _)| *id == head.call_id)
                .and_then(|(_, c)| c.take());
            let mut timeline = self.store.incident(&head.call_id).await?.timeline;
            sort_timeline(&mut timeline);
            out.push(BoardEntry {
                head,
                call,
                timeline,
            });
        }
        Ok(out)
    }

    /// One incident with its call's record and timeline (none: no such
    /// incident): one read of the incident, one of the call.
    pub async fn detail(&self, call: &CallId) -> Result<Option<BoardEntry>, IncidentError> {
        let record = self.store.incident(call).await?;
        let Some(head) = record.head else {
            return Ok(None);
        };
        let record_of_call = self
            .store
            .call_records(std::slice::from_ref(call))
            .await?
            .into_iter()
            .next()
            .and_then(|(_, c)| c);
        let mut timeline = record.timeline;
        sort_timeline(&mut timeline);
        Ok(Some(BoardEntry {
            head,
            call: record_of_call,
            timeline,
        }))
    }
}
