//! The emergency-call e-mail: at least once, never lost, sent once it is
//! recorded. A transient failure asks for a retry of the record; a permanent
//! one is recorded on the call and counted. Nobody is left unnotified because
//! a lookup failed: when the agent's own recipients cannot be used (no
//! profile, an unreadable one, an empty list, or one the store would not give
//! for a while) the e-mail goes to the configured fallback recipients. Corrupt
//! data is never retried: retrying will not make it readable.

use std::sync::Arc;

use crate::clock::Clock;
use crate::metrics::{EmfStdout, Metrics};
use crate::ports::{
    EmailSender, NotificationOutcome, NotifyContext, NotifyItem, NotifyStore, SendError,
};
use lifeline_domain::notification::{notification_data, render, NotificationTemplate};
use lifeline_domain::types::{AgentId, CallId, Email, Recipients};

/// How long a call's e-mail waits for a profile (or template) the store did
/// not give: retried while the call is younger than this, then sent to the
/// fallback recipients (with the built-in template) rather than retried
/// further, since the stream's retries are few and shared by every agent.
pub const PROFILE_RETRY_WINDOW: chrono::Duration = chrono::Duration::seconds(60);

/// What a parked notification records: no store text, no addresses.
pub const CALL_UNREADABLE: &str = "the call record is unreadable: no e-mail could be written";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notified {
    /// To the agent's recipients.
    Sent,
    /// To the fallback recipients, because the agent's could not be used.
    SentToFallback(Fallback),
    NoRecipients,
    Failed,
    /// The call record does not decode: recorded as failed, not retried.
    Parked,
    /// Already recorded (a redelivered record): nothing sent.
    AlreadyDone,
    /// The call record is gone (expired): nothing to say.
    NoCall,
}

/// Why the agent's own recipients could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    NoProfile,
    ProfileUnreadable,
    /// The store did not give the profile within the retry window.
    ProfileUnavailable,
    /// The profile lists nobody.
    NoRecipients,
}

impl Fallback {
    pub fn as_str(self) -> &'static str {
        match self {
            Fallback::NoProfile => "no_profile",
            Fallback::ProfileUnreadable => "profile_unreadable",
            Fallback::ProfileUnavailable => "profile_unavailable",
            Fallback::NoRecipients => "no_recipients",
        }
    }
}

/// Retry the record later.
#[derive(Debug, Clone, thiserror::Error)]
#[error("notification not sent yet: {0}")]
pub struct RetryLater(pub String);

pub struct NotifyService<S, E> {
    store: Arc<S>,
    sender: Arc<E>,
    clock: Arc<dyn Clock>,
    metrics: Arc<dyn Metrics>,
    from: Email,
    fallback: Recipients,
}

impl<S: NotifyStore, E: EmailSender> NotifyService<S, E> {
    pub fn new(store: Arc<S>, sender: Arc<E>, clock: Arc<dyn Clock>, from: Email) -> Self {
        NotifyService {
            store,
            sender,
            clock,
            metrics: Arc::new(EmfStdout),
            from,
            fallback: Recipients::default(),
        }
    }

