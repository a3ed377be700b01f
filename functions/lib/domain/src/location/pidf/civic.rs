//! The civic address chunk (RFC 5139): the country, then the civic
//! elements in the schema's order.

use std::borrow::Cow;

use super::xml::Writer;
use crate::location::{CivicKey, Location};

pub(super) struct CivicAddress<'a> {
    country: Option<&'a str>,
    /// In schema order, the free-text address folded into `LOC`.
    pub(super) elements: Vec<(CivicKey, Cow<'a, str>)>,
}

impl CivicAddress<'_> {
    pub(super) fn write(&self, x: &mut Writer) {
        x.open("ca:civicAddress", &[("xml:lang", "en")]);
        if let Some(country) = self.country {
            x.leaf("ca:country", &[], country);
        }
        for (key, value) in &self.elements {
            x.leaf(&format!("ca:{}", key.code()), &[], value);
        }
        x.close("ca:civicAddress");
    }
}

/// The civic address, when there is any of one. The free-text address has
/// no element of its own; `LOC` ("additional location information", RFC
/// 4119 §2.2.1, kept by RFC 5139) is the free-text one, so it goes there,
/// after any `LOC` of the civic address (the schema allows one `LOC`), so
/// that a responder sees both.
pub(super) fn civic_address(location: &Location) -> Option<CivicAddress<'_>> {
    fn present(s: &Option<String>) -> Option<&str> {
        s.as_deref().filter(|s| !s.trim().is_empty())
    }
    let mut elements: Vec<(CivicKey, Cow<'_, str>)> = location
        .civic
        .iter()
        .map(|(k, v)| (k, Cow::Borrowed(v)))
        .collect();
    if let Some(address) = present(&location.address) {
        let at = elements.partition_point(|(k, _)| *k < CivicKey::LOC);
        match elements.get_mut(at) {
            Some((CivicKey::LOC, loc)) => {
                if loc.as_ref() != address {
                    *loc = Cow::Owned(format!("{loc}; {address}"));
                }
            }
            _ => elements.insert(at, (CivicKey::LOC, Cow::Borrowed(address))),
        }
    }
    let country = present(&location.country);
    (country.is_some() || !elements.is_empty()).then_some(CivicAddress { country, elements })
}
