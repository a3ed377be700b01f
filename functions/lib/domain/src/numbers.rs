//! Emergency-number recognition: normalise what the agent dialed and match the
//! whole number against the emergency numbers of the call's country.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Countries Lifeline supports (DESIGN §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Country {
    US,
    CA,
    PR,
    GB,
    DK,
}

impl Country {
    pub const ALL: [Country; 5] = [
        Country::US,
        Country::CA,
        Country::PR,
        Country::GB,
        Country::DK,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Country::US => "US",
            Country::CA => "CA",
            Country::PR => "PR",
            Country::GB => "GB",
            Country::DK => "DK",
        }
    }

    /// The short numbers that reach emergency services here, and what to place
    /// for each. Agrees with libphonenumber's short-number `emergency` class for
    /// these countries, except Denmark's 114 (police non-emergency line).
    fn table(self) -> &'static [EmergencyEntry] {
        const US: &[EmergencyEntry] = &[
            EmergencyEntry::live("911", "911"),
            EmergencyEntry::live("112", "911"),
            EmergencyEntry::test("933", "933"),
        ];
        const CA: &[EmergencyEntry] = &[
            EmergencyEntry::live("911", "911"),
            EmergencyEntry::live("112", "911"),
        ];
        const PR: &[EmergencyEntry] = &[EmergencyEntry::live("911", "911")];
        const GB: &[EmergencyEntry] = &[
            EmergencyEntry::live("999", "999"),
            EmergencyEntry::live("112", "112"),
        ];
        const DK: &[EmergencyEntry] = &[EmergencyEntry::live("112", "112")];
        match self {
            Country::US => US,
            Country::CA => CA,
            Country::PR => PR,
            Country::GB => GB,
            Country::DK => DK,
        }
    }

    /// The numbers recognised here (for readiness reports and docs).
    pub fn recognised_numbers(self) -> Vec<&'static str> {
        self.table().iter().map(|e| e.dialed).collect()
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A country code Lifeline does not support (still never blocks a call).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported country `{0}`")]
pub struct UnsupportedCountry(pub String);

impl FromStr for Country {
    type Err = UnsupportedCountry;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "US" => Ok(Country::US),
            "CA" => Ok(Country::CA),
            "PR" => Ok(Country::PR),
            "GB" | "UK" => Ok(Country::GB),
            "DK" => Ok(Country::DK),
            _ => Err(UnsupportedCountry(s.trim().to_string())),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct EmergencyEntry {
    dialed: &'static str,
    placed_as: &'static str,
    test: bool,
}

impl EmergencyEntry {
    const fn live(dialed: &'static str, placed_as: &'static str) -> Self {
        EmergencyEntry {
            dialed,
            placed_as,
            test: false,
        }
    }
    const fn test(dialed: &'static str, placed_as: &'static str) -> Self {
        EmergencyEntry {
            dialed,
            placed_as,
            test: true,
        }
    }
}

/// An emergency number recognised in a dial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmergencyMatch {
    pub country: Country,
    /// What the agent dialed, without separators and outside-line prefix.
    pub dialed: &'static str,
    /// The number to place (a visitor's 112 in the US still reaches 911).
    pub placed_as: &'static str,
    /// 933: the address-test number, handled like an emergency.
    pub test: bool,
}

/// The outside-line prefix of the deployment (e.g. `9`): Kari's Law wants the
/// emergency number to work with and without it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutsideLinePrefix(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("outside-line prefix must be 0 to 3 digits, got `{0}`")]
pub struct InvalidPrefix(pub String);

impl OutsideLinePrefix {
    pub fn none() -> Self {
        OutsideLinePrefix(String::new())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for OutsideLinePrefix {
    type Err = InvalidPrefix;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(OutsideLinePrefix(s.to_string()))
        } else {
            Err(InvalidPrefix(s.to_string()))
        }
    }
}

