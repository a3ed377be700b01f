//! Whom an alert goes to, and how: a recipient is a channel (e-mail, SMS,
//! chat), an address checked for that channel, and optionally the locale
//! its messages are written in. Lists are written `;`-separated, one entry
//! `channel:address|locale` (`ana@example.com`, a bare address, is e-mail):
//!
//! `ana@example.com; sms:+14255550111|es; chat:https://hooks.slack.com/services/…`
//!
//! Phone numbers and webhook URLs are personal or secret: [`Recipient::redacted`]
//! is what logs and screens show, and `Debug` shows only that.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::locale::{Locale, UnknownLocale};
use crate::types::{Email, Invalid, E164};

mod chat;
mod list;
#[cfg(test)]
mod tests;

pub use chat::{ChatHosts, ChatUrl, InvalidChatUrl, InvalidHost, LOOPBACK, MAX_CHAT_URL};
pub use list::Recipients;

/// The variable that names the hosts chat recipients may point at.
pub const CHAT_HOSTS_VAR: &str = "LIFELINE_CHAT_ALLOWED_HOSTS";

/// How a recipient is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Through SES.
    Email,
    /// A text message through SNS.
    Sms,
    /// A post to an incoming webhook (Slack, Teams, Google Chat).
    Chat,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Sms, Channel::Chat];

    /// The channel a list entry's prefix (or a stored `channel`) names,
    /// in any case.
    pub fn from_tag(tag: &str) -> Option<Channel> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(tag))
    }

    /// The prefix of a list entry, and the JSON `channel`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Chat => "chat",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a message goes: an address checked for its channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    Email(Email),
    Sms(E164),
    Chat(ChatUrl),
}

impl Address {
    /// `text` as an address of `channel` (`position` names it in errors).
    pub fn parse(channel: Channel, text: &str, position: usize) -> Result<Address, RecipientError> {
        let bad = |reason: String| RecipientError::Address {
            position,
            channel,
            reason,
        };
        Ok(match channel {
            Channel::Email => Address::Email(text.parse().map_err(|e: Invalid| bad(e.0))?),
            Channel::Sms => Address::Sms(text.parse().map_err(|e: Invalid| bad(e.0))?),
            Channel::Chat => Address::Chat(ChatUrl::parse(text).map_err(|e| bad(e.to_string()))?),
        })
    }

    pub fn channel(&self) -> Channel {
        match self {
            Address::Email(_) => Channel::Email,
            Address::Sms(_) => Channel::Sms,
            Address::Chat(_) => Channel::Chat,
        }
    }

    /// The whole address (a secret for chat): for the store and the senders.
    pub fn as_str(&self) -> &str {
        match self {
            Address::Email(e) => e.as_str(),
            Address::Sms(n) => n.as_str(),
            Address::Chat(u) => u.as_str(),
        }
    }

    /// For logs and screens: an e-mail as is, a number's last four digits,
    /// a webhook's host.
    pub fn redacted(&self) -> String {
        match self {
            Address::Email(e) => e.as_str().to_string(),
            Address::Sms(n) => n.redacted(),
            Address::Chat(u) => u.redacted(),
        }
    }
}

/// One recipient: an address on its channel, and the locale of its
/// messages (none: the template's default).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Recipient {
    pub address: Address,
    pub locale: Option<Locale>,
}

/// Why an entry of a list (or a recipient) was refused. Names the entry by
/// its position and, where it holds no secret, by its text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecipientError {
    #[error("recipient {position}: unknown channel `{channel}` (email, sms or chat)")]
    UnknownChannel { position: usize, channel: String },
    /// E-mail's reason quotes the address, as before; SMS's and chat's do not.
    #[error("recipient {position} ({channel}): {reason}")]
    Address {
        position: usize,
        channel: Channel,
        reason: String,
    },
    #[error("recipient {position} ({entry}): {source}")]
    Locale {
        position: usize,
        entry: String,
        source: UnknownLocale,
    },
    #[error("recipient {position} ({entry}): chat host `{host}` is not in {CHAT_HOSTS_VAR}")]
    HostNotAllowed {
        position: usize,
        entry: String,
        host: String,
    },
    #[error("at most {max} recipients, got {got}", max = crate::types::MAX_RECIPIENTS)]
    TooMany { got: usize },
}

