//! A list of recipients, as an admin writes it and the profile stores it.

use serde::Serialize;

use super::{ChatHosts, Recipient, RecipientError};
use crate::types::{Email, MAX_RECIPIENTS};

/// An agent's notification recipients, from the admin's `;`-separated
/// string: trimmed, stray spaces and a trailing `;` accepted, duplicates
/// (same channel and address) dropped, the first kept. A list of bare
/// e-mail addresses reads and prints as it always has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Recipients {
    entries: Vec<Recipient>,
    /// The e-mail entries' addresses, in order: what the e-mail path sends
    /// to, kept beside the entries so it can be lent as a slice.
    #[serde(skip)]
    emails: Vec<Email>,
}

impl Recipients {
    /// An admin's list, chat hosts checked against `allowed`.
    pub fn parse_with(list: &str, allowed: &ChatHosts) -> Result<Self, RecipientError> {
        let out = Recipients::parse_stored(list)?;
        for (position, r) in (1..).zip(&out.entries) {
            r.check_host(allowed, position)?;
        }
        Ok(out)
    }

    /// A list with no chat host allowed: e-mail and SMS only.
    pub fn parse(list: &str) -> Result<Self, RecipientError> {
        Recipients::parse_with(list, &ChatHosts::none())
    }

    /// A stored list: every entry checked for shape, chat hosts not (they
    /// were when the list was written, and are again at each send, against
    /// the allow-list of the day).
    pub fn parse_stored(list: &str) -> Result<Self, RecipientError> {
        let mut out = Recipients::default();
        let entries = list.split(';').map(str::trim).filter(|p| !p.is_empty());
        for (position, entry) in (1..).zip(entries) {
            out.push(Recipient::parse_entry(entry, position)?);
        }
        if out.entries.len() > MAX_RECIPIENTS {
            return Err(RecipientError::TooMany {
                got: out.entries.len(),
            });
        }
        Ok(out)
    }

    fn push(&mut self, r: Recipient) {
        if self.entries.iter().any(|e| e.address == r.address) {
            return;
        }
        if let super::Address::Email(e) = &r.address {
            self.emails.push(e.clone());
        }
        self.entries.push(r);
    }

    /// Every recipient, in order.
    pub fn entries(&self) -> &[Recipient] {
        &self.entries
    }

    /// The e-mail addresses, in order (the e-mail path's recipients).
    pub fn emails(&self) -> &[Email] {
        &self.emails
    }

    /// The e-mail addresses, as the e-mail path has always taken them
    /// (the same as [`Recipients::emails`]).
    pub fn as_slice(&self) -> &[Email] {
        &self.emails
    }

    /// No recipient on any channel.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The canonical `a@x.com; sms:+14255550111|es` form, as stored. Holds
    /// secrets (chat URLs): not for logs or screens.
    pub fn joined(&self) -> String {
        self.written(Recipient::entry)
    }

    /// The same with numbers and webhooks masked: for logs and screens.
    pub fn redacted(&self) -> String {
        self.written(Recipient::redacted)
    }

    fn written(&self, each: fn(&Recipient) -> String) -> String {
        self.entries.iter().map(each).collect::<Vec<_>>().join("; ")
    }
}

impl FromIterator<Recipient> for Recipients {
    /// Deduplicated as a parsed list is (no count limit: the caller's own).
    fn from_iter<I: IntoIterator<Item = Recipient>>(iter: I) -> Self {
        let mut out = Recipients::default();
        for r in iter {
            out.push(r);
        }
        out
    }
}
