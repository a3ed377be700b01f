//! Emergency-number recognition: normalise what the agent dialed and match the
//! whole number against the emergency numbers of the call's country.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

mod regions;
mod urn;

pub use regions::METADATA_VERSION;
pub use urn::{service_urn, ServiceUrn};

/// A country (ISO 3166 alpha-2) whose emergency numbers are known: every
/// region of libphonenumber's short-number metadata (docs/contract.md, "Countries and emergency numbers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

impl Country {
    pub const US: Country = Country(*b"US");
    pub const CA: Country = Country(*b"CA");
    pub const PR: Country = Country(*b"PR");
    pub const GB: Country = Country(*b"GB");
    pub const DK: Country = Country(*b"DK");
    pub const AU: Country = Country(*b"AU");

    /// The seed's countries, whose rules are Lifeline's own (docs/contract.md, "Countries and emergency numbers"):
    /// the ones a fresh deployment reads candidates ahead for.
    pub const SEED: [Country; 5] = [
        Country::US,
        Country::CA,
        Country::PR,
        Country::GB,
        Country::DK,
    ];

    /// Every country whose emergency numbers are known, by code.
    pub fn all() -> impl Iterator<Item = Country> {
        regions::REGIONS
            .iter()
            .filter_map(|(code, _)| code.parse().ok())
    }

    pub fn code(&self) -> &str {
        // Built only from two ASCII letters.
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }

    /// The seed's rules where it has them; elsewhere each number of the
    /// metadata, placed as dialed.
    fn lookup(self, digits: &str) -> Option<EmergencyEntry> {
        match seed_table(self) {
            Some(table) => table.iter().find(|e| e.dialed == digits).copied(),
            None => self
                .metadata_numbers()
                .iter()
                .find(|n| **n == digits)
                .map(|n| EmergencyEntry::live(n, n)),
        }
    }

    fn metadata_numbers(self) -> &'static [&'static str] {
        region_numbers(self.0).unwrap_or(&[])
    }

    /// The numbers recognised here (for readiness reports and docs).
    pub fn recognised_numbers(self) -> Vec<&'static str> {
        match seed_table(self) {
            Some(table) => table.iter().map(|e| e.dialed).collect(),
            None => self.metadata_numbers().to_vec(),
        }
    }
}

/// The metadata's emergency numbers of the region `code`, if it has any.
fn region_numbers(code: [u8; 2]) -> Option<&'static [&'static str]> {
    regions::REGIONS
        .binary_search_by(|(c, _)| c.as_bytes().cmp(&code[..]))
        .ok()
        .map(|i| regions::REGIONS[i].1)
}

