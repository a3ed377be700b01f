//! The languages Lifeline writes its messages in: one value per locale tag.
//! Recipients carry one (`email:ana@example.com|es`), templates are kept per
//! locale; a tag the project does not know is refused, never guessed.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A locale Lifeline knows (its tag is the lower-case ISO 639-1 code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Locale {
    En,
    Es,
    Fr,
    De,
    Da,
}

/// A tag that is no known locale.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown locale `{0}` (known: en, es, fr, de, da)")]
pub struct UnknownLocale(pub String);

impl Locale {
    /// Every locale, English (the default) first.
    pub const ALL: [Locale; 5] = [Locale::En, Locale::Es, Locale::Fr, Locale::De, Locale::Da];

    /// What is used when nothing says otherwise.
    pub const DEFAULT: Locale = Locale::En;

    /// The tag, as written in lists and stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Es => "es",
            Locale::Fr => "fr",
            Locale::De => "de",
            Locale::Da => "da",
        }
    }
}

impl FromStr for Locale {
    type Err = UnknownLocale;
    /// Exact tags only, case-insensitive (`es`, `ES`); regional forms
    /// (`es-MX`) are refused so one spelling is stored.
    fn from_str(s: &str) -> Result<Self, UnknownLocale> {
        Locale::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownLocale(s.to_string()))
    }
}

impl TryFrom<String> for Locale {
    type Error = UnknownLocale;
    fn try_from(s: String) -> Result<Self, UnknownLocale> {
        s.parse()
    }
}

impl From<Locale> for &'static str {
    fn from(l: Locale) -> &'static str {
        l.as_str()
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip() {
        for l in Locale::ALL {
            assert_eq!(l.as_str().parse::<Locale>(), Ok(l));
            assert_eq!(l.to_string(), l.as_str());
        }
        assert_eq!("ES".parse::<Locale>(), Ok(Locale::Es));
        for bad in ["", "xx", "es-MX", "english", "e"] {
            assert!(bad.parse::<Locale>().is_err(), "{bad}");
        }
    }

    #[test]
    fn serde_uses_the_tag() {
        let json = serde_json::to_string(&Locale::Da).unwrap();
        assert_eq!(json, "\"da\"");
        assert_eq!(
            serde_json::from_str::<Locale>("\"fr\"").unwrap(),
            Locale::Fr
        );
        assert!(serde_json::from_str::<Locale>("\"xx\"").is_err());
    }
}
