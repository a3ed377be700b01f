//! Each recipient's outcome on the incident's timeline: `alerted` (sent,
//! on which channel, to whom — masked), or `failed` and why (the error
//! code only). Written after the round, off the alert's path; a write that
//! fails is logged and never fails the alert (the outcome is on the call).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::ports::IncidentStore;
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::incident::{hashed, Entry, EntryDetail, EntryKind};

use super::sending::{Round, SendOutcome};

#[derive(Clone)]
pub(super) struct Timeline {
    pub(super) store: Arc<dyn IncidentStore>,
    /// How long incident items are kept after a write.
    pub(super) keep: chrono::Duration,
}

impl Timeline {
    /// One entry per recipient `round` sent to or failed; `label` names the
    /// step (`tier 2`, `follow-up`) in the entry's note.
    pub(super) async fn record_round(
        &self,
        call: &EmergencyCall,
        round: &Round,
        at: DateTime<Utc>,
        label: Option<&str>,
    ) {
        let ttl = at + self.keep;
        let writes = round.outcomes.iter().map(|o| {
            let entry = entry_for(o, at, label);
            async move { self.store.append_entry(&call.call_id, &entry, ttl).await }
        });
        for result in futures_util::future::join_all(writes).await {
            if let Err(e) = result {
                tracing::warn!(call_id = %call.call_id, error = %e,
                    "an alert's timeline entry was not written (the alert's outcome is on the call)");
            }
        }
    }
}

/// The entry of one recipient's outcome: masked address, code only.
pub(super) fn entry_for(o: &SendOutcome, at: DateTime<Utc>, label: Option<&str>) -> Entry {
    let channel = o.recipient.channel();
    let (kind, reason, note) = match &o.failed {
        None => (EntryKind::Alerted, None, None),
        Some((code, retrying)) => (
            EntryKind::Failed,
            Some(code.as_str().to_string()),
            retrying.then(|| "will retry".to_string()),
        ),
    };
    let note = match (label, note) {
        (Some(l), Some(n)) => Some(format!("{l}; {n}")),
        (Some(l), None) => Some(l.to_string()),
        (None, n) => n,
    };
    let discriminator = hashed(&[
        channel.as_str(),
        o.recipient.address.as_str(),
        label.unwrap_or(""),
    ]);
    Entry::new(at, kind, discriminator).with(EntryDetail {
        channel: Some(channel.as_str().to_string()),
        recipient: Some(o.recipient.address.redacted()),
        reason,
        note,
        ..EntryDetail::default()
    })
}
