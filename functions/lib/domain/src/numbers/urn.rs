//! Service URNs for emergency calls (RFC 5031): what a SIP dialer puts in
//! the Request-URI instead of digits. `urn:service:sos` and its
//! sub-services are emergencies; `urn:service:test.sos…` is a test call
//! (RFC 5031 §5, RFC 6881).

/// A recognised emergency service URN, in its canonical (lower-case) form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceUrn {
    pub urn: &'static str,
    pub test: bool,
}

/// The `sos` sub-services of IANA's service URN registry (RFC 5031 §4.2).
const SOS: &[&str] = &[
    "urn:service:sos",
    "urn:service:sos.ambulance",
    "urn:service:sos.animal-control",
    "urn:service:sos.fire",
    "urn:service:sos.gas",
    "urn:service:sos.marine",
    "urn:service:sos.mountain",
    "urn:service:sos.physician",
    "urn:service:sos.poison",
    "urn:service:sos.police",
];

const TEST_SOS: &[&str] = &[
    "urn:service:test.sos",
    "urn:service:test.sos.ambulance",
    "urn:service:test.sos.animal-control",
    "urn:service:test.sos.fire",
    "urn:service:test.sos.gas",
    "urn:service:test.sos.marine",
    "urn:service:test.sos.mountain",
    "urn:service:test.sos.physician",
    "urn:service:test.sos.poison",
    "urn:service:test.sos.police",
];

/// The emergency service URN a dial names, if any. URNs compare without
/// case; `<…>` around it is accepted. A sub-service this list does not know
/// is its parent service (RFC 5031 §3: an unknown sub-service is treated
/// like the service it refines), so `urn:service:sos.tsunami` is `sos`.
pub fn service_urn(dialed: &str) -> Option<ServiceUrn> {
    let d = dialed.trim();
    let d = d
        .strip_prefix('<')
        .and_then(|d| d.strip_suffix('>'))
        .unwrap_or(d);
    if d.len() > 64 || !d.get(..12)?.eq_ignore_ascii_case("urn:service:") {
        return None;
    }
    let d = d.to_ascii_lowercase();
    let service = &d["urn:service:".len()..];
    if !service
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
    {
        return None;
    }
    let (table, test, rest) = if let Some(rest) = service.strip_prefix("test.") {
        (TEST_SOS, true, rest)
    } else {
        (SOS, false, service)
    };
    if rest != "sos" && !rest.starts_with("sos.") {
        return None;
    }
    let known = table.iter().find(|u| u.eq_ignore_ascii_case(&d));
    Some(ServiceUrn {
        urn: known.copied().unwrap_or(table[0]),
        test,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sos_and_its_sub_services() {
        let urn = |d| service_urn(d).map(|u| (u.urn, u.test));
        assert_eq!(urn("urn:service:sos"), Some(("urn:service:sos", false)));
        assert_eq!(urn("URN:Service:SOS"), Some(("urn:service:sos", false)));
        assert_eq!(
            urn("<urn:service:sos.police>"),
            Some(("urn:service:sos.police", false))
        );
        assert_eq!(
            urn(" urn:service:sos.fire "),
            Some(("urn:service:sos.fire", false))
        );
        assert_eq!(
            urn("urn:service:sos.ambulance"),
            Some(("urn:service:sos.ambulance", false))
        );
        assert_eq!(
            urn("urn:service:sos.tsunami"),
            Some(("urn:service:sos", false))
        );
        assert_eq!(
            urn("urn:service:test.sos"),
            Some(("urn:service:test.sos", true))
        );
        assert_eq!(
            urn("urn:service:test.sos.fire"),
            Some(("urn:service:test.sos.fire", true))
        );
        for not in [
            "urn:service:counseling",
            "urn:service:sosx",
            "urn:service:test.counseling",
            "urn:service:",
            "urn:service:sos;x",
            "sip:911@example.com",
            "911",
            "urn:nena:service:sos",
            "",
        ] {
            assert_eq!(urn(not), None, "{not}");
        }
    }
}
