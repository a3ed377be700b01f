//! `notifier`: `lifeline.call.started` → the emergency-call e-mail, one
//! message per recipient, to the agent's recipients, or to the fallback
//! recipients when the agent's cannot be used. Invoked asynchronously by its
//! rule on the bus: an e-mail not yet sent to everyone fails the invocation,
//! Lambda retries it (sending only to those not sent yet) and then keeps the
//! event in the notifier's failure queue (`lifeline dlq replay`); the outcome
//! is recorded on the call, so a redelivered event does not send again; a
//! call record that does not decode is recorded as failed, never retried.
//! `lifeline.call.caller_id_corrected` → a short correction to the same
//! recipients when the e-mail named another number than the PSAP was shown.
//! Every recipient is reached on their own channel (e-mail, SMS, chat) in
//! their own language. An escalation step's schedule (`{"escalation": …}`)
//! → the step's tier, when nobody has acknowledged (once per step).

use lifeline_app::clock::Clock;
use lifeline_app::metrics::Metrics;
use lifeline_app::ports::{
    AckLinks, AckStore, ChatSender, EmailSender, IncidentStore, NotifyStore, SmsSender,
};
use lifeline_app::service::notify::{AckLinking, Escalating, NotifyService, StepKeeping};
use lifeline_app::settings::Settings;
use lifeline_domain::events::DomainEvent;
use lifeline_domain::expiry::ScheduleInput;
use lifeline_domain::types::Email;
use lifeline_edge::events::decode;
use lifeline_edge::lambda::{failure, EventHandler};
use serde_json::{json, Value};
use std::sync::Arc;

pub struct Notifier<S, E> {
    service: NotifyService<S, E>,
}

impl<S: NotifyStore, E: EmailSender> Notifier<S, E> {
    /// `settings` gives the fallback recipients (`LIFELINE_FALLBACK_RECIPIENTS`):
    /// who gets the e-mail when the agent's own recipients cannot be used; and
    /// the callback window the e-mail states (`LIFELINE_CALLBACK_WINDOW_MINUTES`).
    pub fn new(
        store: Arc<S>,
        sender: Arc<E>,
        clock: Arc<dyn Clock>,
        from: Email,
        settings: &Settings,
    ) -> Self {
        Notifier {
            service: NotifyService::new(store, sender, clock, from)
                .with_fallback(settings.fallback_recipients.clone())
                .with_window(settings.lease.window)
                .with_misdial(settings.misdial_under),
        }
    }

    /// Puts a personal acknowledgement link in each message (made by
    /// `links`), keeping who was alerted in `alerted` before sending.
    pub fn with_ack_links(mut self, links: Arc<dyn AckLinks>, alerted: Arc<dyn AckStore>) -> Self {
        self.service = self.service.with_ack_links(AckLinking { links, alerted });
        self
    }

    /// Sends the SMS and chat recipients their messages (without a sender,
    /// those recipients are refused and counted; the others still go).
    pub fn with_channels(
        mut self,
        sms: Option<Arc<dyn SmsSender>>,
        chat: Option<Arc<dyn ChatSender>>,
    ) -> Self {
        self.service = self.service.with_channels(sms, chat);
        self
    }

    /// Puts each recipient's outcome on the incident's timeline, kept as
    /// long as incidents are (`settings`).
    pub fn with_timeline(mut self, incidents: Arc<dyn IncidentStore>, settings: &Settings) -> Self {
        let keep = lifeline_app::service::incident::retention(settings);
        self.service = self.service.with_timeline(incidents, keep);
        self
    }

    /// Keeps each incident's steps: the follow-up at a call's end goes out
    /// once (with or without escalation).
    pub fn with_steps(mut self, keeping: StepKeeping) -> Self {
        self.service = self.service.with_steps(keeping);
        self
    }

    /// Escalates incidents nobody acknowledged (`escalating`'s schedules
    /// target this function).
    pub fn with_escalation(mut self, escalating: Escalating) -> Self {
        self.service = self.service.with_escalation(escalating);
        self
    }

    /// Emits to `metrics` instead of the EMF log lines (tests).
    pub fn with_metrics(mut self, metrics: Arc<dyn Metrics>) -> Self {
        self.service = self.service.with_metrics(metrics);
        self
    }
}

#[async_trait::async_trait]
impl<S: NotifyStore + 'static, E: EmailSender + 'static> EventHandler for Notifier<S, E> {
    async fn invoke(&self, payload: Value) -> Result<Value, lambda_runtime::Diagnostic> {
        if payload.get("escalation").is_some() {
            return self.escalation_due(payload).await;
        }
        let event = decode(&payload).map_err(|e| failure("BadEvent", e))?;
        if let DomainEvent::CallerIdCorrected(call) = &event {
            let corrected = self
                .service
                .on_caller_id_corrected(&call.call_id, &call.agent_id)
                .await
                .map_err(|e| {
                    tracing::warn!(call_id = %call.call_id, error = %e, "correction not sent yet; Lambda retries");
                    failure("CorrectionNotSent", e)
                })?;
            return Ok(json!({ "corrected": call.call_id, "outcome": format!("{corrected:?}") }));
        }
        if let DomainEvent::CallEnded(call) = &event {
            let done = self
                .service
                .on_call_ended(&call.call_id, &call.agent_id)
                .await
                .map_err(|e| {
                    tracing::warn!(call_id = %call.call_id, error = %e, "follow-up not sent to everyone yet; Lambda retries");
                    failure("FollowUpNotSent", e)
                })?;
            return Ok(json!({ "followedUp": call.call_id, "outcome": format!("{done:?}") }));
        }
        let DomainEvent::CallStarted(call) = &event else {
            return Ok(json!({ "ignored": event.detail_type() }));
        };
        self.service
            .on_call_started(&call.call_id, &call.agent_id)
            .await
            .map_err(|e| {
                tracing::warn!(call_id = %call.call_id, error = %e, "e-mail not sent to everyone yet; Lambda retries");
                failure("NotificationNotSent", e)
            })?;
        Ok(json!({ "notified": call.call_id }))
    }
}

impl<S: NotifyStore + 'static, E: EmailSender + 'static> Notifier<S, E> {
    /// An escalation step's schedule fired. A failure is retried by the
    /// scheduler's retry policy, then kept in its dead-letter queue.
    async fn escalation_due(&self, payload: Value) -> Result<Value, lambda_runtime::Diagnostic> {
        let Ok(ScheduleInput::Escalation { firing }) = serde_json::from_value(payload) else {
            return Err(failure(
                "BadEvent",
                "an escalation firing that does not read",
            ));
        };
        let outcome = self.service.on_escalation_due(&firing).await.map_err(|e| {
            tracing::warn!(call_id = %firing.call_id, step = %firing.label(), error = %e,
                "escalation step not done yet; retried");
            failure("EscalationNotSent", e)
        })?;
        Ok(
            json!({ "escalation": firing.call_id, "step": firing.label(), "outcome": format!("{outcome:?}") }),
        )
    }
}

#[cfg(test)]
mod tests;