    /// Emits to `metrics` instead of the EMF log lines (tests).
    pub fn with_metrics(mut self, metrics: Arc<dyn Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Who gets the e-mail when the agent's recipients cannot be used
    /// (`Settings::fallback_recipients`); empty: nobody.
    pub fn with_fallback(mut self, recipients: Recipients) -> Self {
        self.fallback = recipients;
        self
    }

    pub async fn on_call_started(
        &self,
        call_id: &CallId,
        agent_id: &AgentId,
    ) -> Result<Notified, RetryLater> {
        let ctx = self
            .store
            .notify_context(call_id, agent_id)
            .await
            .map_err(|e| RetryLater(e.to_string()))?;
        // Read from the record even when the rest of it does not decode.
        if ctx.notification.is_some() {
            return Ok(Notified::AlreadyDone);
        }
        self.report_unreadable(&ctx);
        let Some(call) = ctx.call.as_ref() else {
            if ctx.unreadable.contains(&NotifyItem::Call) {
                return self.park(call_id, agent_id).await;
            }
            tracing::warn!(call_id = %call_id, "no call record for the notification (expired?)");
            return Ok(Notified::NoCall);
        };
        let age = self.clock.now() - call.dialed_at;
        if !ctx.unavailable.is_empty() && age < PROFILE_RETRY_WINDOW {
            let items: Vec<&str> = ctx.unavailable.iter().map(|i| i.as_str()).collect();
            tracing::warn!(call_id = %call_id, agent_id = %agent_id, items = ?items,
                "the store did not give every item the notification reads; will retry");
            return Err(RetryLater(format!("not read yet: {}", items.join(", "))));
        }
        let own = ctx
            .agent
            .as_ref()
            .map(|a| a.recipients.as_slice())
            .unwrap_or_default();
        let (recipients, fallback) = if !own.is_empty() {
            (own, None)
        } else {
            let why = Self::why_fallback(&ctx);
            if self.fallback.is_empty() {
                tracing::warn!(call_id = %call_id, agent_id = %agent_id, reason = why.as_str(),
                    "emergency call with no notification recipients (none of the agent's, no fallback configured)");
                self.record(call_id, &NotificationOutcome::NoRecipients)
                    .await?;
                return Ok(Notified::NoRecipients);
            }
            (self.fallback.as_slice(), Some(why))
        };
        let mut data = notification_data(call, ctx.agent.as_ref());
        data.sent_to_fallback = fallback.is_some();
        let stored = ctx
            .template
            .clone()
            .unwrap_or_else(NotificationTemplate::builtin);
        // A stored template was validated when pushed; should it still fail,
        // the built-in one carries the message: it must go out.
        let email = render(&stored, &data).or_else(|e| {
            tracing::error!(error = %e, version = stored.version, "stored template failed; using the built-in one");
            render(&NotificationTemplate::builtin(), &data)
        });
        let email = email.map_err(|e| RetryLater(format!("built-in template: {e}")))?;
        let started = self.clock.now();
        match self.sender.send(&self.from, recipients, &email).await {
            Ok(message_id) => {
                match fallback {
                    None => {
                        tracing::info!(call_id = %call_id, agent_id = %agent_id, recipients = recipients.len(),
                        test = call.test, "emergency notification sent")
                    }
                    Some(why) => {
                        tracing::warn!(call_id = %call_id, agent_id = %agent_id, recipients = recipients.len(),
                            test = call.test, reason = why.as_str(),
                            "emergency notification sent to the fallback recipients: the agent's could not be used");
                        self.metrics.emit_sets(
                            "NotificationFallbacks",
                            1.0,
                            "Count",
                            &[("Reason", why.as_str())],
                            &[&["Reason"], &[]],
                        );
                    }
                }
                self.metrics.emit("NotificationsSent", 1.0, "Count", &[]);
                let since_dial = (started - call.dialed_at).num_milliseconds().max(0) as f64;
                self.metrics
                    .emit("NotificationDelay", since_dial, "Milliseconds", &[]);
                // Recorded so a redelivery does not send again; if this fails, a
                // redelivery may send a second copy (at least once).
                if let Err(e) = self
                    .store
                    .record_notification(
                        call_id,
                        &NotificationOutcome::Sent { message_id },
                        self.clock.now(),
                    )
                    .await
                {
                    tracing::error!(call_id = %call_id, error = %e, "sent, but not recorded");
                }
                Ok(fallback.map_or(Notified::Sent, Notified::SentToFallback))
            }
            Err(SendError::Transient(e)) => {
                tracing::warn!(call_id = %call_id, error = %e, "notification send failed; will retry");
                Err(RetryLater(e))
            }
            Err(SendError::Permanent(e)) => {
                tracing::error!(call_id = %call_id, agent_id = %agent_id, error = %e, "notification refused permanently");
                self.metrics.emit("NotificationsFailed", 1.0, "Count", &[]);
                self.record(call_id, &NotificationOutcome::Failed { error: e })
                    .await?;
                Ok(Notified::Failed)
            }
        }
    }

    /// Why the agent's own list cannot be used (it is empty or unknown).
    fn why_fallback(ctx: &NotifyContext) -> Fallback {
        if ctx.agent.is_some() {
            Fallback::NoRecipients
        } else if ctx.unreadable.contains(&NotifyItem::Profile) {
            Fallback::ProfileUnreadable
        } else if ctx.unavailable.contains(&NotifyItem::Profile) {
            Fallback::ProfileUnavailable
        } else {
            Fallback::NoProfile
        }
    }

    /// A call record that does not decode: nothing to write an e-mail from,
    /// and no retry will change that. Recorded as failed (so a redelivery
    /// does nothing) and counted; the record is not retried.
    async fn park(&self, call_id: &CallId, agent_id: &AgentId) -> Result<Notified, RetryLater> {
        tracing::error!(call_id = %call_id, agent_id = %agent_id,
            "the call record does not decode: no emergency e-mail can be written; parked as failed, not retried");
        self.metrics.emit("NotificationsFailed", 1.0, "Count", &[]);
        self.record(
            call_id,
            &NotificationOutcome::Failed {
                error: CALL_UNREADABLE.into(),
            },
        )
        .await?;
        Ok(Notified::Parked)
    }

    /// Items that did not decode were read as missing: count them, by kind
    /// (the adapter logs each with its key).
    fn report_unreadable(&self, ctx: &NotifyContext) {
        for item in &ctx.unreadable {
            self.metrics.emit_sets(
                "CorruptItem",
                1.0,
                "Count",
                &[("Kind", item.as_str())],
                &[&["Kind"], &[]],
            );
        }
    }

    async fn record(&self, call: &CallId, outcome: &NotificationOutcome) -> Result<(), RetryLater> {
        self.store
            .record_notification(call, outcome, self.clock.now())
            .await
            .map_err(|e| RetryLater(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::fakes::{MemoryOutbox, MemoryStore, RecordedMetrics};
    use crate::ports::ItemKind;
    use chrono::{DateTime, Duration, Utc};
    use lifeline_domain::call::{AgentProfile, EmergencyCall};
    use lifeline_domain::numbers::Country;
    use lifeline_domain::route::{NumberType, Route};

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_496_400, 0).unwrap()
    }

    const DESK: &str = "security-desk@example.com";

    struct Rig {
        service: NotifyService<MemoryStore, MemoryOutbox>,
        store: Arc<MemoryStore>,
        outbox: Arc<MemoryOutbox>,
        clock: FixedClock,
        metrics: Arc<RecordedMetrics>,
    }

    /// Agent a-42 (recipients `sup@example.com`) dialed c-1 at t0; the
    /// clock stands 5 s later; `fallback` is the configured list.
    fn rig(fallback: &str) -> Rig {
        let store = Arc::new(MemoryStore::new());
        store.add_agent(AgentProfile {
            id: "a-42".parse().unwrap(),
            name: "Ana".into(),
            email: None,
            country: Some(Country::US),
            other_country: None,
            source_number: "+14255550100".parse().unwrap(),
            number_type: NumberType::CallingPlan,
            recipients: Recipients::parse("sup@example.com").unwrap(),
            fallback: vec![],
            outbound_profile: None,
        });
        let call = EmergencyCall {
            call_id: "c-1".parse().unwrap(),
            agent_id: "a-42".parse().unwrap(),
            dialed: "911".into(),
            emergency_number: "911".into(),
            test: false,
            country: Some(Country::US),
            location: None,
            caller_id: "+14255550199".parse().unwrap(),
            leased_number: Some("+14255550199".parse().unwrap()),
            lease_id: None,
            callback_expires_at: Some(t0() + Duration::minutes(60)),
            route: Route::DirectOffer,
            degraded: false,
            reason: None,
            dialed_at: t0(),
            desktop_time: None,
            ended_at: None,
        };
        store.with_state(|s| s.calls.insert(call.call_id.clone(), call));
        let outbox = Arc::new(MemoryOutbox::default());
        let clock = FixedClock::at(t0() + Duration::seconds(5));
        let metrics = Arc::new(RecordedMetrics::default());
        let service = NotifyService::new(
            store.clone(),
            outbox.clone(),
            Arc::new(clock.clone()),
            "lifeline@example.com".parse().unwrap(),
        )
        .with_metrics(metrics.clone())
        .with_fallback(Recipients::parse(fallback).unwrap());
        Rig {
            service,
            store,
            outbox,
            clock,
            metrics,
        }
    }

    impl Rig {
        async fn notify(&self) -> Result<Notified, RetryLater> {
            self.service
                .on_call_started(&"c-1".parse().unwrap(), &"a-42".parse().unwrap())
                .await
        }

        fn sent_to(&self) -> Vec<Vec<String>> {
            self.outbox
                .messages()
                .into_iter()
                .map(|(to, _)| to)
                .collect()
        }

        fn outcome(&self) -> Option<NotificationOutcome> {
            self.store.with_state(|s| {
                s.notification_outcomes
                    .get(&"c-1".parse().unwrap())
                    .cloned()
            })
        }

        fn mark_unreadable(&self, kind: ItemKind, key: &str) {
            self.store
                .with_state(|s| s.unreadable.push((kind, key.to_string())));
        }

        fn corrupt_kinds(&self) -> Vec<String> {
            self.metrics
                .all()
                .into_iter()
                .filter(|(n, _, _)| n == "CorruptItem")
                .flat_map(|(_, _, d)| d.into_iter().map(|(_, v)| v))
                .collect()
        }
    }

    #[tokio::test]
    async fn the_agents_own_recipients_come_first() {
        let r = rig(DESK);
        assert_eq!(r.notify().await.unwrap(), Notified::Sent);
        assert_eq!(r.sent_to(), vec![vec!["sup@example.com"]]);
        let (_, email) = &r.outbox.messages()[0];
        assert!(!email.text.contains("fallback"), "{}", email.text);
        assert!(r.metrics.values("NotificationFallbacks").is_empty());
    }

    #[tokio::test]
    async fn a_missing_profile_sends_to_the_fallback_list_and_says_so() {
        let r = rig(DESK);
        r.store.with_state(|s| s.agents.clear());
        assert_eq!(
            r.notify().await.unwrap(),
            Notified::SentToFallback(Fallback::NoProfile)
        );
        assert_eq!(r.sent_to(), vec![vec![DESK]]);
        let (_, email) = &r.outbox.messages()[0];
        assert!(email.text.contains("fallback recipient"), "{}", email.text);
        assert!(email.html.contains("fallback recipient"));
        assert_eq!(email.subject, "Emergency call to 911 by Agent a-42");
        assert!(matches!(
            r.outcome(),
            Some(NotificationOutcome::Sent { .. })
        ));
        assert_eq!(r.metrics.values("NotificationFallbacks"), vec![1.0]);
        // Recorded: a redelivery sends nothing more.
        assert_eq!(r.notify().await.unwrap(), Notified::AlreadyDone);
        assert_eq!(r.outbox.messages().len(), 1);
    }

    #[tokio::test]
    async fn a_corrupt_profile_reads_as_missing_and_is_counted() {
        let r = rig(DESK);
        r.mark_unreadable(ItemKind::Profile, "a-42");
        assert_eq!(
            r.notify().await.unwrap(),
            Notified::SentToFallback(Fallback::ProfileUnreadable)
        );
        assert_eq!(r.sent_to(), vec![vec![DESK]]);
        assert_eq!(r.corrupt_kinds(), vec!["profile"]);
    }

    #[tokio::test]
    async fn a_profile_listing_nobody_sends_to_the_fallback_list() {
        let r = rig(DESK);
        r.store.with_state(|s| {
            for a in s.agents.values_mut() {
                a.recipients = Recipients::default();
            }
        });
        assert_eq!(
            r.notify().await.unwrap(),
            Notified::SentToFallback(Fallback::NoRecipients)
        );
        assert_eq!(r.sent_to(), vec![vec![DESK]]);
        // The agent's own details are still in the e-mail.
        assert!(r.outbox.messages()[0].1.subject.ends_with("by Ana"));
    }

    #[tokio::test]
    async fn without_a_fallback_list_nobody_is_recorded_as_before() {
        let r = rig("");
        r.store.with_state(|s| s.agents.clear());
        assert_eq!(r.notify().await.unwrap(), Notified::NoRecipients);
        assert!(r.outbox.messages().is_empty());
        assert_eq!(r.outcome(), Some(NotificationOutcome::NoRecipients));
        let r = rig("");
        r.mark_unreadable(ItemKind::Profile, "a-42");
        assert_eq!(r.notify().await.unwrap(), Notified::NoRecipients);
    }

    #[tokio::test]
    async fn an_unavailable_profile_is_retried_while_the_call_is_young_then_goes_to_the_fallback() {
        let r = rig(DESK);
        r.store
            .with_state(|s| s.notify_unavailable = vec![NotifyItem::Profile]);
        // 5 s and 59 s after the dial: retry, nothing sent or recorded.
        assert!(r.notify().await.is_err());
        r.clock.set(t0() + Duration::seconds(59));
        assert!(r.notify().await.is_err());
        assert!(r.outbox.messages().is_empty());
        assert_eq!(r.outcome(), None);
        // 60 s: no more retries, the fallback list gets it.
        r.clock.set(t0() + Duration::seconds(60));
        assert_eq!(
            r.notify().await.unwrap(),
            Notified::SentToFallback(Fallback::ProfileUnavailable)
        );
        assert_eq!(r.sent_to(), vec![vec![DESK]]);
    }

    #[tokio::test]
    async fn a_profile_back_within_the_window_goes_to_the_agents_recipients() {
        let r = rig(DESK);
        r.store
            .with_state(|s| s.notify_unavailable = vec![NotifyItem::Profile]);
        assert!(r.notify().await.is_err());
        r.store.with_state(|s| s.notify_unavailable.clear());
        assert_eq!(r.notify().await.unwrap(), Notified::Sent);
        assert_eq!(r.sent_to(), vec![vec!["sup@example.com"]]);
    }

    #[tokio::test]
    async fn an_unavailable_template_is_retried_while_young_then_the_builtin_goes_out() {
        let r = rig(DESK);
        let mut t = NotificationTemplate::builtin();
        t.subject = "Stored: {{ dialed }}".into();
        t.version = 3;
        r.store.with_state(|s| {
            s.template = Some(t);
            s.notify_unavailable = vec![NotifyItem::Template];
        });
        assert!(r.notify().await.is_err());
        r.clock.set(t0() + Duration::seconds(61));
        assert_eq!(r.notify().await.unwrap(), Notified::Sent);
        assert_eq!(
            r.sent_to(),
            vec![vec!["sup@example.com"]],
            "the agent's list"
        );
        assert_eq!(
            r.outbox.messages()[0].1.subject,
            "Emergency call to 911 by Ana"
        );
    }

    #[tokio::test]
    async fn a_corrupt_template_reads_as_absent() {
        let r = rig(DESK);
        let mut t = NotificationTemplate::builtin();
        t.subject = "Stored: {{ dialed }}".into();
        r.store.with_state(|s| {
            s.template = Some(t);
            s.template_unreadable = true;
        });
        assert_eq!(r.notify().await.unwrap(), Notified::Sent);
        assert_eq!(
            r.outbox.messages()[0].1.subject,
            "Emergency call to 911 by Ana"
        );
        assert_eq!(r.corrupt_kinds(), vec!["template"]);
    }

    #[tokio::test]
    async fn a_corrupt_call_record_is_parked_not_retried() {
        let r = rig(DESK);
        r.mark_unreadable(ItemKind::Call, "c-1");
        assert_eq!(r.notify().await.unwrap(), Notified::Parked);
        assert!(r.outbox.messages().is_empty());
        match r.outcome() {
            Some(NotificationOutcome::Failed { error }) => {
                assert_eq!(error, CALL_UNREADABLE);
                assert!(!error.contains('@') && !error.contains('+'), "{error}");
            }
            other => panic!("expected a failed outcome, got {other:?}"),
        }
        assert_eq!(r.corrupt_kinds(), vec!["call"]);
        assert_eq!(r.metrics.values("NotificationsFailed"), vec![1.0]);
        // A redelivery finds it recorded: nothing more, not counted again.
        assert_eq!(r.notify().await.unwrap(), Notified::AlreadyDone);
        assert_eq!(r.corrupt_kinds(), vec!["call"]);
    }

    #[tokio::test]
    async fn a_store_that_cannot_give_the_call_is_retried() {
        let r = rig(DESK);
        r.store.set_failing(true);
        assert!(r.notify().await.is_err());
        r.store.set_failing(false);
        r.store
            .with_state(|s| s.notify_unavailable = vec![NotifyItem::Call]);
        r.clock.set(t0() + Duration::minutes(10));
        assert!(
            r.notify().await.is_err(),
            "without the call, nothing to send"
        );
        assert!(r.outbox.messages().is_empty());
    }

    #[tokio::test]
    async fn a_parked_call_whose_record_cannot_be_written_is_retried() {
        let r = rig(DESK);
        r.mark_unreadable(ItemKind::Call, "c-1");
        r.store.fail_next_writes(1);
        assert!(r.notify().await.is_err());
        assert_eq!(r.notify().await.unwrap(), Notified::Parked);
    }
}
