//! The location as a PIDF-LO document (RFC 4119, civic after RFC 5139,
//! geodetic shapes after RFC 5491), for platforms that convey location to
//! the emergency service (a SIP `Geolocation` header, RFC 6442).
//!
//! Layout, after RFC 5491 §3: the civic address and the coordinates are two
//! descriptions of one place, so each goes in a `<tuple>` of its own with
//! one `<geopriv>` and one location chunk (rules 2 to 4). A recipient
//! prefers the first tuple (rule 8): the civic one when it says more than
//! the country (a dispatchable street address with floor and room is what a
//! responder drives to), else the coordinates.

use chrono::{DateTime, Utc};

use super::{Location, LocationMethod};
use civic::{civic_address, CivicAddress};
use geo::{shape, Shape};
use xml::Writer;

mod civic;
mod geo;
pub(crate) mod xml;

const PIDF: &str = "urn:ietf:params:xml:ns:pidf";
const GEOPRIV: &str = "urn:ietf:params:xml:ns:pidf:geopriv10";
const BASIC_POLICY: &str = "urn:ietf:params:xml:ns:pidf:geopriv10:basicPolicy";
const CIVIC: &str = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr";
const GML: &str = "http://www.opengis.net/gml";
const SHAPES: &str = "http://www.opengis.net/pidflo/1.0";
/// The entity is a `pres:` URI (RFC 3859); agents have no presence domain,
/// and `.invalid` (RFC 2606) can never resolve to someone else's.
const ENTITY_DOMAIN: &str = "lifeline.invalid";
/// Tuple ids are XML IDs; one per kind of description, so a later document
/// for the same agent updates the same tuple.
const CIVIC_TUPLE: &str = "lifeline-civic";
const GEODETIC_TUPLE: &str = "lifeline-geodetic";

/// The PIDF-LO document for `location`, presented for `entity` (the agent)
/// at `at`. A location with nothing in it gives a presence with no tuple.
pub fn render(entity: &str, location: &Location, at: DateTime<Utc>) -> String {
    let civic = civic_address(location);
    let shape = shape(location);
    // A country alone is coarser than any coordinates: it must not be the
    // description a recipient prefers.
    let civic_first = shape.is_none() || civic.as_ref().is_some_and(|c| !c.elements.is_empty());
    let civic = civic.map(|c| (CIVIC_TUPLE, Chunk::Civic(c)));
    let shape = shape.map(|s| (GEODETIC_TUPLE, Chunk::Geodetic(s)));
    let tuples = if civic_first {
        [civic, shape]
    } else {
        [shape, civic]
    };

    let mut x = Writer::default();
    x.out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    x.open(
        "presence",
        &[
            ("xmlns", PIDF),
            ("xmlns:gp", GEOPRIV),
            ("xmlns:gbp", BASIC_POLICY),
            ("xmlns:ca", CIVIC),
            ("xmlns:gml", GML),
            ("xmlns:gs", SHAPES),
            ("entity", &pres_uri(entity)),
        ],
    );
    let timestamp = crate::types::rfc3339(at);
    for (id, chunk) in tuples.iter().flatten() {
        x.open("tuple", &[("id", id)]);
        x.open("status", &[]);
        x.open("gp:geopriv", &[]);
        x.open("gp:location-info", &[]);
        chunk.write(&mut x);
        x.close("gp:location-info");
        // RFC 4119 §2.2.2: "no" would forbid the recipient to pass the
        // location on, and an emergency call's location must travel on
        // (ESRP to PSAP, transfers, dispatch to responders). The element is
        // an xs:boolean: `true`, not the prose's "yes" (as RFC 6442's
        // examples write it). No retention-expiry: the default (a day from
        // the timestamp) applies, and emergency records are kept by law.
        x.open("gp:usage-rules", &[]);
        x.leaf("gbp:retransmission-allowed", &[], "true");
        x.close("gp:usage-rules");
        if let Some(method) = location.method {
            x.leaf("gp:method", &[], method_token(method));
        }
        x.close("gp:geopriv");
        x.close("status");
        x.leaf("timestamp", &[], &timestamp);
        x.close("tuple");
    }
    x.close("presence");
    x.out
}

/// The token of the IANA "Method Tokens" registry (RFC 4119 §6.1 and later
/// registrations); tokens are compared as spelled there.
fn method_token(method: LocationMethod) -> &'static str {
    match method {
        LocationMethod::Manual => "Manual",
        LocationMethod::Gps => "GPS",
        LocationMethod::Wifi => "802.11",
        LocationMethod::Cell => "Cell",
        LocationMethod::Dhcp => "DHCP",
        LocationMethod::Derived => "Derived",
    }
}

/// `pres:<agent>@lifeline.invalid`. Agent ids may hold `@` and `:`, which a
/// URI's local part cannot carry bare: everything but letters, digits and
/// `-_.` is percent-encoded.
fn pres_uri(agent: &str) -> String {
    let agent = if agent.is_empty() { "unknown" } else { agent };
    let mut uri = String::from("pres:");
    for b in agent.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push('@');
    uri.push_str(ENTITY_DOMAIN);
    uri
}

/// One location chunk: what a `<gp:location-info>` holds.
enum Chunk<'a> {
    Civic(CivicAddress<'a>),
    Geodetic(Shape),
}

impl Chunk<'_> {
    fn write(&self, x: &mut Writer) {
        match self {
            Chunk::Civic(c) => c.write(x),
            Chunk::Geodetic(s) => s.write(x),
        }
    }
}

#[cfg(test)]
mod tests;
