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

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use super::{CivicKey, Location, LocationMethod};

const PIDF: &str = "urn:ietf:params:xml:ns:pidf";
const GEOPRIV: &str = "urn:ietf:params:xml:ns:pidf:geopriv10";
const BASIC_POLICY: &str = "urn:ietf:params:xml:ns:pidf:geopriv10:basicPolicy";
const CIVIC: &str = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr";
const GML: &str = "http://www.opengis.net/gml";
const SHAPES: &str = "http://www.opengis.net/pidflo/1.0";
/// WGS 84, latitude then longitude (RFC 5491 §5).
const WGS84_2D: &str = "urn:ogc:def:crs:EPSG::4326";
const METRE: &str = "urn:ogc:def:uom:EPSG::9001";
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
    let timestamp = crate::call::rfc3339(at);
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
            Chunk::Civic(c) => {
                x.open("ca:civicAddress", &[("xml:lang", "en")]);
                if let Some(country) = c.country {
                    x.leaf("ca:country", &[], country);
                }
                for (key, value) in &c.elements {
                    x.leaf(&format!("ca:{}", key.code()), &[], value);
                }
                x.close("ca:civicAddress");
            }
            Chunk::Geodetic(Shape::Point { lat, lon }) => {
                x.open("gml:Point", &[("srsName", WGS84_2D)]);
                x.leaf("gml:pos", &[], &position(*lat, *lon));
                x.close("gml:Point");
            }
            Chunk::Geodetic(Shape::Circle { lat, lon, radius_m }) => {
                x.open("gs:Circle", &[("srsName", WGS84_2D)]);
                x.leaf("gml:pos", &[], &position(*lat, *lon));
                x.leaf("gs:radius", &[("uom", METRE)], &number(*radius_m));
                x.close("gs:Circle");
            }
        }
    }
}

struct CivicAddress<'a> {
    country: Option<&'a str>,
    /// In schema order, the free-text address folded into `LOC`.
    elements: Vec<(CivicKey, Cow<'a, str>)>,
}

/// The civic address, when there is any of one. The free-text address has
/// no element of its own; `LOC` ("additional location information", RFC
/// 4119 §2.2.1, kept by RFC 5139) is the free-text one, so it goes there,
/// after any `LOC` of the civic address (the schema allows one `LOC`), so
/// that a responder sees both.
fn civic_address(location: &Location) -> Option<CivicAddress<'_>> {
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

/// RFC 5491 §5.2: a point when there is no known uncertainty, a circle
/// around it when there is.
enum Shape {
    Point { lat: f64, lon: f64 },
    Circle { lat: f64, lon: f64, radius_m: f64 },
}

fn shape(location: &Location) -> Option<Shape> {
    let (lat, lon) = location
        .coordinates()
        .filter(|(lat, lon)| lat.is_finite() && lon.is_finite())?;
    // A zero radius is no uncertainty: a point.
    Some(
        match location.radius_m.filter(|r| r.is_finite() && *r > 0.0) {
            Some(radius_m) => Shape::Circle { lat, lon, radius_m },
            None => Shape::Point { lat, lon },
        },
    )
}

fn position(lat: f64, lon: f64) -> String {
    format!("{} {}", number(lat), number(lon))
}

/// Rust's `Display` for floats never uses an exponent, and gives the
/// shortest digits that read back the same; `-0` is written `0`.
fn number(x: f64) -> String {
    if x == 0.0 {
        "0".to_string()
    } else {
        x.to_string()
    }
}

