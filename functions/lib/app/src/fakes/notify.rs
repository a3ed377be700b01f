//! What the notifier reads and records for a call's e-mail, in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::faults::WriteOp;
use super::store::MemoryStore;
use crate::ports::{
    ItemKind, NotificationOutcome, NotifyContext, NotifyItem, NotifyProgress, NotifyStore,
    StoreError,
};
use lifeline_domain::types::{AgentId, CallId, E164};

#[async_trait]
impl NotifyStore for MemoryStore {
    async fn notify_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<NotifyContext, StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| {
            let corrupt =
                |kind: ItemKind, key: &str| s.unreadable.contains(&(kind, key.to_string()));
            let mut ctx = NotifyContext {
                call: s.calls.get(call).cloned(),
                notification: s.notifications.get(call).cloned(),
                progress: s.notify_progress.get(call).cloned().unwrap_or_default(),
                named: s.notified_caller_ids.get(call).cloned(),
                corrected: s.corrected_caller_ids.get(call).cloned(),
                agent: s.agents.get(agent).cloned(),
                template: s.template.clone(),
                families: s.template_families.values().cloned().collect(),
                tenant_locale: s.tenant_locale,
                escalation: s.escalation.clone().unwrap_or_default(),
                unreadable: Vec::new(),
                unavailable: Vec::new(),
            };
            // As the adapter: an unreadable item exists, so it is reported
            // only if it is there; an unavailable one is reported either way.
            if corrupt(ItemKind::Call, call.as_str()) && ctx.call.take().is_some() {
                ctx.unreadable.push(NotifyItem::Call);
            }
            if corrupt(ItemKind::Profile, agent.as_str()) && ctx.agent.take().is_some() {
                ctx.unreadable.push(NotifyItem::Profile);
            }
            if s.template_unreadable && ctx.template.take().is_some() {
                ctx.unreadable.push(NotifyItem::Template);
            }
            for item in &s.notify_unavailable {
                match item {
                    NotifyItem::Profile => ctx.agent = None,
                    NotifyItem::Template => ctx.template = None,
                    // The adapter fails the whole read without the call.
                    NotifyItem::Call => {
                        return Err(StoreError::Unavailable("call not read: throttled".into()))
                    }
                }
                ctx.unavailable.push(*item);
            }
            Ok(ctx)
        })?)
    }

    async fn record_notification(
        &self,
        call: &CallId,
        outcome: &NotificationOutcome,
        named: Option<&E164>,
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.check(true)?;
        self.with_state(|s| {
            // As the adapter's condition: only on a call record (one that
            // expired meanwhile has nothing left to mark).
            if !s.calls.contains_key(call) {
                return;
            }
            s.notify_progress.remove(call);
            if let Some(n) = named {
                s.notified_caller_ids.insert(call.clone(), n.clone());
            }
            s.notification_outcomes
                .insert(call.clone(), outcome.clone());
            s.notifications
                .insert(call.clone(), outcome.state().to_string());
        });
        self.answer(WriteOp::RecordNotification).await;
        Ok(())
    }

    async fn record_correction(&self, call: &CallId, number: &E164) -> Result<(), StoreError> {
        self.check(true)?;
        self.with_state(|s| {
            if s.calls.contains_key(call) {
                s.corrected_caller_ids.insert(call.clone(), number.clone());
            }
        });
        self.answer(WriteOp::RecordNotification).await;
        Ok(())
    }

    async fn record_progress(
        &self,
        call: &CallId,
        progress: &NotifyProgress,
    ) -> Result<(), StoreError> {
        self.check(true)?;
        if super::faults::take_one(&self.faults.fail_progress) {
            return Err(StoreError::Unavailable("injected progress fault".into()));
        }
        self.with_state(|s| {
            // As the adapter's condition: on a call record, never over a
            // recorded outcome.
            if s.calls.contains_key(call) && !s.notifications.contains_key(call) {
                s.notify_progress.insert(call.clone(), progress.clone());
                s.sending_claims.remove(call);
            }
        });
        self.answer(WriteOp::RecordProgress).await;
        Ok(())
    }

    async fn claim_sending(
        &self,
        call: &CallId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.check(true)?;
        let claimed = self.with_state(|s| {
            let free = s.calls.contains_key(call)
                && !s.notifications.contains_key(call)
                && s.sending_claims.get(call).is_none_or(|held| *held < now);
            if free {
                s.sending_claims.insert(call.clone(), until);
            }
            free
        });
        self.answer(WriteOp::ClaimSending).await;
        Ok(claimed)
    }
}