/// The seed countries' numbers and what to place for each. They agree with
/// the metadata except Denmark's 114 (the police's non-emergency line), the
/// US test number 933, and 112 placed as 911 in North America.
fn seed_table(country: Country) -> Option<&'static [EmergencyEntry]> {
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
    Some(match country {
        Country::US => US,
        Country::CA => CA,
        Country::PR => PR,
        Country::GB => GB,
        Country::DK => DK,
        _ => return None,
    })
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Country {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A country code whose emergency numbers are not known (still never blocks
/// a call).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported country `{0}`")]
pub struct UnsupportedCountry(pub String);

impl FromStr for Country {
    type Err = UnsupportedCountry;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let code = s.trim().to_ascii_uppercase();
        // `UK` is the common mistake for GB (ISO reserves it for the UK).
        let code = if code == "UK" { "GB".to_string() } else { code };
        let unsupported = || UnsupportedCountry(s.trim().to_string());
        let bytes: [u8; 2] = code.as_bytes().try_into().map_err(|_| unsupported())?;
        region_numbers(bytes)
            .map(|_| Country(bytes))
            .ok_or_else(unsupported)
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
/// against `country`'s emergency numbers. `911555` is not an emergency. A
/// SIP dialer's `urn:service:sos` (or a sub-service) is one everywhere.
pub fn match_emergency(
    dialed: &str,
    country: Country,
    prefix: &OutsideLinePrefix,
) -> Option<EmergencyMatch> {
    if let Some(urn) = service_urn(dialed) {
        return Some(EmergencyMatch {
            country,
            dialed: urn.urn,
            placed_as: urn.urn,
            test: urn.test,
        });
    }
    let digits = dial_digits(dialed)?;
    let lookup = |d: &str| {
        country.lookup(d).map(|e| EmergencyMatch {
            country,
            dialed: e.dialed,
            placed_as: e.placed_as,
            test: e.test,
        })
    };
    lookup(&digits).or_else(|| without_prefix(&digits, prefix).and_then(lookup))
}

fn without_prefix<'a>(digits: &'a str, prefix: &OutsideLinePrefix) -> Option<&'a str> {
    let p = prefix.as_str();
    (!p.is_empty()).then(|| digits.strip_prefix(p)).flatten()
}

/// Whether the dial could be an emergency number in *any* country: lets a
/// dial with no location skip every AWS call when it cannot matter.
pub fn could_be_emergency_anywhere(dialed: &str, prefix: &OutsideLinePrefix) -> bool {
    if service_urn(dialed).is_some() {
        return true;
    }
    let Some(digits) = dial_digits(dialed) else {
        return false;
    };
    let known = |d: &str| {
        regions::ANY_REGION.binary_search(&d).is_ok()
            || Country::SEED.iter().any(|c| c.lookup(d).is_some())
    };
    known(&digits) || without_prefix(&digits, prefix).is_some_and(known)
}

/// The dial's match in the first country where it is an emergency number
/// (the seed's countries first), for a dial whose country is unknown: only
/// what was dialed is to be trusted then, not the country's translation.
pub fn match_anywhere(dialed: &str, prefix: &OutsideLinePrefix) -> Option<EmergencyMatch> {
    if !could_be_emergency_anywhere(dialed, prefix) {
        return None;
    }
    Country::SEED
        .into_iter()
        .chain(Country::all())
        .find_map(|c| match_emergency(dialed, c, prefix))
}

/// The number to place when the country is unknown and nothing else can be
/// trusted (an adapter failing open): the emergency number as dialed, without
/// separators and outside-line prefix, if it is one in any country.
pub fn emergency_digits_anywhere(dialed: &str, prefix: &OutsideLinePrefix) -> Option<&'static str> {
    match_anywhere(dialed, prefix).map(|m| m.dialed)
}

