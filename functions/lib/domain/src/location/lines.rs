//! A location as lines a person reads aloud to a dispatcher: who or what is
//! there, where inside the building, the street, the city, the region and
//! postcode, the country.

use super::{CivicKey, Location};

/// The civic address as lines, most specific first; the free-text address
/// when there is no civic one. Empty when neither is known.
pub fn spoken_lines(l: &Location) -> Vec<String> {
    use CivicKey::*;
    let c = &l.civic;
    let join = |keys: &[CivicKey]| {
        keys.iter()
            .filter_map(|k| c.get(*k))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let labelled = |parts: &[(CivicKey, &str)]| {
        parts
            .iter()
            .filter_map(|(k, label)| c.get(*k).map(|v| format!("{label} {v}")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut lines = vec![
        join(&[NAM]),
        labelled(&[
            (BLD, "Building"),
            (FLR, "Floor"),
            (UNIT, "Unit"),
            (ROOM, "Room"),
            (SEAT, "Seat"),
        ]),
        join(&[LOC]),
        join(&[HNO, HNS, PRD, PRM, RD, STS, POD, POM]),
        join(&[RDSEC, RDBR, RDSUBBR]),
        c.get(LMK)
            .map(|v| format!("Landmark: {v}"))
            .unwrap_or_default(),
        join(&[A6, A5, A4]),
        join(&[A3, PCN]),
        join(&[A2]),
        join(&[A1, PC]),
        c.get(POBOX)
            .map(|v| format!("PO Box {v}"))
            .unwrap_or_default(),
    ];
    if c.is_empty() {
        lines = l.address.iter().cloned().collect();
    }
    if !lines.iter().all(String::is_empty) {
        if let Some(country) = &l.country {
            lines.push(country.clone());
        }
    }
    lines.retain(|s| !s.trim().is_empty());
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dispatchable_address_reads_from_the_door_outwards() {
        let l = Location {
            country: Some("US".into()),
            civic: [
                (CivicKey::NAM, "Contoso HQ"),
                (CivicKey::FLR, "3"),
                (CivicKey::ROOM, "301"),
                (CivicKey::HNO, "1"),
                (CivicKey::RD, "Main"),
                (CivicKey::STS, "St"),
                (CivicKey::A3, "Redmond"),
                (CivicKey::A1, "WA"),
                (CivicKey::PC, "98052"),
            ]
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect(),
            ..Default::default()
        };
        assert_eq!(
            spoken_lines(&l),
            vec![
                "Contoso HQ",
                "Floor 3, Room 301",
                "1 Main St",
                "Redmond",
                "WA 98052",
                "US"
            ]
        );
    }

    #[test]
    fn free_text_when_there_is_no_civic_address_and_nothing_for_a_country_alone() {
        let text = Location {
            country: Some("GB".into()),
            address: Some("10 Downing St, London".into()),
            ..Default::default()
        };
        assert_eq!(spoken_lines(&text), vec!["10 Downing St, London", "GB"]);
        let only = Location {
            country: Some("GB".into()),
            ..Default::default()
        };
        assert!(spoken_lines(&only).is_empty());
    }
}
