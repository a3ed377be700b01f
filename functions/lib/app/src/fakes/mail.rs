//! An e-mail sender in memory, instead of SES.

use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::ports::{EmailSender, ErrorCode, SendError};
use lifeline_domain::notification::RenderedEmail;
use lifeline_domain::types::Email;

/// An outbox instead of SES: keeps what was sent (one address a message),
/// can fail the next sends, or those to one address.
#[derive(Debug, Default)]
pub struct MemoryOutbox {
    pub sent: Mutex<Vec<(String, RenderedEmail)>>,
    /// Every send attempt's address, in order, failed ones included.
    pub attempts: Mutex<Vec<String>>,
    transient_failures: AtomicUsize,
    permanent: AtomicBool,
    /// Per address: how many more sends fail transiently, or the code it is
    /// refused with for good.
    per_address: Mutex<HashMap<String, AddressFault>>,
}

#[derive(Debug, Clone)]
enum AddressFault {
    Transient(usize),
    Refused(&'static str),
}

impl MemoryOutbox {
    /// The next `n` sends fail as throttling would.
    pub fn fail_next(&self, n: usize) {
        self.transient_failures.store(n, Ordering::SeqCst);
    }
    /// Every send is refused for good (an unverified sender).
    pub fn refuse(&self, on: bool) {
        self.permanent.store(on, Ordering::SeqCst);
    }
    /// The next `n` sends to `to` fail as throttling would.
    pub fn fail_next_to(&self, to: &str, n: usize) {
        self.per_address
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(to.to_string(), AddressFault::Transient(n));
    }
    /// Sends to `to` are refused for good with `code` (`MessageRejected`).
    pub fn refuse_to(&self, to: &str, code: &'static str) {
        self.per_address
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(to.to_string(), AddressFault::Refused(code));
    }
    /// What was sent: (the one address, the message).
    pub fn messages(&self) -> Vec<(String, RenderedEmail)> {
        self.sent.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
    /// The addresses sent to, in order.
    pub fn addresses(&self) -> Vec<String> {
        self.messages().into_iter().map(|(to, _)| to).collect()
    }
    /// Every address a send was attempted to, in order (failures included).
    pub fn attempted(&self) -> Vec<String> {
        self.attempts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[async_trait]
impl EmailSender for MemoryOutbox {
    async fn send(
        &self,
        _from: &Email,
        to: &Email,
        email: &RenderedEmail,
    ) -> Result<String, SendError> {
        self.attempts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(to.as_str().to_string());
        if self.permanent.load(Ordering::SeqCst) {
            return Err(SendError::Permanent(ErrorCode::new("MessageRejected")));
        }
        if let Some(fault) = self
            .per_address
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(to.as_str())
        {
            match fault {
                AddressFault::Refused(code) => {
                    return Err(SendError::Permanent(ErrorCode::new(code)))
                }
                AddressFault::Transient(n) if *n > 0 => {
                    *n = n.saturating_sub(1);
                    return Err(SendError::Transient(ErrorCode::new(
                        "TooManyRequestsException",
                    )));
                }
                AddressFault::Transient(_) => {}
            }
        }
        if self
            .transient_failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(SendError::Transient(ErrorCode::new(
                "TooManyRequestsException",
            )));
        }
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        sent.push((to.as_str().to_string(), email.clone()));
        Ok(format!("m-{}", sent.len()))
    }
}
