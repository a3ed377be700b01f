//! Text-message and chat senders in memory, instead of SNS and webhooks.

use async_trait::async_trait;
use std::collections::VecDeque;
use std::sync::Mutex;

use crate::ports::{ChatSender, ErrorCode, SendError, SmsSender};
use lifeline_domain::recipient::ChatUrl;
use lifeline_domain::types::E164;

/// What the next sends answer, then what was sent: shared by both fakes.
#[derive(Debug, Default)]
struct Recorder {
    /// (the whole address, the text) of each message sent.
    sent: Mutex<Vec<(String, String)>>,
    /// Every attempt's address, failed ones included.
    attempts: Mutex<Vec<String>>,
    /// The next sends' failures, in order (then they succeed).
    failures: Mutex<VecDeque<SendError>>,
}

impl Recorder {
    fn fail_next(&self, errors: impl IntoIterator<Item = SendError>) {
        lock(&self.failures).extend(errors);
    }

    fn send(&self, to: &str, text: &str, prefix: &str) -> Result<Option<String>, SendError> {
        lock(&self.attempts).push(to.to_string());
        if let Some(e) = lock(&self.failures).pop_front() {
            return Err(e);
        }
        let mut sent = lock(&self.sent);
        sent.push((to.to_string(), text.to_string()));
        Ok(Some(format!("{prefix}-{}", sent.len())))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// SNS in memory: keeps each (number, text) sent; can fail the next sends.
#[derive(Debug, Default)]
pub struct MemorySms(Recorder);

impl MemorySms {
    /// The next sends fail with these errors, one each, in order.
    pub fn fail_next(&self, errors: impl IntoIterator<Item = SendError>) {
        self.0.fail_next(errors);
    }
    /// The next `n` sends fail as throttling would.
    pub fn throttle_next(&self, n: usize) {
        self.fail_next((0..n).map(|_| SendError::Transient(ErrorCode::new("Throttling"))));
    }
    /// What was sent: (the number, the text).
    pub fn messages(&self) -> Vec<(String, String)> {
        lock(&self.0.sent).clone()
    }
    /// Every number a send was attempted to, in order (failures included).
    pub fn attempted(&self) -> Vec<String> {
        lock(&self.0.attempts).clone()
    }
}

#[async_trait]
impl SmsSender for MemorySms {
    async fn send_sms(&self, to: &E164, message: &str) -> Result<Option<String>, SendError> {
        self.0.send(to.as_str(), message, "sms")
    }
}

/// Chat webhooks in memory: keeps each (URL, text) posted; can fail the
/// next posts.
#[derive(Debug, Default)]
pub struct MemoryChat(Recorder);

impl MemoryChat {
    /// The next posts fail with these errors, one each, in order.
    pub fn fail_next(&self, errors: impl IntoIterator<Item = SendError>) {
        self.0.fail_next(errors);
    }
    /// What was posted: (the webhook URL, the text).
    pub fn messages(&self) -> Vec<(String, String)> {
        lock(&self.0.sent).clone()
    }
    /// Every webhook a post was attempted to, in order (failures included).
    pub fn attempted(&self) -> Vec<String> {
        lock(&self.0.attempts).clone()
    }
}

#[async_trait]
impl ChatSender for MemoryChat {
    async fn send_chat(&self, to: &ChatUrl, text: &str) -> Result<Option<String>, SendError> {
        self.0.send(to.as_str(), text, "chat")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn records_and_fails_on_demand() {
        let sms = MemorySms::default();
        let to: E164 = "+14255550111".parse().unwrap();
        sms.throttle_next(1);
        assert_eq!(
            sms.send_sms(&to, "hi").await,
            Err(SendError::Transient(ErrorCode::new("Throttling")))
        );
        assert_eq!(sms.send_sms(&to, "hi").await, Ok(Some("sms-1".into())));
        assert_eq!(sms.messages(), vec![("+14255550111".into(), "hi".into())]);
        assert_eq!(sms.attempted().len(), 2);

        let chat = MemoryChat::default();
        let url = ChatUrl::parse("https://hooks.slack.com/services/x").unwrap();
        chat.fail_next([SendError::Permanent(ErrorCode::new("Http404"))]);
        assert!(matches!(
            chat.send_chat(&url, "t").await,
            Err(SendError::Permanent(_))
        ));
        assert_eq!(chat.send_chat(&url, "t").await, Ok(Some("chat-1".into())));
        assert_eq!(chat.messages()[0].0, url.as_str());
    }
}
