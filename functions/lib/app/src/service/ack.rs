//! An alert's acknowledgement link: what the page shows (nothing written:
//! mail scanners open links), and the acknowledgement itself — the first
//! one stops the escalation, later ones are kept too.

use std::sync::Arc;

use crate::clock::Clock;
use crate::ports::{AckStore, StoreError};
use lifeline_domain::ack::{acknowledge, others_before, AckRefusal, Acknowledgement, RecipientKey};
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::types::CallId;

#[derive(Debug, Clone, thiserror::Error)]
pub enum AckError {
    #[error("no such incident")]
    UnknownIncident,
    #[error(transparent)]
    Refused(#[from] AckRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the page shows.
#[derive(Debug, Clone)]
pub struct AckPage {
    pub call: EmergencyCall,
    /// Every acknowledgement so far, first first.
    pub acks: Vec<Acknowledgement>,
}

/// What an acknowledgement did.
#[derive(Debug, Clone)]
pub struct Acknowledged {
    pub ack: Acknowledgement,
    /// The incident's first: it stops the escalation.
    pub first: bool,
    /// Who else acknowledged before, first first.
    pub others: Vec<Acknowledgement>,
    pub call: EmergencyCall,
}

pub struct AckService<S> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
}

impl<S: AckStore> AckService<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>) -> Self {
        AckService { store, clock }
    }

    /// The incident as `recipient` sees it; changes nothing.
    pub async fn view(
        &self,
        incident: &CallId,
        recipient: &RecipientKey,
    ) -> Result<AckPage, AckError> {
        let ctx = self.store.ack_context(incident).await?;
        let call = ctx.call.ok_or(AckError::UnknownIncident)?;
        if !ctx.alerted.iter().any(|r| &r.key == recipient) {
            return Err(AckRefusal::NotAlerted.into());
        }
        let mut acks = ctx.acks;
        acks.sort_by_key(|a| a.at);
        Ok(AckPage { call, acks })
    }

    /// `recipient` acknowledges the incident now.
    pub async fn acknowledge(
        &self,
        incident: &CallId,
        recipient: &RecipientKey,
    ) -> Result<Acknowledged, AckError> {
        let ctx = self.store.ack_context(incident).await?;
        let call = ctx.call.ok_or(AckError::UnknownIncident)?;
        let now = self.clock.now();
        let ack = acknowledge(&ctx.alerted, recipient, now)?;
        // Kept as long as the call's record; a day when it says nothing.
        let keep_until = ctx.keep_until.unwrap_or(now + chrono::Duration::days(1));
        let first = self.store.record_ack(incident, &ack, keep_until).await?;
        tracing::info!(call_id = %incident, recipient = %recipient, channel = %ack.channel, first,
            "incident acknowledged");
        Ok(Acknowledged {
            others: others_before(&ctx.acks, recipient),
            ack,
            first,
            call,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::fakes::MemoryStore;
    use lifeline_domain::ack::AlertedRecipient;
    use lifeline_domain::recipient::Channel;

    fn t(min: i64) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_795_496_400, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn recipient(channel: Channel, address: &str) -> AlertedRecipient {
        AlertedRecipient {
            locale: None,
            key: RecipientKey::of(channel, address),
            channel,
            address: address.into(),
        }
    }

    fn store() -> (Arc<MemoryStore>, CallId) {
        let store = Arc::new(MemoryStore::new());
        let call = lifeline_domain::testing::call("c-1", "a-42", t(0));
        let id = call.call_id.clone();
        store.with_state(|s| {
            s.calls.insert(id.clone(), call);
            s.alerted.insert(
                id.clone(),
                vec![
                    recipient(Channel::Email, "desk@example.com"),
                    recipient(Channel::Sms, "+14255550111"),
                ],
            );
        });
        (store, id)
    }

    #[tokio::test]
    async fn viewing_changes_nothing_and_the_first_acknowledgement_is_first() {
        let (store, id) = store();
        let clock = FixedClock::at(t(1));
        let acks = AckService::new(store.clone(), Arc::new(clock.clone()));
        let desk = RecipientKey::of(Channel::Email, "desk@example.com");
        let sms = RecipientKey::of(Channel::Sms, "+14255550111");
        let writes = store.writes();
        assert!(acks.view(&id, &desk).await.unwrap().acks.is_empty());
        assert_eq!(store.writes(), writes, "a look writes nothing");

        let first = acks.acknowledge(&id, &sms).await.unwrap();
        assert!(first.first && first.others.is_empty());
        assert_eq!(first.ack.channel, Channel::Sms);
        clock.advance(chrono::Duration::minutes(1));
        let second = acks.acknowledge(&id, &desk).await.unwrap();
        assert!(!second.first);
        assert_eq!(second.others.len(), 1);
        assert_eq!(second.others[0].by, "+14255550111");
        assert_eq!(acks.view(&id, &desk).await.unwrap().acks.len(), 2);
    }

    #[tokio::test]
    async fn strangers_and_unknown_incidents_are_refused() {
        let (store, id) = store();
        let acks = AckService::new(store.clone(), Arc::new(FixedClock::at(t(1))));
        let eve = RecipientKey::of(Channel::Email, "eve@example.com");
        assert!(matches!(
            acks.acknowledge(&id, &eve).await,
            Err(AckError::Refused(AckRefusal::NotAlerted))
        ));
        let other: CallId = "c-404".parse().unwrap();
        let desk = RecipientKey::of(Channel::Email, "desk@example.com");
        assert!(matches!(
            acks.view(&other, &desk).await,
            Err(AckError::UnknownIncident)
        ));
        assert!(store.with_state(|s| s.acks.is_empty()));
    }
}
