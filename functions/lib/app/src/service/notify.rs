//! The emergency-call e-mail: at least once, never lost, sent once it is
//! recorded. A transient failure asks for a retry of the record; a permanent
//! one is recorded on the call and counted.

use std::sync::Arc;

use crate::clock::Clock;
use crate::metrics::{EmfStdout, Metrics};
use crate::ports::{EmailSender, NotificationOutcome, NotifyStore, SendError};
use lifeline_domain::notification::{notification_data, render, NotificationTemplate};
use lifeline_domain::types::{AgentId, CallId, Email};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notified {
    Sent,
    NoRecipients,
    Failed,
    /// Already recorded (a redelivered record): nothing sent.
    AlreadyDone,
    /// The call record is gone (expired): nothing to say.
    NoCall,
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
}

impl<S: NotifyStore, E: EmailSender> NotifyService<S, E> {
    pub fn new(store: Arc<S>, sender: Arc<E>, clock: Arc<dyn Clock>, from: Email) -> Self {
        NotifyService {
            store,
            sender,
            clock,
            metrics: Arc::new(EmfStdout),
            from,
        }
    }

    /// Emits to `metrics` instead of the EMF log lines (tests).
    pub fn with_metrics(mut self, metrics: Arc<dyn Metrics>) -> Self {
        self.metrics = metrics;
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
        let Some(call) = ctx.call else {
            tracing::warn!(call_id = %call_id, "no call record for the notification (expired?)");
            return Ok(Notified::NoCall);
        };
        if ctx.notification.is_some() {
            return Ok(Notified::AlreadyDone);
        }
        let recipients = ctx
            .agent
            .as_ref()
            .map(|a| a.recipients.as_slice().to_vec())
            .unwrap_or_default();
        if recipients.is_empty() {
            tracing::warn!(call_id = %call_id, agent_id = %agent_id, "emergency call with no notification recipients configured");
            self.record(call_id, &NotificationOutcome::NoRecipients)
                .await?;
            return Ok(Notified::NoRecipients);
        }
        let data = notification_data(&call, ctx.agent.as_ref());
        let stored = ctx.template.unwrap_or_else(NotificationTemplate::builtin);
        // A stored template was validated when pushed; should it still fail,
        // the built-in one carries the message: it must go out.
        let email = render(&stored, &data).or_else(|e| {
            tracing::error!(error = %e, version = stored.version, "stored template failed; using the built-in one");
            render(&NotificationTemplate::builtin(), &data)
        });
        let email = email.map_err(|e| RetryLater(format!("built-in template: {e}")))?;
        let started = self.clock.now();
        match self.sender.send(&self.from, &recipients, &email).await {
            Ok(message_id) => {
                tracing::info!(call_id = %call_id, agent_id = %agent_id, recipients = recipients.len(),
                    test = call.test, "emergency notification sent");
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
                Ok(Notified::Sent)
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

    async fn record(&self, call: &CallId, outcome: &NotificationOutcome) -> Result<(), RetryLater> {
        self.store
            .record_notification(call, outcome, self.clock.now())
            .await
            .map_err(|e| RetryLater(e.to_string()))
    }
}
