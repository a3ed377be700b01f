//! `notifier`: the table's stream → the emergency-call e-mail, one message
//! per recipient, to the agent's recipients, or to the fallback recipients
//! when the agent's cannot be used. Records whose e-mail could not be sent
//! to everyone yet are reported for retry (partial batch response), and the
//! retry sends only to those not sent yet; the outcome is recorded on the
//! call, so a redelivered record does not send again; a call record that
//! does not decode is recorded as failed, never retried.

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use lifeline_app::clock::Clock;
use lifeline_app::metrics::Metrics;
use lifeline_app::ports::{EmailSender, NotifyStore};
use lifeline_app::service::notify::NotifyService;
use lifeline_app::settings::Settings;
use lifeline_domain::types::Email;
use lifeline_edge::lambda::StreamHandler;
use lifeline_edge::stream::{for_each_call_change, CallChange, NOTIFY_FILTERS};
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
                .with_window(settings.lease.window),
        }
    }

    /// Emits to `metrics` instead of the EMF log lines (tests).
    pub fn with_metrics(mut self, metrics: Arc<dyn Metrics>) -> Self {
        self.service = self.service.with_metrics(metrics);
        self
    }
}

#[async_trait::async_trait]
impl<S: NotifyStore + 'static, E: EmailSender + 'static> StreamHandler for Notifier<S, E> {
    async fn handle(&self, event: Event) -> DynamoDbEventResponse {
        for_each_call_change(&event, &NOTIFY_FILTERS, |change| async move {
            match change {
                CallChange::Started { agent, call, .. } => self
                    .service
                    .on_call_started(&call, &agent)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                CallChange::Ended { .. } => Ok(()),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests;