/// Digits of a dial string with visual separators removed. `None` when the
/// string holds anything but digits and separators (`+`, letters, `*`, `#`):
/// such a dial is never a short emergency number.
pub fn dial_digits(dialed: &str) -> Option<String> {
    let mut out = String::with_capacity(dialed.len());
    for c in dialed.chars() {
        match c {
            '0'..='9' => out.push(c),
            ' ' | '-' | '.' | '(' | ')' | '\t' => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Matches the whole dialed number, with or without the outside-line prefix,
/// against `country`'s emergency numbers. `911555` is not an emergency.
pub fn match_emergency(
    dialed: &str,
    country: Country,
    prefix: &OutsideLinePrefix,
) -> Option<EmergencyMatch> {
    let digits = dial_digits(dialed)?;
    let lookup = |d: &str| {
        country
            .table()
            .iter()
            .find(|e| e.dialed == d)
            .map(|e| EmergencyMatch {
                country,
                dialed: e.dialed,
                placed_as: e.placed_as,
                test: e.test,
            })
    };
    lookup(&digits).or_else(|| {
        let p = prefix.as_str();
        if p.is_empty() {
            None
        } else {
            digits.strip_prefix(p).and_then(lookup)
        }
    })
}

/// Whether the dial could be an emergency number in *any* supported country:
/// lets a dial with no location skip every AWS call when it cannot matter.
pub fn could_be_emergency_anywhere(dialed: &str, prefix: &OutsideLinePrefix) -> bool {
    Country::ALL
        .iter()
        .any(|c| match_emergency(dialed, *c, prefix).is_some())
}

/// The digits to place when the country is unknown and nothing else can be
/// trusted (an adapter failing open): the emergency number as dialed, without
/// separators and outside-line prefix, if it is one in any supported country.
pub fn emergency_digits_anywhere(dialed: &str, prefix: &OutsideLinePrefix) -> Option<&'static str> {
    Country::ALL
        .iter()
        .find_map(|c| match_emergency(dialed, *c, prefix))
        .map(|m| m.dialed)
}

/// Voice platforms that format every dial as E.164 turn `911` into `+1911`:
/// the short code when what follows a supported country's calling code is a
/// short code (`+1911` → `911`, `+44 999` → `999`). A real E.164 number is
/// never shortened (it has more digits).
pub fn short_code_from_e164(dialed: &str) -> Option<String> {
    let digits = dial_digits(dialed.trim().strip_prefix('+')?)?;
    ["1", "44", "45"]
        .iter()
        .filter_map(|code| digits.strip_prefix(code))
        .find(|short| short.len() == 3)
        .map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p9() -> OutsideLinePrefix {
        "9".parse().unwrap()
    }

    #[test]
    fn table_of_dials() {
        // (country, dialed, expected placed-as, test)
        type Case = (Country, &'static str, Option<(&'static str, bool)>);
        let cases: &[Case] = &[
            (Country::US, "911", Some(("911", false))),
            (Country::US, "9-911", Some(("911", false))),
            (Country::US, "9 911", Some(("911", false))),
            (Country::US, "9.9.1.1", Some(("911", false))),
            (Country::US, "(911)", Some(("911", false))),
            (Country::US, "112", Some(("911", false))),
            (Country::US, "9112", Some(("911", false))),
            (Country::US, "933", Some(("933", true))),
            (Country::US, "9933", Some(("933", true))),
            (Country::US, "999", None),
            (Country::US, "911555", None),
            (Country::US, "9115550100", None),
            (Country::US, "99911", None),
            (Country::US, "91", None),
            (Country::US, "", None),
            (Country::US, "+1911", None),
            (Country::US, "*911", None),
            (Country::US, "911#", None),
            (Country::US, "1911", None),
            (Country::CA, "911", Some(("911", false))),
            (Country::CA, "112", Some(("911", false))),
            (Country::CA, "933", None),
            (Country::CA, "9-911", Some(("911", false))),
            (Country::PR, "911", Some(("911", false))),
            (Country::PR, "112", None),
            (Country::PR, "933", None),
            (Country::GB, "999", Some(("999", false))),
            (Country::GB, "112", Some(("112", false))),
            (Country::GB, "9 999", Some(("999", false))),
            (Country::GB, "911", None),
            (Country::GB, "9999", Some(("999", false))),
            (Country::GB, "99999", None),
            (Country::DK, "112", Some(("112", false))),
            (Country::DK, "114", None),
            (Country::DK, "911", None),
            (Country::DK, "1120", None),
        ];
        for (country, dialed, expected) in cases {
            let got = match_emergency(dialed, *country, &p9()).map(|m| (m.placed_as, m.test));
            assert_eq!(got, *expected, "{country} dialing {dialed:?}");
        }
    }

    #[test]
    fn without_prefix_configured_the_prefixed_form_is_not_emergency() {
        let none = OutsideLinePrefix::none();
        assert!(match_emergency("911", Country::US, &none).is_some());
        assert!(match_emergency("9911", Country::US, &none).is_none());
    }

    #[test]
    fn other_prefix_is_honoured() {
        let p0: OutsideLinePrefix = "0".parse().unwrap();
        assert!(match_emergency("0-112", Country::DK, &p0).is_some());
        assert!(match_emergency("9-112", Country::DK, &p0).is_none());
    }

    #[test]
    fn prefix_validation() {
        assert!("".parse::<OutsideLinePrefix>().is_ok());
        assert!("81".parse::<OutsideLinePrefix>().is_ok());
        assert!("9a".parse::<OutsideLinePrefix>().is_err());
        assert!("9999".parse::<OutsideLinePrefix>().is_err());
    }

    #[test]
    fn country_parsing() {
        assert_eq!("us".parse::<Country>(), Ok(Country::US));
        assert_eq!("UK".parse::<Country>(), Ok(Country::GB));
        assert!("FR".parse::<Country>().is_err());
        for c in Country::ALL {
            assert_eq!(c.code().parse::<Country>(), Ok(c));
        }
    }

    #[test]
    fn anywhere() {
        assert!(could_be_emergency_anywhere("999", &p9()));
        assert!(could_be_emergency_anywhere("9 112", &p9()));
        assert!(!could_be_emergency_anywhere("4255550123", &p9()));
    }

    #[test]
    fn adapters_fail_open_on_any_countrys_number() {
        let p = p9();
        assert_eq!(emergency_digits_anywhere("9-911", &p), Some("911"));
        assert_eq!(emergency_digits_anywhere("999", &p), Some("999"));
        assert_eq!(emergency_digits_anywhere("112", &p), Some("112"));
        assert_eq!(emergency_digits_anywhere("933", &p), Some("933"));
        assert_eq!(emergency_digits_anywhere("911555", &p), None);
        assert_eq!(emergency_digits_anywhere("+14255550100", &p), None);
    }

    #[test]
    fn e164_formatted_short_codes() {
        let short = |d| short_code_from_e164(d);
        assert_eq!(short("+1911").as_deref(), Some("911"));
        assert_eq!(short("+1933").as_deref(), Some("933"));
        assert_eq!(short("+44999").as_deref(), Some("999"));
        assert_eq!(short("+44 999").as_deref(), Some("999"));
        assert_eq!(short("+45112").as_deref(), Some("112"));
        assert_eq!(short("+1 9 1 1").as_deref(), Some("911"));
        assert_eq!(short("911"), None);
        assert_eq!(short("+14255550100"), None);
        assert_eq!(short("+33112"), None);
        assert_eq!(short("+19115"), None);
    }
}