/// Writes elements, two spaces of indent a level. Every value passes
/// through [`escape`].
#[derive(Default)]
struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    fn open(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.start(name, attributes);
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth -= 1;
        self.newline();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// An element holding only `text`, on one line so that no whitespace
    /// joins the value.
    fn leaf(&mut self, name: &str, attributes: &[(&str, &str)], text: &str) {
        self.start(name, attributes);
        escape(text, &mut self.out);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    fn start(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.newline();
        self.out.push('<');
        self.out.push_str(name);
        for (attribute, value) in attributes {
            self.out.push(' ');
            self.out.push_str(attribute);
            self.out.push_str("=\"");
            escape(value, &mut self.out);
            self.out.push('"');
        }
        self.out.push('>');
    }

    fn newline(&mut self) {
        self.out.push('\n');
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }
}

/// `s` as XML 1.0 character data or attribute value. The five markup
/// characters become entities; tab, newline and carriage return become
/// character references, which a parser neither normalises (attribute
/// values, line ends) nor drops; characters XML 1.0 cannot carry at all
/// (other C0 controls, U+FFFE, U+FFFF) are dropped.
fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::location::Civic;
    use roxmltree::{Document, Node};

    const XML: &str = "http://www.w3.org/XML/1998/namespace";

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T05:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn civic(pairs: &[(CivicKey, &str)]) -> Civic {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    /// The contract's example location.
    fn full() -> Location {
        Location {
            country: Some("US".into()),
            address: Some("1 Main St, Redmond WA".into()),
            // Given out of order: the document must sort them.
            civic: civic(&[
                (CivicKey::ROOM, "301"),
                (CivicKey::PC, "98052"),
                (CivicKey::NAM, "Contoso HQ"),
                (CivicKey::FLR, "3"),
                (CivicKey::HNO, "1"),
                (CivicKey::RD, "Main St"),
                (CivicKey::A3, "Redmond"),
                (CivicKey::A1, "WA"),
            ]),
            lat: Some(47.6),
            lon: Some(-122.1),
            radius_m: Some(30.0),
            method: Some(LocationMethod::Manual),
            determined_at: Some(at()),
        }
    }

    fn coordinates(lat: f64, lon: f64, radius_m: Option<f64>) -> Location {
        Location {
            lat: Some(lat),
            lon: Some(lon),
            radius_m,
            ..Location::default()
        }
    }

    fn elements<'a, 'i>(node: Node<'a, 'i>) -> Vec<Node<'a, 'i>> {
        node.children().filter(Node::is_element).collect()
    }

    /// The element children, each as (namespace, local name).
    fn names<'a>(node: Node<'a, '_>) -> Vec<(&'a str, &'a str)> {
        elements(node)
            .into_iter()
            .map(|n| (n.tag_name().namespace().unwrap_or(""), n.tag_name().name()))
            .collect()
    }

    /// The one child `ns:name`.
    fn child<'a, 'i>(node: Node<'a, 'i>, ns: &str, name: &str) -> Node<'a, 'i> {
        let found: Vec<_> = elements(node)
            .into_iter()
            .filter(|n| n.tag_name().namespace() == Some(ns) && n.tag_name().name() == name)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "one <{name}> in <{}>",
            node.tag_name().name()
        );
        found[0]
    }

    fn text<'a>(node: Node<'a, '_>) -> &'a str {
        node.text().unwrap_or("")
    }

    fn tuples<'a, 'i>(doc: &'a Document<'i>) -> Vec<Node<'a, 'i>> {
        let presence = doc.root_element();
        assert_eq!(presence.tag_name().namespace(), Some(PIDF));
        assert_eq!(presence.tag_name().name(), "presence");
        let tuples = elements(presence);
        for t in &tuples {
            assert_eq!(t.tag_name().namespace(), Some(PIDF));
            assert_eq!(t.tag_name().name(), "tuple");
        }
        tuples
    }

    /// The one location chunk of a tuple, after checking the tuple's
    /// RFC 4119 / RFC 5491 shape.
    fn chunk<'a, 'i>(tuple: Node<'a, 'i>) -> Node<'a, 'i> {
        let geopriv = child(child(tuple, PIDF, "status"), GEOPRIV, "geopriv");
        let info = child(geopriv, GEOPRIV, "location-info");
        let chunks = elements(info);
        assert_eq!(
            chunks.len(),
            1,
            "RFC 5491 rule 4: one chunk a location-info"
        );
        chunks[0]
    }

    fn civic_values<'a>(address: Node<'a, '_>) -> Vec<(&'a str, &'a str)> {
        elements(address)
            .into_iter()
            .map(|n| {
                assert_eq!(n.tag_name().namespace(), Some(CIVIC));
                (n.tag_name().name(), text(n))
            })
            .collect()
    }

    #[test]
    fn the_document_has_the_rfc_4119_structure() {
        let xml = render("agent-7", &full(), at());
        assert!(xml.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#));
        let doc = Document::parse(&xml).unwrap();
        let presence = doc.root_element();
        assert_eq!(
            presence.attribute("entity"),
            Some("pres:agent-7@lifeline.invalid")
        );
        let tuples = tuples(&doc);
        assert_eq!(tuples.len(), 2);
        let ids: Vec<_> = tuples.iter().map(|t| t.attribute("id").unwrap()).collect();
        assert_ne!(ids[0], ids[1]);
        for (tuple, id) in tuples.iter().zip(&ids) {
            // An XML ID is an NCName: no digit first, no colon.
            assert!(id.starts_with(|c: char| c.is_ascii_alphabetic()), "{id}");
            assert!(!id.contains(':'));
            assert_eq!(names(*tuple), [(PIDF, "status"), (PIDF, "timestamp")]);
            assert_eq!(
                text(child(*tuple, PIDF, "timestamp")),
                "2026-11-24T05:00:00Z"
            );
            let status = child(*tuple, PIDF, "status");
            assert_eq!(names(status), [(GEOPRIV, "geopriv")]);
            let geopriv = child(status, GEOPRIV, "geopriv");
            assert_eq!(
                names(geopriv),
                [
                    (GEOPRIV, "location-info"),
                    (GEOPRIV, "usage-rules"),
                    (GEOPRIV, "method")
                ]
            );
            let rules = child(geopriv, GEOPRIV, "usage-rules");
            assert_eq!(names(rules), [(BASIC_POLICY, "retransmission-allowed")]);
            assert_eq!(text(elements(rules)[0]), "true");
            assert_eq!(text(child(geopriv, GEOPRIV, "method")), "Manual");
        }
    }

    #[test]
    fn civic_and_geodetic_are_separate_tuples_civic_first() {
        let xml = render("agent-7", &full(), at());
        let doc = Document::parse(&xml).unwrap();
        let tuples = tuples(&doc);
        let first = chunk(tuples[0]);
        assert_eq!(
            (first.tag_name().namespace(), first.tag_name().name()),
            (Some(CIVIC), "civicAddress")
        );
        assert_eq!(tuples[0].attribute("id"), Some(CIVIC_TUPLE));
        let second = chunk(tuples[1]);
        assert_eq!(
            (second.tag_name().namespace(), second.tag_name().name()),
            (Some(SHAPES), "Circle")
        );
        assert_eq!(tuples[1].attribute("id"), Some(GEODETIC_TUPLE));
    }

    #[test]
    fn civic_elements_come_country_first_then_in_schema_order() {
        let xml = render("agent-7", &full(), at());
        let doc = Document::parse(&xml).unwrap();
        let address = chunk(tuples(&doc)[0]);
        assert_eq!(address.attribute((XML, "lang")), Some("en"));
        assert_eq!(
            civic_values(address),
            [
                ("country", "US"),
                ("A1", "WA"),
                ("A3", "Redmond"),
                ("RD", "Main St"),
                ("HNO", "1"),
                ("LOC", "1 Main St, Redmond WA"),
                ("FLR", "3"),
                ("NAM", "Contoso HQ"),
                ("PC", "98052"),
                ("ROOM", "301"),
            ]
        );
    }

    #[test]
    fn civic_keys_are_in_the_rfc_5139_schema_sequence() {
        // RFC 5139 §4, the civicAddress xs:sequence after `country`.
        let schema = [
            "A1", "A2", "A3", "A4", "A5", "A6", "PRM", "PRD", "RD", "STS", "POD", "POM", "RDSEC",
            "RDBR", "RDSUBBR", "HNO", "HNS", "LMK", "LOC", "FLR", "NAM", "PC", "BLD", "UNIT",
            "ROOM", "SEAT", "PLC", "PCN", "POBOX", "ADDCODE",
        ];
        let keys: Vec<_> = CivicKey::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(keys, schema);
        // And a document with every key lists them so.
        let location = Location {
            civic: CivicKey::ALL
                .iter()
                .map(|k| (*k, k.code().to_lowercase()))
                .collect(),
            ..Location::default()
        };
        let xml = render("a", &location, at());
        let doc = Document::parse(&xml).unwrap();
        let listed: Vec<_> = civic_values(chunk(tuples(&doc)[0]))
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(listed, schema);
    }

    #[test]
    fn the_free_text_address_goes_into_loc() {
        let with = |loc: Option<&str>| {
            let mut civic = civic(&[(CivicKey::LMK, "Tower"), (CivicKey::FLR, "3")]);
            if let Some(loc) = loc {
                civic.set(CivicKey::LOC, loc);
            }
            Location {
                address: Some("1 Main St".into()),
                civic,
                ..Location::default()
            }
        };
        let loc = |location: &Location| {
            let xml = render("a", location, at());
            let doc = Document::parse(&xml).unwrap();
            let address = chunk(tuples(&doc)[0]);
            let values = civic_values(address);
            // Still in schema order: LMK, LOC, FLR.
            let names: Vec<_> = values.iter().map(|(n, _)| *n).collect();
            assert_eq!(names, ["LMK", "LOC", "FLR"]);
            values[1].1.to_string()
        };
        assert_eq!(loc(&with(None)), "1 Main St");
        assert_eq!(loc(&with(Some("South wing"))), "South wing; 1 Main St");
        assert_eq!(loc(&with(Some("1 Main St"))), "1 Main St");
    }

    #[test]
    fn a_radius_makes_a_circle() {
        let xml = render("a", &coordinates(47.6, -122.1, Some(30.0)), at());
        let doc = Document::parse(&xml).unwrap();
        let circle = chunk(tuples(&doc)[0]);
        assert_eq!(circle.tag_name().namespace(), Some(SHAPES));
        assert_eq!(circle.tag_name().name(), "Circle");
        assert_eq!(
            circle.attribute("srsName"),
            Some("urn:ogc:def:crs:EPSG::4326")
        );
        assert_eq!(names(circle), [(GML, "pos"), (SHAPES, "radius")]);
        assert_eq!(text(child(circle, GML, "pos")), "47.6 -122.1");
        let radius = child(circle, SHAPES, "radius");
        assert_eq!(radius.attribute("uom"), Some("urn:ogc:def:uom:EPSG::9001"));
        assert_eq!(text(radius), "30");
    }

    #[test]
    fn no_radius_or_a_zero_one_makes_a_point() {
        for radius in [None, Some(0.0)] {
            let xml = render("a", &coordinates(47.6, -122.1, radius), at());
            let doc = Document::parse(&xml).unwrap();
            let point = chunk(tuples(&doc)[0]);
            assert_eq!(point.tag_name().namespace(), Some(GML));
            assert_eq!(point.tag_name().name(), "Point");
            assert_eq!(
                point.attribute("srsName"),
                Some("urn:ogc:def:crs:EPSG::4326")
            );
            assert_eq!(names(point), [(GML, "pos")]);
            assert_eq!(text(child(point, GML, "pos")), "47.6 -122.1");
        }
    }

    #[test]
    fn numbers_are_written_plainly() {
        assert_eq!(number(30.0), "30");
        assert_eq!(number(-122.1), "-122.1");
        assert_eq!(number(0.0000001), "0.0000001");
        assert_eq!(number(1_000_000.0), "1000000");
        assert_eq!(number(-0.0), "0");
        assert_eq!(position(-33.8567844, 151.213108), "-33.8567844 151.213108");
    }

    #[test]
    fn a_location_with_only_a_country() {
        let location = Location {
            country: Some("US".into()),
            ..Location::default()
        };
        let xml = render("a", &location, at());
        let doc = Document::parse(&xml).unwrap();
        let tuples = tuples(&doc);
        assert_eq!(tuples.len(), 1);
        let address = chunk(tuples[0]);
        assert_eq!(address.tag_name().name(), "civicAddress");
        assert_eq!(civic_values(address), [("country", "US")]);
        // No method known, none claimed.
        let geopriv = child(child(tuples[0], PIDF, "status"), GEOPRIV, "geopriv");
        assert_eq!(
            names(geopriv),
            [(GEOPRIV, "location-info"), (GEOPRIV, "usage-rules")]
        );
    }

    #[test]
    fn a_location_with_only_coordinates() {
        let location = Location {
            method: Some(LocationMethod::Gps),
            ..coordinates(-34.407, 150.883, None)
        };
        let xml = render("a", &location, at());
        let doc = Document::parse(&xml).unwrap();
        let tuples = tuples(&doc);
        assert_eq!(tuples.len(), 1);
        assert_eq!(tuples[0].attribute("id"), Some(GEODETIC_TUPLE));
        let point = chunk(tuples[0]);
        assert_eq!(point.tag_name().name(), "Point");
        assert_eq!(text(child(point, GML, "pos")), "-34.407 150.883");
        let geopriv = child(child(tuples[0], PIDF, "status"), GEOPRIV, "geopriv");
        assert_eq!(text(child(geopriv, GEOPRIV, "method")), "GPS");
        assert!(doc
            .descendants()
            .all(|n| n.tag_name().namespace() != Some(CIVIC)));
    }

    #[test]
    fn coordinates_come_first_when_the_civic_is_only_a_country() {
        let location = Location {
            country: Some("US".into()),
            ..coordinates(47.6, -122.1, Some(30.0))
        };
        let xml = render("a", &location, at());
        let doc = Document::parse(&xml).unwrap();
        let tuples = tuples(&doc);
        let order: Vec<_> = tuples.iter().map(|t| chunk(*t).tag_name().name()).collect();
        assert_eq!(order, ["Circle", "civicAddress"]);
    }

    #[test]
    fn an_empty_location_has_no_tuple() {
        let xml = render("a", &Location::default(), at());
        let doc = Document::parse(&xml).unwrap();
        assert!(tuples(&doc).is_empty());
        assert_eq!(
            doc.root_element().attribute("entity"),
            Some("pres:a@lifeline.invalid")
        );
    }

    #[test]
    fn methods_are_the_registered_tokens() {
        let expected = [
            (LocationMethod::Manual, "Manual"),
            (LocationMethod::Gps, "GPS"),
            (LocationMethod::Wifi, "802.11"),
            (LocationMethod::Cell, "Cell"),
            (LocationMethod::Dhcp, "DHCP"),
            (LocationMethod::Derived, "Derived"),
        ];
        assert_eq!(expected.len(), LocationMethod::ALL.len());
        for (method, token) in expected {
            let location = Location {
                method: Some(method),
                ..coordinates(1.0, 2.0, None)
            };
            let xml = render("a", &location, at());
            let doc = Document::parse(&xml).unwrap();
            let tuple = tuples(&doc)[0];
            let geopriv = child(child(tuple, PIDF, "status"), GEOPRIV, "geopriv");
            assert_eq!(text(child(geopriv, GEOPRIV, "method")), token);
        }
    }

    #[test]
    fn agent_ids_become_pres_uris() {
        assert_eq!(pres_uri("agent-7_x.y"), "pres:agent-7_x.y@lifeline.invalid");
        assert_eq!(
            pres_uri("alice@contoso.com:2"),
            "pres:alice%40contoso.com%3A2@lifeline.invalid"
        );
        assert_eq!(pres_uri(""), "pres:unknown@lifeline.invalid");
    }

    #[test]
    fn user_text_is_escaped_and_round_trips() {
        let nasty = r#"a < b & c > "d" 'e' ]]> <![CDATA[x]]> &amp;"#;
        let location = Location {
            country: Some("U&S".into()),
            address: Some(nasty.into()),
            civic: civic(&[
                (CivicKey::RD, r#"O'Brien "Road""#),
                (CivicKey::NAM, "Smith & Sons <HQ>"),
                (CivicKey::ROOM, "line 1\nline 2\r\n\tend"),
            ]),
            ..Location::default()
        };
        let entity = r#"x"/><evil a='1'>&"#;
        let xml = render(entity, &location, at());
        assert!(!xml.contains("<HQ>"));
        assert!(!xml.contains("<evil"));
        let doc = Document::parse(&xml).unwrap();
        assert_eq!(
            doc.root_element().attribute("entity"),
            Some("pres:x%22%2F%3E%3Cevil%20a%3D%271%27%3E%26@lifeline.invalid")
        );
        let address = chunk(tuples(&doc)[0]);
        assert_eq!(
            civic_values(address),
            [
                ("country", "U&S"),
                ("RD", r#"O'Brien "Road""#),
                ("LOC", nasty),
                ("NAM", "Smith & Sons <HQ>"),
                ("ROOM", "line 1\nline 2\r\n\tend"),
            ]
        );
    }

    #[test]
    fn attribute_values_are_escaped() {
        let mut out = String::new();
        escape("a\"b'c<d>&e\tf\ng\rh", &mut out);
        assert_eq!(out, "a&quot;b&apos;c&lt;d&gt;&amp;e&#9;f&#10;g&#13;h");
        let xml = format!(r#"<e a="{out}"/>"#);
        let doc = Document::parse(&xml).unwrap();
        assert_eq!(
            doc.root_element().attribute("a"),
            Some("a\"b'c<d>&e\tf\ng\rh")
        );
    }

    #[test]
    fn characters_xml_cannot_carry_are_dropped() {
        let location = Location {
            civic: civic(&[(
                CivicKey::RD,
                "Main\u{0}\u{1b}\u{7} St\u{fffe}\u{ffff}\u{85}é😀",
            )]),
            ..Location::default()
        };
        let xml = render("a", &location, at());
        let doc = Document::parse(&xml).unwrap();
        let address = chunk(tuples(&doc)[0]);
        assert_eq!(civic_values(address), [("RD", "Main St\u{85}é😀")]);
    }

    #[test]
    fn rendering_is_deterministic() {
        assert_eq!(render("a", &full(), at()), render("a", &full(), at()));
    }

    /// What XML 1.0 can carry of `s`.
    fn carried(s: &str) -> String {
        s.chars()
            .filter(|c| !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}'))
            .filter(|c| !matches!(c, '\u{fffe}' | '\u{ffff}'))
            .collect()
    }

    proptest::proptest! {
        /// Any text, markup and control characters included, reads back
        /// as given, less what XML cannot carry.
        #[test]
        fn any_text_round_trips(
            value in "(?s).*",
            address in "(?s).*[^\\s].*",
            agent in "(?s).*",
        ) {
            let location = Location {
                country: Some("US".into()),
                address: Some(address.clone()),
                civic: civic(&[(CivicKey::NAM, &value)]),
                ..Location::default()
            };
            let xml = render(&agent, &location, at());
            let doc = Document::parse(&xml).unwrap();
            let entity = doc.root_element().attribute("entity").map(str::to_string);
            proptest::prop_assert_eq!(entity, Some(pres_uri(&agent)));
            let values = civic_values(chunk(tuples(&doc)[0]));
            let value_of = |name: &str| {
                values
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            };
            proptest::prop_assert_eq!(value_of("LOC"), Some(carried(&address)));
            // An empty value is no value (`Civic::set`).
            let nam = (!value.is_empty()).then(|| carried(&value));
            proptest::prop_assert_eq!(value_of("NAM"), nam);
        }
    }
}
