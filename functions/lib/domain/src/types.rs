//! Validated newtypes: once built, a value is known to be well-formed.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Why a value was rejected; the caller attaches the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

fn check_id(kind: &str, s: &str) -> Result<(), Invalid> {
    if s.is_empty() {
        return Err(Invalid(format!("{kind} must not be empty")));
    }
    if s.len() > 128 {
        return Err(Invalid(format!("{kind} must be at most 128 characters")));
    }
    // Ids become parts of table keys: keep them to a safe, printable set.
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'@'))
    {
        return Err(Invalid(format!(
            "{kind} may hold only letters, digits and - _ . : @"
        )));
    }
    Ok(())
}

macro_rules! id_type {
    ($name:ident, $kind:literal) => {
        id_type!($name, $kind, check_id);
    };
    ($name:ident, $kind:literal, $check:ident) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = Invalid;
            fn try_from(s: String) -> Result<Self, Invalid> {
                s.parse()
            }
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = Invalid;
            fn from_str(s: &str) -> Result<Self, Invalid> {
                $check($kind, s)?;
                Ok($name(s.to_string()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(CallId, "call id", check_call_id);

/// What separates a platform's `callId` from the position of one of its
/// records (`c-1~2`): a character no platform id may hold.
pub const CHAIN_SEPARATOR: char = '~';

/// A record's id: a platform's `callId`, or one with its record's position
/// (`c-1~2`, see `chain`).
fn check_call_id(kind: &str, s: &str) -> Result<(), Invalid> {
    match s.split_once(CHAIN_SEPARATOR) {
        None => check_id(kind, s),
        Some((base, n)) => {
            check_id(kind, base)?;
            match n.parse::<u32>() {
                // One spelling per position: `c-1~2`, never `c-1~02` or `c-1~1`.
                Ok(p) if p >= 2 && p.to_string() == n => Ok(()),
                _ => Err(Invalid(format!("{kind} has a bad record position"))),
            }
        }
    }
}

impl CallId {
    /// A `callId` as a platform sends it: never a record's position.
    pub fn from_platform(s: &str) -> Result<CallId, Invalid> {
        if s.contains(CHAIN_SEPARATOR) {
            return Err(Invalid(
                "call id may hold only letters, digits and - _ . : @".into(),
            ));
        }
        s.parse()
    }

    /// The platform's `callId` and this record's position under it (1: the
    /// first record, whose id is the platform's).
    pub fn position(&self) -> (&str, u32) {
        match self.0.split_once(CHAIN_SEPARATOR) {
            Some((base, n)) => (base, n.parse().unwrap_or(1)),
            None => (&self.0, 1),
        }
    }

    /// The id of the record at `position` under this id's platform `callId`.
    pub fn at_position(&self, position: u32) -> CallId {
        let (base, _) = self.position();
        match position {
            0 | 1 => CallId(base.to_string()),
            n => CallId(format!("{base}{CHAIN_SEPARATOR}{n}")),
        }
    }

    /// The platform's `callId` (the id itself for a first record).
    pub fn platform(&self) -> CallId {
        self.at_position(1)
    }
}
id_type!(AgentId, "agent id");
id_type!(LeaseId, "lease id");

impl LeaseId {
    /// A lease id from 128 bits the caller drew (a version-4 UUID's), in the
    /// UUID's hyphenated form.
    pub fn from_bits(bits: u128) -> Self {
        let h = format!("{bits:032x}");
        LeaseId(format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        ))
    }
}

/// A phone number in E.164 form: `+` and 8 to 15 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct E164(String);

impl From<E164> for String {
    fn from(v: E164) -> String {
        v.0
    }
}

impl TryFrom<String> for E164 {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        s.parse()
    }
}

impl E164 {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// "No number known": what a call records when no caller ID could be had
    /// at all (area code 000 exists nowhere, so it is never dialed back;
    /// the e-mail says "not known", never this).
    pub fn unknown() -> E164 {
        E164("+10000000000".into())
    }

    pub fn is_unknown(&self) -> bool {
        self.0 == "+10000000000"
    }

    /// For logs: never a full number (`+1425…0199` → `+1******0199`).
    pub fn redacted(&self) -> String {
        let digits = &self.0[1..];
        let keep = 4.min(digits.len());
        format!(
            "+{}{}",
            "*".repeat(digits.len() - keep),
            &digits[digits.len() - keep..]
        )
    }
}

impl FromStr for E164 {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        let digits = s
            .strip_prefix('+')
            .ok_or_else(|| Invalid("phone number must be E.164, starting with +".into()))?;
        if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid(
                "phone number must be E.164: + followed by 8 to 15 digits".into(),
            ));
        }
        if digits.starts_with('0') {
            return Err(Invalid(
                "phone number country code cannot start with 0".into(),
            ));
        }
        Ok(E164(s.to_string()))
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, checked for shape (local@domain.tld), domain lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Email {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        let bad = || Invalid(format!("`{s}` is not a valid e-mail address"));
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = domain.len() <= 253
            && labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if !local_ok || !domain_ok {
            return Err(bad());
        }
        Ok(Email(format!("{local}@{}", domain.to_ascii_lowercase())))
    }
}

/// At most this many recipients per agent.
pub const MAX_RECIPIENTS: usize = 50;

/// A time as the contract writes it: RFC 3339, whole seconds, `Z`.
pub fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!("c-1".parse::<CallId>().is_ok());
        assert!("CA1234abcd".parse::<CallId>().is_ok());
        assert!("".parse::<CallId>().is_err());
        let second: CallId = "c-1~2".parse().unwrap();
        assert_eq!(second.position(), ("c-1", 2));
        assert_eq!(second.platform().as_str(), "c-1");
        assert_eq!(second.at_position(3).as_str(), "c-1~3");
        assert!(CallId::from_platform("c-1~2").is_err());
        assert!(CallId::from_platform("c-1").is_ok());
        for bad in ["c-1~", "c-1~1", "c-1~02", "c-1~x", "~2", "c~2~3"] {
            assert!(bad.parse::<CallId>().is_err(), "{bad}");
        }
        assert!("a b".parse::<AgentId>().is_err());
        assert!("a#b".parse::<AgentId>().is_err());
        assert!("x".repeat(129).parse::<AgentId>().is_err());
    }

    #[test]
    fn e164() {
        assert!("+14255550100".parse::<E164>().is_ok());
        assert!("+4533123456".parse::<E164>().is_ok());
        assert!("14255550100".parse::<E164>().is_err());
        assert!("+1425".parse::<E164>().is_err());
        assert!("+1425555010a".parse::<E164>().is_err());
        assert!("+04255550100".parse::<E164>().is_err());
        let n: E164 = "+14255550199".parse().unwrap();
        assert_eq!(n.redacted(), "+*******0199");
        assert!(!n.redacted().contains("425555"));
    }
}
