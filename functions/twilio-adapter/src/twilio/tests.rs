//! The Twilio edge against Twilio's documented vectors, and never a panic.

use super::form::*;
use super::signature::*;
use super::twiml::*;
use super::*;
use lifeline_edge::webhook::MAX_BODY_BYTES;
use std::borrow::Cow;

fn token() -> TwilioAuthToken {
    TwilioAuthToken::new("12345").unwrap()
}

const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

/// The worked example of https://www.twilio.com/docs/usage/security.
fn docs_form() -> Form {
    Form::from_pairs([
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ])
}
const DOCS_SIGNATURE: &str = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

/// The parameters of twilio-python's and twilio-ruby's validator tests.
fn library_form() -> Form {
    Form::from_pairs([
        ("CallSid", "CA1234567890ABCDE"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
        ("Caller", "+14158675309"),
    ])
}

#[test]
fn twilios_documented_example() {
    assert_eq!(
        expected_signature(&token(), URL, &docs_form()),
        DOCS_SIGNATURE
    );
    assert_eq!(
        verify(&token(), URL, &docs_form(), Some(DOCS_SIGNATURE)),
        Ok(())
    );
    // The same request as it arrives: urlencoded, in another order.
    let body = b"To=%2B18005551212&Digits=1234&From=%2B12349013030\
                 &CallSid=CA1234567890ABCDE&Caller=%2B12349013030";
    let form = Form::parse(body).unwrap();
    assert_eq!(form.get("Caller"), Some("+12349013030"));
    assert_eq!(verify(&token(), URL, &form, Some(DOCS_SIGNATURE)), Ok(()));
}

#[test]
fn helper_library_vectors() {
    // twilio-python tests/unit/test_request_validator.py (and twilio-ruby's spec).
    let t = token();
    let form = library_form();
    assert_eq!(
        expected_signature(&t, URL, &form),
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    );
    let ok = |url: &str, sig: &str| verify(&t, url, &form, Some(sig));
    // An https URL with a port: the signature over the URL without it.
    assert_eq!(
        ok(
            "https://mycompany.com:1234/myapp.php?foo=1&bar=2",
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ),
        Ok(())
    );
    // An http URL with a port: the signature over the URL as it is.
    assert_eq!(
        ok(
            "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
        ),
        Ok(())
    );
    // No port: the signature over the URL with the default port added.
    assert_eq!(ok(URL, "kvajT1Ptam85bY51eRf/AJRuM3w="), Ok(()));
    assert_eq!(
        ok(
            "http://mycompany.com/myapp.php?foo=1&bar=2",
            "0ZXoZLH/DfblKGATFgpif+LLRf4="
        ),
        Ok(())
    );
    // The default port written out: the signature without it, or with it.
    let with_443 = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
    assert_eq!(ok(with_443, "RSOYDt4T1cUTdK1PDd93/VVr8B8="), Ok(()));
    assert_eq!(ok(with_443, "kvajT1Ptam85bY51eRf/AJRuM3w="), Ok(()));
    // Credentials in the URL (twilio-ruby's spec), as given and with 443.
    let creds = "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2";
    assert_eq!(ok(creds, "CukzLTc1tT5dXEDIHm/tKBanW10="), Ok(()));
    assert_eq!(ok(creds, "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI="), Ok(()));
    // A port variant is not any URL: the wrong default port is refused.
    assert_eq!(
        ok(
            "http://mycompany.com/myapp.php?foo=1&bar=2",
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        ),
        Err(TwilioSignatureError::Mismatch)
    );
}

#[test]
fn repeated_names_sort_by_value() {
    // twilio-python's duplicate-parameter vector, with the values in either order.
    for body in [
        &b"Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234"[..],
        b"Digits=1234&Sid=CA123&Digits=5678&SidAccount=AC123",
    ] {
        let form = Form::parse(body).unwrap();
        assert_eq!(
            expected_signature(&token(), URL, &form),
            "IK+Dwps556ElfBT0I3Rgjkr1wJU="
        );
        assert_eq!(
            verify(&token(), URL, &form, Some("IK+Dwps556ElfBT0I3Rgjkr1wJU=")),
            Ok(())
        );
    }
    let form = Form::parse(b"Digits=5678&Digits=1234").unwrap();
    assert_eq!(form.get("Digits"), Some("5678"));
}

#[test]
fn refusals() {
    let t = token();
    let form = docs_form();
    let mismatch = Err(TwilioSignatureError::Mismatch);
    let other = TwilioAuthToken::new("54321").unwrap();
    assert_eq!(verify(&other, URL, &form, Some(DOCS_SIGNATURE)), mismatch);
    let altered = Form::from_pairs(form.pairs().iter().map(|(k, v)| {
        (
            k.clone(),
            if k == "Digits" {
                "9999".to_string()
            } else {
                v.clone()
            },
        )
    }));
    assert_eq!(verify(&t, URL, &altered, Some(DOCS_SIGNATURE)), mismatch);
    let mut extra = form.pairs().to_vec();
    extra.push(("Extra".into(), "1".into()));
    assert_eq!(
        verify(&t, URL, &Form::from_pairs(extra), Some(DOCS_SIGNATURE)),
        mismatch
    );
    assert_eq!(
        verify(&t, URL, &Form::default(), Some(DOCS_SIGNATURE)),
        mismatch
    );
    for url in [
        "https://mycompany.com/other.php?foo=1&bar=2",
        "http://mycompany.com/myapp.php?foo=1&bar=2",
        "https://mycompany.com/myapp.php?foo=1&bar=3",
        "https://mycompany.com/myapp.php",
        "https://evil.example/myapp.php?foo=1&bar=2",
        "https://mycompany.com:8443/myapp.php?foo=1&bar=2&x",
    ] {
        assert_eq!(
            verify(&t, url, &form, Some(DOCS_SIGNATURE)),
            mismatch,
            "{url}"
        );
    }
    assert_eq!(
        verify(&t, URL, &form, None),
        Err(TwilioSignatureError::Missing)
    );
    assert_eq!(
        verify(&t, URL, &form, Some("  ")),
        Err(TwilioSignatureError::Missing)
    );
    for garbage in [
        "garbage!",
        "AAAA",
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ",
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ=AAAA",
    ] {
        assert_eq!(verify(&t, URL, &form, Some(garbage)), mismatch, "{garbage}");
    }
    // Surrounding whitespace from a proxy is not part of the signature.
    assert_eq!(
        verify(&t, URL, &form, Some(" 0/KCTR6DLpKmkAf8muzZqo1nDgQ= ")),
        Ok(())
    );
    assert_eq!(
        TwilioSignatureError::Missing.to_string(),
        "missing X-Twilio-Signature header"
    );
}

#[test]
fn port_variants() {
    let cases = [
        (
            "https://h.example/p?q=1",
            Some("https://h.example:443/p?q=1"),
        ),
        ("http://h.example", Some("http://h.example:80")),
        ("HTTPS://h.example/", Some("HTTPS://h.example:443/")),
        ("https://h.example:443/p", Some("https://h.example/p")),
        (
            "https://h.example:8443?a=b:c",
            Some("https://h.example?a=b:c"),
        ),
        (
            "https://u:p@h.example/p",
            Some("https://u:p@h.example:443/p"),
        ),
        (
            "https://u:p@h.example:443/p",
            Some("https://u:p@h.example/p"),
        ),
        ("https://[::1]/p", Some("https://[::1]:443/p")),
        ("https://[::1]:443/p", Some("https://[::1]/p")),
        ("https://h.example:/p", None),
        ("https://h.example:x/p", None),
        ("not a url", None),
    ];
    for (url, want) in cases {
        assert_eq!(port_variant(url).as_deref(), want, "{url}");
    }
}

#[test]
fn auth_token() {
    for bad in ["", "   ", "12345\n", "12 345"] {
        assert!(TwilioAuthToken::new(bad).is_err(), "{bad:?}");
    }
    let t = TwilioAuthToken::new("s3cr3t-token").unwrap();
    assert_eq!(format!("{t:?}"), "TwilioAuthToken(***)");
    assert_eq!(format!("{:?}", t.clone()), "TwilioAuthToken(***)");
}

#[test]
fn form_decoding() {
    let form = Form::parse(b"a=1+2&b=%2B1%20x&c&d=&&e=x=y&f=%zz%4&g=%e2%82%ac&a=again").unwrap();
    let want = Form::from_pairs([
        ("a", "1 2"),
        ("b", "+1 x"),
        ("c", ""),
        ("d", ""),
        ("e", "x=y"),
        ("f", "%zz%4"),
        ("g", "€"),
        ("a", "again"),
    ]);
    assert_eq!(form, want);
    assert_eq!(form.get("a"), Some("1 2"));
    assert_eq!(form.get("missing"), None);
    assert_eq!(Form::parse(b"").unwrap(), Form::default());
}

#[test]
fn form_decoding_agrees_with_form_urlencoded() {
    let body = b"To=%2B1800&Body=caf%C3%A9+ok%21&x=%zz&&y&z=a=b";
    let theirs: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    assert_eq!(Form::parse(body).unwrap().pairs(), theirs.as_slice());
}

#[test]
fn form_refusals() {
    for bad in [&b"Body=%FF"[..], b"%C3=x", b"Body=\xff"] {
        let p = Form::parse(bad).unwrap_err();
        assert_eq!(
            (p.status, p.kind.as_str()),
            (400, "urn:lifeline:problem:invalid-request")
        );
    }
    assert_eq!(
        Form::parse(&vec![b'a'; MAX_BODY_BYTES + 1])
            .unwrap_err()
            .status,
        413
    );
    assert!(Form::parse(&vec![b'a'; MAX_BODY_BYTES]).is_ok());
}

#[test]
fn form_body_round_trip() {
    let form = Form::from_pairs([("From", "+1 425"), ("Body", "a&b=c€"), ("From", "")]);
    let body = form.to_body();
    assert_eq!(body, "From=%2B1+425&Body=a%26b%3Dc%E2%82%AC&From=");
    assert_eq!(Form::parse(body.as_bytes()).unwrap(), form);
}

#[test]
fn sids() {
    let workflow = "WW0123456789abcdef0123456789abcdef";
    assert!(is_sid(workflow, WORKFLOW_SID));
    assert!(is_sid("WKABCDEF0123456789abcdef0123456789", "WK"));
    assert!(!is_sid(workflow, "WK"));
    for bad in [
        "",
        "WW",
        "WW123",
        "WW0123456789abcdef0123456789abcdeg",
        "WW0123456789abcdef0123456789abcdef0",
        "ww0123456789abcdef0123456789abcdef",
        "WWé123456789abcdef0123456789abcde",
    ] {
        assert!(!is_sid(bad, WORKFLOW_SID), "{bad}");
    }
}

#[test]
fn client_identities() {
    assert_eq!(client_identity("client:alice"), Some("alice"));
    assert_eq!(client_identity("client:"), None);
    assert_eq!(client_identity("+14255550100"), None);
    assert_eq!(client_identity("Client:alice"), None);
}

const XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

#[test]
fn dial_a_number() {
    assert_eq!(
        dial_number(
            "911",
            Some("+14255550100"),
            Some("https://x.example/done?a=1&b=2"),
            true
        ),
        format!(
            r#"{XML}<Response><Dial callerId="+14255550100" record="do-not-record" action="https://x.example/done?a=1&amp;b=2" method="POST"><Number>911</Number></Dial></Response>"#
        )
    );
    assert_eq!(
        dial_number("112", None, None, false),
        format!("{XML}<Response><Dial><Number>112</Number></Dial></Response>")
    );
    assert_eq!(
        dial_number("9<1>1", Some(r#"a&<>"'b"#), None, false),
        format!(
            r#"{XML}<Response><Dial callerId="a&amp;&lt;&gt;&quot;&apos;b"><Number>9&lt;1&gt;1</Number></Dial></Response>"#
        )
    );
}

#[test]
fn dial_several_clients() {
    assert_eq!(
        dial_clients(
            &["alice", "+14255550100", "bob"],
            20,
            Some("https://x.example/after")
        ),
        format!(
            r#"{XML}<Response><Dial timeout="20" action="https://x.example/after" method="POST" record="do-not-record"><Client>alice</Client><Number>+14255550100</Number><Client>bob</Client></Dial></Response>"#
        )
    );
    assert_eq!(
        dial_clients(&[r#"a&<>"'"#, "+", "+1x"], 5, None),
        format!(
            r#"{XML}<Response><Dial timeout="5" record="do-not-record"><Client>a&amp;&lt;&gt;&quot;&apos;</Client><Client>+</Client><Client>+1x</Client></Dial></Response>"#
        )
    );
}

#[test]
fn enqueue_a_task() {
    let json = r#"{"callId":"c-1","note":"<b> & 'x'"}"#;
    assert_eq!(
        enqueue_task("WW0123456789abcdef0123456789abcdef", json, 10, 120, None),
        format!(
            r#"{XML}<Response><Enqueue workflowSid="WW0123456789abcdef0123456789abcdef"><Task priority="10" timeout="120">{{&quot;callId&quot;:&quot;c-1&quot;,&quot;note&quot;:&quot;&lt;b&gt; &amp; &apos;x&apos;&quot;}}</Task></Enqueue></Response>"#
        )
    );
    assert_eq!(
        enqueue_task(
            "WW0123456789abcdef0123456789abcdef",
            "{}",
            1,
            60,
            Some("https://x.example/after?a=1&b=2")
        ),
        format!(
            r#"{XML}<Response><Enqueue workflowSid="WW0123456789abcdef0123456789abcdef" action="https://x.example/after?a=1&amp;b=2" method="POST"><Task priority="1" timeout="60">{{}}</Task></Enqueue></Response>"#
        )
    );
}

#[test]
fn redirect_say_hangup() {
    assert_eq!(
        redirect("https://x.example/next?a=1&b=2"),
        format!(
            r#"{XML}<Response><Redirect method="POST">https://x.example/next?a=1&amp;b=2</Redirect></Response>"#
        )
    );
    assert_eq!(hangup(), format!("{XML}<Response><Hangup/></Response>"));
    assert_eq!(
        document(&[say_verb("Hold <on> & wait"), hangup_verb()]),
        format!("{XML}<Response><Say>Hold &lt;on&gt; &amp; wait</Say><Hangup/></Response>")
    );
    assert_eq!(CONTENT_TYPE, "text/xml");
}

#[test]
fn characters_xml_cannot_hold_are_dropped() {
    assert_eq!(escape("a\u{0}b\u{1b}c\td\ne\u{FFFF}"), "abc\td\ne");
    assert!(matches!(escape("plain +1 (425)"), Cow::Borrowed(_)));
}

mod never_panic {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any body: a form or a 400 problem, never a panic.
        #[test]
        fn form_parse(body in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Err(p) = Form::parse(&body) {
                prop_assert_eq!(p.status, 400);
            }
        }

        /// Any form survives a trip through its body.
        #[test]
        fn form_round_trip(pairs in proptest::collection::vec(("\\PC{0,8}", "\\PC{0,8}"), 0..6)) {
            let form = Form::from_pairs(pairs);
            prop_assert_eq!(Form::parse(form.to_body().as_bytes()).unwrap(), form);
        }

        /// Any header or URL: refused unless it is the right MAC, never a panic.
        #[test]
        fn signatures(header in "\\PC{0,40}", url in "\\PC{0,40}") {
            prop_assert!(verify(&token(), &url, &docs_form(), Some(&header)).is_err());
        }
    }
}
