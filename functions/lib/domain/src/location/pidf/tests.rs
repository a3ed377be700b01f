use super::geo::{number, position};
use super::xml::escape;
use super::*;
use crate::location::{Civic, CivicKey};
use crate::testing;
use roxmltree::{Document, Node};

const XML: &str = "http://www.w3.org/XML/1998/namespace";

fn at() -> DateTime<Utc> {
    testing::at("2026-11-24T05:00:00Z")
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
        "RDBR", "RDSUBBR", "HNO", "HNS", "LMK", "LOC", "FLR", "NAM", "PC", "BLD", "UNIT", "ROOM",
        "SEAT", "PLC", "PCN", "POBOX", "ADDCODE",
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

/// The documents, byte for byte, as they were before the writer was split
/// into files (`golden/`): a platform may compare or sign them.
#[test]
fn documents_are_byte_for_byte_the_reference_ones() {
    let gps_with_country = Location {
        country: Some("US".into()),
        lat: Some(47.6),
        lon: Some(-122.1),
        method: Some(LocationMethod::Gps),
        ..Location::default()
    };
    let escaped = Location {
        address: Some("A & B <\"c\"> 'd'\tx\ny".into()),
        civic: civic(&[(CivicKey::LOC, "Desk 4"), (CivicKey::RD, "Rue\u{1}É")]),
        ..Location::default()
    };
    let cases = [
        (full(), include_str!("golden/full.xml")),
        (
            coordinates(47.6, -122.1, Some(30.0)),
            include_str!("golden/circle.xml"),
        ),
        (
            coordinates(-33.8688, 151.2093, None),
            include_str!("golden/point.xml"),
        ),
        (
            gps_with_country,
            include_str!("golden/country-then-coordinates.xml"),
        ),
        (Location::default(), include_str!("golden/empty.xml")),
        (escaped, include_str!("golden/escaped.xml")),
    ];
    for (location, expected) in cases {
        assert_eq!(render("alice@contoso.com:2", &location, at()), expected);
    }
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