/// Voice platforms that format every dial as E.164 turn `911` into `+1911`:
/// the short code when what follows a supported country's calling code is a
/// short code (`+1911` → `911`, `+44 999` → `999`). A real E.164 number is
/// never shortened (it has more digits). The seed's calling codes only: a
/// shortened number elsewhere is not a pattern platforms are known to send.
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
        assert_eq!(
            "fr".parse::<Country>().map(|c| c.to_string()),
            Ok("FR".into())
        );
        assert!("ZZ".parse::<Country>().is_err());
        assert!("USA".parse::<Country>().is_err());
        assert!("".parse::<Country>().is_err());
        for c in Country::SEED.into_iter().chain(Country::all()) {
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

    /// Every number of every region in the metadata is recognised there,
    /// whole, with and without the prefix; a digit more or less is not.
    #[test]
    fn every_region_of_the_metadata() {
        let p = p9();
        let mut regions = 0;
        for (code, numbers) in regions::REGIONS {
            let country: Country = code.parse().unwrap();
            regions += 1;
            let seed = seed_table(country).is_some();
            for n in *numbers {
                // The seed's own rules differ only where docs/contract.md says so.
                if seed && country == Country::DK && *n == "114" {
                    assert!(match_emergency(n, country, &p).is_none());
                    continue;
                }
                for dialed in [n.to_string(), format!("9{n}"), format!("9-{n}")] {
                    // A prefixed form that is itself a number there is that number.
                    if dialed != *n && numbers.contains(&format!("9{n}").as_str()) {
                        continue;
                    }
                    let m = match_emergency(&dialed, country, &p)
                        .unwrap_or_else(|| panic!("{code} {dialed}"));
                    assert_eq!(m.dialed, *n, "{code} {dialed}");
                    assert_eq!(m.country, country);
                    if !seed {
                        assert_eq!((m.placed_as, m.test), (*n, false), "{code} {dialed}");
                    }
                }
                for longer in [format!("{n}0"), format!("{n}5")] {
                    // Unless the longer one is itself a number there.
                    if !numbers.contains(&longer.as_str()) {
                        let none = OutsideLinePrefix::none();
                        assert!(
                            match_emergency(&longer, country, &none).is_none(),
                            "{code} {longer}"
                        );
                    }
                }
                assert!(could_be_emergency_anywhere(n, &p));
            }
        }
        assert!(regions > 200, "{regions} regions");
    }

    #[test]
    fn a_spread_of_countries() {
        let p = OutsideLinePrefix::none();
        // (country, dialed, placed as) — None: not an emergency number there.
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("US", "911", Some("911")),
            ("US", "112", Some("911")),
            ("US", "933", Some("933")),
            ("GB", "999", Some("999")),
            ("GB", "112", Some("112")),
            ("DK", "112", Some("112")),
            ("DK", "114", None),
            ("AU", "000", Some("000")),
            ("AU", "112", Some("112")),
            ("AU", "911", None),
            ("NZ", "111", Some("111")),
            ("NZ", "911", None),
            ("IN", "112", Some("112")),
            ("DE", "110", Some("110")),
            ("DE", "112", Some("112")),
            ("FR", "15", Some("15")),
            ("FR", "17", Some("17")),
            ("FR", "18", Some("18")),
            ("FR", "112", Some("112")),
            ("FR", "1", None),
            ("FR", "150", None),
            ("JP", "110", Some("110")),
            ("JP", "119", Some("119")),
            ("JP", "112", None),
            ("BR", "190", Some("190")),
            ("BR", "192", Some("192")),
            ("BR", "193", Some("193")),
        ];
        for (code, dialed, placed) in cases {
            let country: Country = code.parse().unwrap();
            let got = match_emergency(dialed, country, &p).map(|m| m.placed_as);
            assert_eq!(got, *placed, "{code} dialing {dialed}");
        }
        assert_eq!(
            Country::AU.recognised_numbers(),
            vec!["000", "106", "112"],
            "the metadata's AU set, 106 being the text relay"
        );
    }

    #[test]
    fn service_urns_are_emergencies_everywhere() {
        let p = OutsideLinePrefix::none();
        for country in [Country::US, Country::DK, "JP".parse().unwrap()] {
            let m = match_emergency("urn:service:sos.police", country, &p).unwrap();
            assert_eq!((m.placed_as, m.test), ("urn:service:sos.police", false));
            let t = match_emergency("urn:service:test.sos", country, &p).unwrap();
            assert!(t.test);
        }
        assert!(could_be_emergency_anywhere("urn:service:sos", &p));
        assert!(!could_be_emergency_anywhere("urn:service:counseling", &p));
        assert_eq!(
            emergency_digits_anywhere("URN:SERVICE:SOS", &p),
            Some("urn:service:sos")
        );
    }

    #[test]
    fn numbers_of_other_countries_are_emergencies_anywhere() {
        let p = p9();
        assert!(could_be_emergency_anywhere("000", &p));
        assert!(could_be_emergency_anywhere("9 17", &p));
        assert_eq!(emergency_digits_anywhere("9-000", &p), Some("000"));
        assert_eq!(
            match_anywhere("112", &p).map(|m| m.country),
            Some(Country::US)
        );
        assert!(!could_be_emergency_anywhere("4255550123", &p));
    }
}