impl Recipient {
    pub fn channel(&self) -> Channel {
        self.address.channel()
    }

    /// One list entry (already trimmed, not empty), `position` naming it in
    /// errors. The chat host is not checked here (see [`Recipient::check_host`]).
    pub fn parse_entry(entry: &str, position: usize) -> Result<Recipient, RecipientError> {
        // `|locale` ends the entry, unless what follows the last `|` holds
        // an `@` (an e-mail's local part may hold `|`: `a|b@example.com`).
        let (body, locale) = match entry.rsplit_once('|') {
            Some((body, tag)) if !tag.contains('@') => (body.trim(), Some(tag.trim())),
            _ => (entry, None),
        };
        // `channel:` comes before any `@` (an e-mail never holds `:`).
        let (channel, address) = match body.split_once(':') {
            Some((c, rest)) if !c.is_empty() && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
                let channel =
                    Channel::from_tag(c).ok_or_else(|| RecipientError::UnknownChannel {
                        position,
                        channel: c.to_string(),
                    })?;
                (channel, rest.trim())
            }
            _ => (Channel::Email, body),
        };
        let address = Address::parse(channel, address, position)?;
        let locale = match locale {
            None => None,
            Some(tag) => Some(tag.parse().map_err(|source| {
                RecipientError::Locale {
                    position,
                    entry: Recipient {
                        address: address.clone(),
                        locale: None,
                    }
                    .redacted(),
                    source,
                }
            })?),
        };
        Ok(Recipient { address, locale })
    }

    /// A chat recipient's host must be on the allow-list; other channels pass.
    pub fn check_host(&self, allowed: &ChatHosts, position: usize) -> Result<(), RecipientError> {
        match &self.address {
            Address::Chat(url) if !allowed.allows(url) => Err(RecipientError::HostNotAllowed {
                position,
                entry: self.redacted(),
                host: url.host().to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// The list entry, as stored: a bare address for e-mail, `channel:` for
    /// the others, `|locale` when set. Holds secrets (chat): not for logs.
    pub fn entry(&self) -> String {
        self.written(self.address.as_str().to_string())
    }

    /// The list entry with the number or webhook masked: for logs and screens.
    pub fn redacted(&self) -> String {
        self.written(self.address.redacted())
    }

    fn written(&self, address: String) -> String {
        let mut s = match self.channel() {
            Channel::Email => address,
            other => format!("{other}:{address}"),
        };
        if let Some(l) = self.locale {
            s.push('|');
            s.push_str(l.as_str());
        }
        s
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({})", self.redacted())
    }
}

impl FromStr for Recipient {
    type Err = RecipientError;
    /// One entry, its chat host unchecked.
    fn from_str(s: &str) -> Result<Self, RecipientError> {
        Recipient::parse_entry(s.trim(), 1)
    }
}

/// The JSON form: `{"channel":"sms","address":"+14255550111","locale":"es"}`.
#[derive(Serialize, Deserialize)]
struct Wire {
    channel: Channel,
    address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    locale: Option<Locale>,
}

impl Serialize for Recipient {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Wire {
            channel: self.channel(),
            address: self.address.as_str().to_string(),
            locale: self.locale,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Recipient {
    /// Checked as an entry is (the chat host is checked where it is used).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = Wire::deserialize(d)?;
        Ok(Recipient {
            address: Address::parse(w.channel, w.address.trim(), 1)
                .map_err(serde::de::Error::custom)?,
            locale: w.locale,
        })
    }
}
