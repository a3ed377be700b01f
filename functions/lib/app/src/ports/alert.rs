//! Sending one alert by text message or to a chat channel: one message to
//! one recipient. Errors are codes only ([`SendError`], as for e-mail):
//! a provider's message can quote the number, and a webhook's URL is a secret.

use async_trait::async_trait;

use super::mail::SendError;
use lifeline_domain::recipient::ChatUrl;
use lifeline_domain::types::E164;

#[async_trait]
pub trait SmsSender: Send + Sync {
    /// Sends `message` as one transactional text to `to`; the provider's
    /// message id, when it gives one.
    async fn send_sms(&self, to: &E164, message: &str) -> Result<Option<String>, SendError>;
}

#[async_trait]
pub trait ChatSender: Send + Sync {
    /// Posts `text` to the incoming webhook `to` (refused before any
    /// request when its host is not allowed); the platform's message id,
    /// when it gives one (incoming webhooks mostly do not).
    async fn send_chat(&self, to: &ChatUrl, text: &str) -> Result<Option<String>, SendError>;
}
