//! The emergency-call e-mail: one message per recipient (nobody sees another
//! recipient's address), at least once, never lost. A transient failure asks
//! for a retry of the record, which sends only to the recipients not settled
//! yet (the progress is recorded on the call by recipient tag, not address);
//! a permanent refusal of one address is recorded and counted, and never
//! stops the others. Only error codes are logged or stored, never the
//! provider's message (it can quote addresses). Nobody is left unnotified
//! because a lookup failed: when the agent's own recipients cannot be used
//! (no profile, an unreadable one, an empty list, or one the store would not
//! give for a while) the e-mail goes to the configured fallback recipients.
//! Corrupt data is never retried: retrying will not make it readable.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::clock::Clock;
use crate::metrics::{EmfStdout, Metrics};
use crate::ports::{
    Delivery, EmailSender, ErrorCode, NotificationOutcome, NotifyContext, NotifyItem, NotifyStore,
    SendError, Tally,
};
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::lease::LeasePolicy;
use lifeline_domain::notification::{
    notification_data, recipient_tag, render, NotificationTemplate, RenderedEmail,
};
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
    /// To every one of the agent's recipients.
    Sent,
    /// To every one of the fallback recipients, because the agent's could not be used.
    SentToFallback(Fallback),
    /// Some recipients refused for good, the others sent.
    Partial {
        sent: usize,
        refused: usize,
    },
    NoRecipients,
    /// Every recipient refused for good.
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

