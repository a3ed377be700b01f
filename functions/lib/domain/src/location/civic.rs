//! Civic address fields after RFC 5139 (which revises RFC 4776's set for
//! PIDF-LO). `country` is the location's own field, not a civic key.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

macro_rules! civic_keys {
    ($($key:ident => $meaning:literal),+ $(,)?) => {
        /// A civic address element. The variants are in the order RFC 5139's
        /// schema sequences them, so a document lists them in that order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum CivicKey { $($key),+ }

        impl CivicKey {
            pub const ALL: &'static [CivicKey] = &[$(CivicKey::$key),+];

            /// The element name (`A1`, `HNO`, …).
            pub fn code(self) -> &'static str {
                match self { $(CivicKey::$key => stringify!($key)),+ }
            }

            /// What the element holds, for people.
            pub fn meaning(self) -> &'static str {
                match self { $(CivicKey::$key => $meaning),+ }
            }
        }

        impl FromStr for CivicKey {
            type Err = UnknownCivicKey;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $(stringify!($key) => Ok(CivicKey::$key),)+
                    _ => Err(UnknownCivicKey(s.to_string())),
                }
            }
        }
    };
}

civic_keys! {
    A1 => "national subdivision (state, region, province)",
    A2 => "county, parish, district",
    A3 => "city, township",
    A4 => "city division, borough, ward",
    A5 => "neighbourhood, block",
    A6 => "street group (used in some countries)",
    PRM => "road pre-modifier",
    PRD => "leading street direction",
    RD => "primary road or street",
    STS => "street suffix or type",
    POD => "trailing street direction",
    POM => "road post-modifier",
    RDSEC => "road section",
    RDBR => "road branch",
    RDSUBBR => "road sub-branch",
    HNO => "house number",
    HNS => "house number suffix",
    LMK => "landmark or vanity address",
    LOC => "additional location information",
    FLR => "floor",
    NAM => "name (residence, business or office occupant)",
    PC => "postal code",
    BLD => "building",
    UNIT => "unit (apartment, suite)",
    ROOM => "room",
    SEAT => "seat (desk, cubicle, workstation)",
    PLC => "place type",
    PCN => "postal community name",
    POBOX => "post office box",
    ADDCODE => "additional code",
}

/// A civic key RFC 5139 does not define: the request names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown civic address key `{0}`")]
pub struct UnknownCivicKey(pub String);

impl fmt::Display for CivicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A civic address: each element at most once, none empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Civic(BTreeMap<CivicKey, String>);

impl Civic {
    pub fn get(&self, key: CivicKey) -> Option<&str> {
        self.0.get(&key).map(String::as_str)
    }

    /// Sets `key`; an empty value removes it.
    pub fn set(&mut self, key: CivicKey, value: impl Into<String>) {
        let value = value.into();
        if value.is_empty() {
            self.0.remove(&key);
        } else {
            self.0.insert(key, value);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The elements in schema order.
    pub fn iter(&self) -> impl Iterator<Item = (CivicKey, &str)> {
        self.0.iter().map(|(k, v)| (*k, v.as_str()))
    }
}

impl FromIterator<(CivicKey, String)> for Civic {
    fn from_iter<I: IntoIterator<Item = (CivicKey, String)>>(iter: I) -> Self {
        let mut civic = Civic::default();
        for (k, v) in iter {
            civic.set(k, v);
        }
        civic
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_unknown_ones_are_named() {
        for k in CivicKey::ALL {
            assert_eq!(k.code().parse::<CivicKey>(), Ok(*k));
        }
        assert_eq!(
            "XYZ".parse::<CivicKey>(),
            Err(UnknownCivicKey("XYZ".into()))
        );
        // Element names are case-sensitive in the schema.
        assert!("hno".parse::<CivicKey>().is_err());
        assert!("country".parse::<CivicKey>().is_err());
    }

    #[test]
    fn empty_values_are_no_values() {
        let mut c = Civic::default();
        c.set(CivicKey::RD, "Main St");
        c.set(CivicKey::RD, "");
        assert!(c.is_empty());
    }
}
