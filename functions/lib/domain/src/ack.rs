//! Acknowledging an incident's alert (pure): who may, and what the first
//! acknowledgement does. Every alert names its recipient by a digest
//! ([`RecipientKey`]); the link a recipient opens carries it.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::recipient::Channel;

/// One recipient of an incident's alerts: a digest of `<channel>:<address>`,
/// 16 hex digits. Links and logs carry it, never the address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecipientKey(String);

impl RecipientKey {
    /// The key of the recipient `address` on `channel`.
    pub fn of(channel: Channel, address: &str) -> Self {
        let digest = Sha256::digest(format!("{}:{address}", channel.as_str()).as_bytes());
        RecipientKey(digest[..8].iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A key as a link or a record gives it: 16 lowercase hex digits.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 16 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| RecipientKey(s.to_string()))
    }
}

impl std::fmt::Display for RecipientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A recipient an incident's alerts went to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertedRecipient {
    pub key: RecipientKey,
    pub channel: Channel,
    pub address: String,
    /// The language of their messages (a follow-up is in it too).
    pub locale: Option<crate::locale::Locale>,
}

impl AlertedRecipient {
    /// The recipient alerted, on its channel and in its locale.
    pub fn of(to: &crate::recipient::Recipient) -> Self {
        AlertedRecipient {
            key: RecipientKey::of(to.channel(), to.address.as_str()),
            channel: to.channel(),
            address: to.address.as_str().to_string(),
            locale: to.locale,
        }
    }

    /// The recipient again (none if the stored address no longer reads).
    pub fn recipient(&self) -> Option<crate::recipient::Recipient> {
        Some(crate::recipient::Recipient {
            address: crate::recipient::Address::parse(self.channel, &self.address, 0).ok()?,
            locale: self.locale,
        })
    }
}

/// One acknowledgement: who, through which channel, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgement {
    pub recipient: RecipientKey,
    pub by: String,
    pub channel: Channel,
    pub at: DateTime<Utc>,
}

impl Acknowledgement {
    /// Who, as the incident keeps it (its timeline, its events, the
    /// console): an e-mail address as is, a number masked to its last four
    /// digits, a webhook by its host alone (its path is a secret).
    pub fn on_record(&self) -> String {
        match crate::recipient::Address::parse(self.channel, &self.by, 0) {
            Ok(address) => address.redacted(),
            Err(_) => format!("a {} recipient", self.channel),
        }
    }
}

/// Why an acknowledgement is not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AckRefusal {
    /// The link names a recipient this incident never alerted.
    #[error("this link's recipient was not alerted for this incident")]
    NotAlerted,
}

/// The acknowledgement `recipient` makes at `at`, if the incident alerted it.
pub fn acknowledge(
    alerted: &[AlertedRecipient],
    recipient: &RecipientKey,
    at: DateTime<Utc>,
) -> Result<Acknowledgement, AckRefusal> {
    let who = alerted
        .iter()
        .find(|r| &r.key == recipient)
        .ok_or(AckRefusal::NotAlerted)?;
    Ok(Acknowledgement {
        recipient: who.key.clone(),
        by: who.address.clone(),
        channel: who.channel,
        at,
    })
}

/// The others who acknowledged before `me`, first first, each once.
pub fn others_before(acks: &[Acknowledgement], me: &RecipientKey) -> Vec<Acknowledgement> {
    let mut sorted: Vec<&Acknowledgement> = acks.iter().collect();
    sorted.sort_by_key(|a| a.at);
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for a in sorted {
        if &a.recipient != me && !seen.contains(&&a.recipient) {
            seen.push(&a.recipient);
            out.push(a.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_496_400, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn alerted() -> Vec<AlertedRecipient> {
        [
            (Channel::Email, "ana@example.com"),
            (Channel::Sms, "+14255550111"),
        ]
        .iter()
        .map(|(c, a)| AlertedRecipient {
            locale: None,
            key: RecipientKey::of(*c, a),
            channel: *c,
            address: a.to_string(),
        })
        .collect()
    }

    #[test]
    fn keys_are_stable_digests() {
        let k = RecipientKey::of(Channel::Email, "ana@example.com");
        assert_eq!(k, RecipientKey::of(Channel::Email, "ana@example.com"));
        assert_ne!(k, RecipientKey::of(Channel::Sms, "ana@example.com"));
        assert_eq!(RecipientKey::parse(k.as_str()), Some(k.clone()));
        assert_eq!(RecipientKey::parse("ABCDEF0123456789"), None);
        assert_eq!(RecipientKey::parse("abc"), None);
    }

    #[test]
    fn only_an_alerted_recipient_acknowledges() {
        let a = alerted();
        let ack = acknowledge(&a, &a[1].key, t(2)).unwrap();
        assert_eq!(
            (ack.by.as_str(), ack.channel),
            ("+14255550111", Channel::Sms)
        );
        let stranger = RecipientKey::of(Channel::Email, "eve@example.com");
        assert_eq!(
            acknowledge(&a, &stranger, t(2)),
            Err(AckRefusal::NotAlerted)
        );
    }

    #[test]
    fn the_others_are_listed_once_in_order() {
        let a = alerted();
        let acks = vec![
            acknowledge(&a, &a[1].key, t(3)).unwrap(),
            acknowledge(&a, &a[0].key, t(1)).unwrap(),
            acknowledge(&a, &a[1].key, t(5)).unwrap(),
        ];
        let others = others_before(&acks, &a[0].key);
        assert_eq!(others.len(), 1);
        assert_eq!(others[0].at, t(3));
        assert_eq!(others_before(&acks, &a[1].key)[0].at, t(1));
    }
}