/// Retry the record later. Its text is logged: no addresses in it.
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
    window: chrono::Duration,
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
            window: LeasePolicy::default().window,
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

    /// The callback window the e-mail states (`Settings::lease.window`,
    /// `LIFELINE_CALLBACK_WINDOW_MINUTES`); 60 minutes unless told.
    pub fn with_window(mut self, window: chrono::Duration) -> Self {
        self.window = window;
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
        let mut data = notification_data(call, ctx.agent.as_ref(), self.window);
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
        self.send_each(&ctx, call, agent_id, recipients, fallback, &email)
            .await
    }

    /// One message per recipient not settled yet (by an earlier attempt);
    /// the progress is recorded while any is left for a retry, the outcome
    /// once every one is settled.
    async fn send_each(
        &self,
        ctx: &NotifyContext,
        call: &EmergencyCall,
        agent_id: &AgentId,
        recipients: &[Email],
        fallback: Option<Fallback>,
        email: &RenderedEmail,
    ) -> Result<Notified, RetryLater> {
        let call_id = &call.call_id;
        let mut progress = ctx.progress.clone();
        let first_messages = !progress.any_sent();
        let started = self.clock.now();
        let (mut sent_now, mut refused_now) = (0usize, 0usize);
        let mut pending: Vec<ErrorCode> = Vec::new();
        // Positions in the list (1-based) name the recipients in the logs.
        for (position, to) in (1..).zip(recipients) {
            let tag = recipient_tag(call_id, to);
            if progress.get(&tag).is_some() {
                continue;
            }
            match self.sender.send(&self.from, to, email).await {
                Ok(message_id) => {
                    tracing::info!(call_id = %call_id, recipient = position, message_id = %message_id,
                        "emergency notification message accepted");
                    progress.0.insert(tag, Delivery::Sent);
                    sent_now += 1;
                }
                Err(SendError::Transient(code)) => {
                    tracing::warn!(call_id = %call_id, recipient = position, error = %code,
                        "notification message not sent; will retry");
                    pending.push(code);
                }
                Err(SendError::Permanent(code)) => {
                    tracing::error!(call_id = %call_id, agent_id = %agent_id, recipient = position,
                        error = %code, "notification message refused permanently; the other recipients are still sent");
                    progress.0.insert(tag, Delivery::Refused(code));
                    refused_now += 1;
                }
            }
        }
        // Per message: one a recipient.
        if sent_now > 0 {
            self.metrics
                .emit("NotificationsSent", sent_now as f64, "Count", &[]);
            if first_messages {
                let since_dial = (started - call.dialed_at).num_milliseconds().max(0) as f64;
                self.metrics
                    .emit("NotificationDelay", since_dial, "Milliseconds", &[]);
            }
        }
        if refused_now > 0 {
            self.metrics
                .emit("NotificationsFailed", refused_now as f64, "Count", &[]);
        }
        if let Some(code) = pending.first() {
            // Kept so that the retry sends only to the others; if it cannot
            // be written, the retry sends to these again (at least once).
            if sent_now + refused_now > 0 {
                if let Err(e) = self.store.record_progress(call_id, &progress).await {
                    tracing::error!(call_id = %call_id, error = %e,
                        "notification progress not recorded: a retry may send some messages twice");
                }
            }
            return Err(RetryLater(format!(
                "{} of {} recipients not sent yet ({code})",
                pending.len(),
                recipients.len()
            )));
        }

        // Every recipient settled (now or by earlier attempts).
        let mut tally = Tally {
            recipients: recipients.len(),
            sent: 0,
            refused: BTreeMap::new(),
        };
        for to in recipients {
            match progress.get(&recipient_tag(call_id, to)) {
                Some(Delivery::Sent) => tally.sent += 1,
                Some(Delivery::Refused(code)) => {
                    *tally.refused.entry(code.clone()).or_default() += 1
                }
                None => {}
            }
        }
        let outcome = NotificationOutcome::Settled(tally.clone());
        let detail = outcome.detail();
        match fallback {
            None if tally.sent == tally.recipients => {
                tracing::info!(call_id = %call_id, agent_id = %agent_id, recipients = tally.recipients,
                    test = call.test, "emergency notification sent")
            }
            None => {
                tracing::error!(call_id = %call_id, agent_id = %agent_id, recipients = tally.recipients,
                    sent = tally.sent, refused = tally.refused_count(), detail = %detail, test = call.test,
                    "emergency notification not sent to every recipient")
            }
            Some(why) => {
                tracing::warn!(call_id = %call_id, agent_id = %agent_id, recipients = tally.recipients,
                    sent = tally.sent, refused = tally.refused_count(), test = call.test, reason = why.as_str(),
                    "emergency notification sent to the fallback recipients: the agent's could not be used");
                self.metrics
                    .count_by("NotificationFallbacks", "Reason", why.as_str());
            }
        }
        // Recorded so a redelivery does not send again. If this fails after
        // something was sent, the record is not retried (a retry would send
        // those again); with nothing sent, it is.
        if let Err(e) = self
            .store
            .record_notification(call_id, &outcome, self.clock.now())
            .await
        {
            if tally.sent == 0 {
                return Err(RetryLater(e.to_string()));
            }
            tracing::error!(call_id = %call_id, error = %e, "sent, but not recorded");
        }
        Ok(if tally.sent == tally.recipients {
            fallback.map_or(Notified::Sent, Notified::SentToFallback)
        } else if tally.sent == 0 {
            Notified::Failed
        } else {
            Notified::Partial {
                sent: tally.sent,
                refused: tally.refused_count(),
            }
        })
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
                reason: CALL_UNREADABLE,
            },
        )
        .await?;
        Ok(Notified::Parked)
    }

    /// Items that did not decode were read as missing: count them, by kind
    /// (the adapter logs each with its key).
    fn report_unreadable(&self, ctx: &NotifyContext) {
        for item in &ctx.unreadable {
            self.metrics.count_by("CorruptItem", "Kind", item.as_str());
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
            platform: Default::default(),
        });
        let call = EmergencyCall {
            call_id: "c-1".parse().unwrap(),
            agent_id: "a-42".parse().unwrap(),
            dialed: "911".into(),
            emergency_number: "911".into(),
            test: false,
            country: Some(Country::US),
            location: None,
            location_source: None,
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

        fn sent_to(&self) -> Vec<String> {
            self.outbox.addresses()
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
        assert_eq!(r.sent_to(), vec!["sup@example.com"]);
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
        assert_eq!(r.sent_to(), vec![DESK]);
        let (_, email) = &r.outbox.messages()[0];
        assert!(email.text.contains("fallback recipient"), "{}", email.text);
        assert!(email.html.contains("fallback recipient"));
        assert_eq!(email.subject, "Emergency call to 911 by Agent a-42");
        assert_eq!(r.outcome().map(|o| o.state()), Some("sent"));
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
        assert_eq!(r.sent_to(), vec![DESK]);
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
        assert_eq!(r.sent_to(), vec![DESK]);
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
        assert_eq!(r.sent_to(), vec![DESK]);
    }

    #[tokio::test]
    async fn a_profile_back_within_the_window_goes_to_the_agents_recipients() {
        let r = rig(DESK);
        r.store
            .with_state(|s| s.notify_unavailable = vec![NotifyItem::Profile]);
        assert!(r.notify().await.is_err());
        r.store.with_state(|s| s.notify_unavailable.clear());
        assert_eq!(r.notify().await.unwrap(), Notified::Sent);
        assert_eq!(r.sent_to(), vec!["sup@example.com"]);
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
        assert_eq!(r.sent_to(), vec!["sup@example.com"], "the agent's list");
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
            Some(NotificationOutcome::Failed { reason }) => {
                assert_eq!(reason, CALL_UNREADABLE);
                assert!(!reason.contains('@') && !reason.contains('+'), "{reason}");
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

    const A: &str = "ann@example.com";
    const B: &str = "bob@example.com";
    const C: &str = "cy@example.org";

    /// The rig, with the agent listing A, B and C.
    fn rig3() -> Rig {
        let r = rig(DESK);
        r.store.with_state(|s| {
            for a in s.agents.values_mut() {
                a.recipients = Recipients::parse(&format!("{A}; {B}; {C}")).unwrap();
            }
        });
        r
    }

    impl Rig {
        fn progress(&self) -> Option<crate::ports::NotifyProgress> {
            self.store
                .with_state(|s| s.notify_progress.get(&"c-1".parse().unwrap()).cloned())
        }
    }

    fn tag(to: &str) -> String {
        recipient_tag(&"c-1".parse().unwrap(), &to.parse().unwrap())
    }

    #[tokio::test]
    async fn one_message_per_recipient_each_to_one_address() {
        let r = rig3();
        assert_eq!(r.notify().await.unwrap(), Notified::Sent);
        assert_eq!(r.sent_to(), vec![A, B, C], "three sends, one address each");
        let messages = r.outbox.messages();
        for (to, email) in &messages {
            for other in [A, B, C].into_iter().filter(|o| o != to) {
                for part in [&email.subject, &email.text, &email.html] {
                    assert!(!part.contains(other), "{to}'s message names {other}");
                }
            }
        }
        assert_eq!(messages[0].1, messages[2].1, "the same message to each");
        let outcome = r.outcome().unwrap();
        assert_eq!(outcome.state(), "sent");
        assert_eq!(outcome.detail(), "sent 3 of 3");
        assert_eq!(r.progress(), None, "nothing pending: no progress kept");
        assert_eq!(
            r.metrics.values("NotificationsSent"),
            vec![3.0],
            "per message"
        );
        assert_eq!(r.metrics.values("NotificationDelay"), vec![5000.0]);
        assert_eq!(r.notify().await.unwrap(), Notified::AlreadyDone);
        assert_eq!(r.outbox.messages().len(), 3);
    }

    #[tokio::test]
    async fn a_transient_failure_on_the_second_is_retried_to_the_second_only() {
        let r = rig3();
        r.outbox.fail_next_to(B, 1);
        let e = r.notify().await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "notification not sent yet: 1 of 3 recipients not sent yet (TooManyRequestsException)"
        );
        assert_eq!(r.sent_to(), vec![A, C], "the others are not held up");
        assert_eq!(r.outcome(), None, "not settled");
        let progress = r.progress().expect("progress recorded");
        assert_eq!(progress.get(&tag(A)), Some(&Delivery::Sent));
        assert_eq!(progress.get(&tag(C)), Some(&Delivery::Sent));
        assert_eq!(progress.get(&tag(B)), None);
        assert!(
            !format!("{progress:?}").contains('@'),
            "tags, not addresses: {progress:?}"
        );
        // The redelivered record sends to B only.
        r.clock.set(t0() + Duration::seconds(8));
        assert_eq!(r.notify().await.unwrap(), Notified::Sent);
        assert_eq!(r.sent_to(), vec![A, C, B]);
        assert_eq!(r.outbox.attempted(), vec![A, B, C, B]);
        assert_eq!(r.outcome().unwrap().detail(), "sent 3 of 3");
        assert_eq!(r.progress(), None, "dropped once settled");
        assert_eq!(r.metrics.values("NotificationsSent"), vec![2.0, 1.0]);
        assert_eq!(
            r.metrics.values("NotificationDelay"),
            vec![5000.0],
            "once a call, at its first messages"
        );
        assert_eq!(r.notify().await.unwrap(), Notified::AlreadyDone);
        assert_eq!(r.outbox.messages().len(), 3, "never twice");
    }

    #[tokio::test]
    async fn a_permanent_refusal_of_one_does_not_stop_the_others() {
        let r = rig3();
        r.outbox.refuse_to(A, "MessageRejected");
        assert_eq!(
            r.notify().await.unwrap(),
            Notified::Partial {
                sent: 2,
                refused: 1
            }
        );
        assert_eq!(r.sent_to(), vec![B, C]);
        let outcome = r.outcome().unwrap();
        assert_eq!(outcome.state(), "partial");
        let detail = outcome.detail();
        assert_eq!(detail, "sent 2 of 3; refused 1 (1 MessageRejected)");
        assert!(!detail.contains('@'));
        assert_eq!(r.metrics.values("NotificationsFailed"), vec![1.0]);
        assert_eq!(r.metrics.values("NotificationsSent"), vec![2.0]);
        assert_eq!(r.notify().await.unwrap(), Notified::AlreadyDone);
        assert_eq!(r.outbox.attempted().len(), 3, "the refusal is not retried");
    }

    #[tokio::test]
    async fn a_refusal_then_a_retry_sends_neither_the_refused_nor_the_sent_again() {
        let r = rig3();
        r.outbox.refuse_to(A, "MessageRejected");
        r.outbox.fail_next_to(B, 2);
        assert!(r.notify().await.is_err());
        assert!(r.notify().await.is_err(), "B still throttled");
        assert_eq!(r.outbox.attempted(), vec![A, B, C, B]);
        assert_eq!(
            r.notify().await.unwrap(),
            Notified::Partial {
                sent: 2,
                refused: 1
            }
        );
        assert_eq!(r.outbox.attempted(), vec![A, B, C, B, B]);
        assert_eq!(r.sent_to(), vec![C, B]);
        assert_eq!(
            r.outcome().unwrap().detail(),
            "sent 2 of 3; refused 1 (1 MessageRejected)",
            "the refusal of the first attempt is in the outcome"
        );
        assert_eq!(r.metrics.values("NotificationsFailed"), vec![1.0]);
    }

    #[tokio::test]
    async fn every_recipient_refused_is_a_failure_with_codes_only() {
        let r = rig3();
        r.outbox.refuse(true);
        assert_eq!(r.notify().await.unwrap(), Notified::Failed);
        let outcome = r.outcome().unwrap();
        assert_eq!(outcome.state(), "failed");
        assert_eq!(
            outcome.detail(),
            "sent 0 of 3; refused 3 (3 MessageRejected)"
        );
        assert_eq!(r.metrics.values("NotificationsFailed"), vec![3.0]);
        assert!(r.metrics.values("NotificationsSent").is_empty());
    }

    #[tokio::test]
    async fn a_lost_progress_write_means_at_least_once_never_lost() {
        let r = rig3();
        r.outbox.fail_next_to(C, 1);
        r.store.fail_next_writes(1);
        assert!(r.notify().await.is_err());
        assert_eq!(r.progress(), None, "the write failed");
        assert_eq!(r.notify().await.unwrap(), Notified::Sent);
        // A and B again (the progress was lost), C at last: nobody missed.
        assert_eq!(r.sent_to(), vec![A, B, A, B, C]);
    }

    #[tokio::test]
    async fn the_email_states_the_configured_window_from_the_end_of_the_call() {
        let r = rig3();
        let service = NotifyService::new(
            r.store.clone(),
            r.outbox.clone(),
            Arc::new(r.clock.clone()),
            "lifeline@example.com".parse().unwrap(),
        )
        .with_window(Duration::minutes(90));
        service
            .on_call_started(&"c-1".parse().unwrap(), &"a-42".parse().unwrap())
            .await
            .unwrap();
        let (_, email) = &r.outbox.messages()[0];
        for part in [&email.text, &email.html] {
            assert!(
                part.contains("valid until 90 minutes after the call ends"),
                "{part}"
            );
            // The lease's end at the dial (t0 + 60 min) is not stated.
            let dial_plus_60 = (t0() + Duration::minutes(60)).format("%H:%M").to_string();
            assert!(!part.contains(&dial_plus_60), "{part}");
        }
    }

    #[tokio::test]
    async fn a_fallback_list_gets_one_message_per_address_too() {
        let r = rig(&format!("{DESK}; night-desk@example.com"));
        r.store.with_state(|s| s.agents.clear());
        assert_eq!(
            r.notify().await.unwrap(),
            Notified::SentToFallback(Fallback::NoProfile)
        );
        assert_eq!(r.sent_to(), vec![DESK, "night-desk@example.com"]);
        assert_eq!(
            r.metrics.values("NotificationFallbacks"),
            vec![1.0],
            "once a call"
        );
    }
}
