use super::*;
use crate::types::MAX_RECIPIENTS;
use proptest::prelude::*;

const SLACK: &str = "https://hooks.slack.com/services/T000/B000/XXXXSECRET";
const TEAMS: &str =
    "https://acme.webhook.office.com/webhookb2/1b2c@3d4e/IncomingWebhook/abcSECRET/77";
const GCHAT: &str =
    "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=KEYSECRET&token=TOKSECRET%3D";

fn hosts() -> ChatHosts {
    ChatHosts::parse("hooks.slack.com, acme.webhook.office.com,chat.googleapis.com,127.0.0.1")
        .unwrap()
}

// The e-mail-only lists, as they were read before the other channels.

#[test]
fn recipients_table() {
    // (input, Ok(canonical) or Err(the address named))
    let cases: &[(&str, Result<&str, &str>)] = &[
        ("sup@example.com", Ok("sup@example.com")),
        (
            "sup@example.com;security@example.com",
            Ok("sup@example.com; security@example.com"),
        ),
        (
            "  sup@example.com ;  security@example.com  ",
            Ok("sup@example.com; security@example.com"),
        ),
        ("sup@example.com;", Ok("sup@example.com")),
        ("sup@example.com;;", Ok("sup@example.com")),
        ("Sup@EXAMPLE.com", Ok("Sup@example.com")),
        (
            "a@example.com; A@example.com; a@EXAMPLE.com",
            Ok("a@example.com; A@example.com"),
        ),
        (
            "first.last+tag@sub.example.co.uk",
            Ok("first.last+tag@sub.example.co.uk"),
        ),
        ("", Ok("")),
        (" ; ", Ok("")),
        (
            "sup@example.com, security@example.com",
            Err("sup@example.com, security@example.com"),
        ),
        ("sup@example.com; not-an-address", Err("not-an-address")),
        ("a@b", Err("a@b")),
        ("@example.com", Err("@example.com")),
        ("a..b@example.com", Err("a..b@example.com")),
        ("a@-x.com", Err("a@-x.com")),
        ("a@example.c0m", Err("a@example.c0m")),
        ("a b@example.com", Err("a b@example.com")),
    ];
    for (input, expected) in cases {
        match (Recipients::parse(input), expected) {
            (Ok(r), Ok(want)) => assert_eq!(r.joined(), *want, "{input:?}"),
            (Err(e), Err(named)) => assert!(e.to_string().contains(named), "{input:?}: {e}"),
            (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn recipients() {
    let r = Recipients::parse(" sup@Example.COM ;security@example.com; sup@example.com;").unwrap();
    assert_eq!(r.joined(), "sup@example.com; security@example.com");
    assert!(Recipients::parse("").unwrap().is_empty());
    assert!(Recipients::parse(" ; ").unwrap().is_empty());
    let err = Recipients::parse("ok@example.com; not-an-address").unwrap_err();
    assert!(err.to_string().contains("not-an-address"), "{err}");
    assert!(Recipients::parse("a@b").is_err());
    assert!(Recipients::parse("a..b@example.com").is_err());
    assert!(Recipients::parse("a@-x.com").is_err());
    let many: Vec<String> = (0..51).map(|i| format!("u{i}@example.com")).collect();
    assert!(Recipients::parse(&many.join(";")).is_err());
    let fifty: Vec<String> = (0..50).map(|i| format!("u{i}@example.com")).collect();
    assert_eq!(
        Recipients::parse(&fifty.join(";"))
            .unwrap()
            .as_slice()
            .len(),
        50
    );
}

#[test]
fn each_channel_and_locale() {
    let list = format!(
        "ana@example.com; email:Bo@EXAMPLE.com|es; sms:+14255550111|da; chat:{SLACK}; CHAT:{TEAMS}|fr; chat:{GCHAT}"
    );
    let r = Recipients::parse_with(&list, &hosts()).unwrap();
    let got: Vec<(Channel, &str, Option<Locale>)> = r
        .entries()
        .iter()
        .map(|e| (e.channel(), e.address.as_str(), e.locale))
        .collect();
    assert_eq!(
        got,
        vec![
            (Channel::Email, "ana@example.com", None),
            (Channel::Email, "Bo@example.com", Some(Locale::Es)),
            (Channel::Sms, "+14255550111", Some(Locale::Da)),
            (Channel::Chat, SLACK, None),
            (Channel::Chat, TEAMS, Some(Locale::Fr)),
            (Channel::Chat, GCHAT, None),
        ]
    );
    assert_eq!(
        r.emails().iter().map(Email::as_str).collect::<Vec<_>>(),
        ["ana@example.com", "Bo@example.com"]
    );
    assert_eq!(
        r.joined(),
        format!(
            "ana@example.com; Bo@example.com|es; sms:+14255550111|da; chat:{SLACK}; chat:{TEAMS}|fr; chat:{GCHAT}"
        )
    );
    // Printed and read back: the same list.
    assert_eq!(Recipients::parse_with(&r.joined(), &hosts()).unwrap(), r);
}

#[test]
fn bare_emails_read_and_print_as_before() {
    let r = Recipients::parse_stored(" sup@Example.COM ;security@example.com; sup@example.com;")
        .unwrap();
    assert_eq!(r.joined(), "sup@example.com; security@example.com");
    assert_eq!(r.emails(), r.as_slice());
    assert_eq!(r.len(), 2);
    assert!(r.entries().iter().all(|e| e.locale.is_none()));
}

#[test]
fn duplicates_are_dropped_the_first_kept() {
    let r = Recipients::parse(
        "sms:+14255550111|es; sms:+14255550111; a@example.com; email:a@example.com|fr",
    )
    .unwrap();
    assert_eq!(r.joined(), "sms:+14255550111|es; a@example.com");
    assert_eq!(r.emails().len(), 1);
}

#[test]
fn a_pipe_in_an_email_local_part_is_no_locale() {
    let r = Recipients::parse("a|b@example.com; c|d@example.com|de").unwrap();
    assert_eq!(r.joined(), "a|b@example.com; c|d@example.com|de");
    assert_eq!(r.entries()[1].locale, Some(Locale::De));
    assert_eq!(Recipients::parse(&r.joined()).unwrap(), r);
}

#[test]
fn refusals_name_the_entry_but_no_secret() {
    let cases: &[(&str, &str)] = &[
        ("fax:+14255550111", "recipient 1: unknown channel `fax`"),
        ("a@example.com; sms:4255550111", "recipient 2 (sms): phone number must be E.164"),
        ("sms:+14255550111|xx", "recipient 1 (sms:+*******0111): unknown locale `xx`"),
        ("a@example.com|es-MX", "unknown locale `es-MX`"),
        ("email:not-an-address", "`not-an-address` is not a valid e-mail address"),
        ("chat:ftp://hooks.slack.com/x", "recipient 1 (chat): a chat URL must be https"),
        ("chat:http://hooks.slack.com/x", "a chat URL must be https"),
        ("chat:https://user:pw@hooks.slack.com/x", "user name or password"),
        ("chat:https://hooks.slack.com/x#frag", "printable ASCII"),
        ("chat:https://hooks.slack.com:0/x", "port"),
        ("chat:https:///x", "host name"),
        (
            "chat:https://evil.example/services/SECRET",
            "recipient 1 (chat:https://evil.example/…): chat host `evil.example` is not in LIFELINE_CHAT_ALLOWED_HOSTS",
        ),
    ];
    for (input, want) in cases {
        let e = Recipients::parse_with(input, &hosts())
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{input}: {e}");
        assert!(
            !e.contains("SECRET") && !e.contains("425555"),
            "{input}: {e}"
        );
    }
}

#[test]
fn plain_http_only_to_the_loopback_and_only_if_allowed() {
    let local = "chat:http://127.0.0.1:9/x";
    assert!(Recipients::parse_with(local, &hosts()).is_ok());
    assert!(Recipients::parse(local).is_err(), "no host allowed");
    assert!(
        Recipients::parse_stored(local).is_ok(),
        "a stored list is not re-checked"
    );
    assert!(Recipients::parse_with("chat:http://localhost:9/x", &hosts()).is_err());
}

#[test]
fn chat_urls_are_canonical_and_masked() {
    let u = ChatUrl::parse("HTTPS://Hooks.Slack.COM/services/T/B/X").unwrap();
    assert_eq!(u.as_str(), "https://hooks.slack.com/services/T/B/X");
    assert_eq!(u.host(), "hooks.slack.com");
    assert_eq!(u.redacted(), "https://hooks.slack.com/…");
    assert!(!format!("{u:?}").contains("services"));
    let bare = ChatUrl::parse("https://example.com").unwrap();
    assert_eq!(bare.as_str(), "https://example.com/");
    let local = ChatUrl::parse("http://127.0.0.1:8080/hook").unwrap();
    assert!(local.is_plain_http());
    assert_eq!(local.redacted(), "http://127.0.0.1/…");
}

#[test]
fn masked_forms_hide_numbers_and_webhooks() {
    let r = Recipients::parse_with(
        &format!("ana@example.com; sms:+14255550111|es; chat:{SLACK}"),
        &hosts(),
    )
    .unwrap();
    let shown = r.redacted();
    assert_eq!(
        shown,
        "ana@example.com; sms:+*******0111|es; chat:https://hooks.slack.com/…"
    );
    let debug = format!("{r:?}");
    assert!(
        !debug.contains("SECRET") && !debug.contains("4255550111"),
        "{debug}"
    );
}

#[test]
fn the_allow_list() {
    let h = ChatHosts::parse(" Hooks.Slack.com,, chat.googleapis.com ,hooks.slack.com").unwrap();
    assert_eq!(h.joined(), "hooks.slack.com,chat.googleapis.com");
    assert_eq!(ChatHosts::parse("").unwrap(), ChatHosts::none());
    for bad in [
        "https://hooks.slack.com",
        "hooks.slack.com/x",
        "*.slack.com",
        "a b",
        "h:443",
    ] {
        assert!(ChatHosts::parse(bad).is_err(), "{bad}");
    }
    // Exact names: a sub-domain is another host.
    let u = ChatUrl::parse("https://evil.hooks.slack.com/x").unwrap();
    assert!(!h.allows(&u));
}

#[test]
fn at_most_the_limit() {
    let many: Vec<String> = (0..=MAX_RECIPIENTS)
        .map(|i| format!("sms:+1425555{i:04}"))
        .collect();
    let e = Recipients::parse(&many.join(";")).unwrap_err();
    assert_eq!(
        e,
        RecipientError::TooMany {
            got: MAX_RECIPIENTS + 1
        }
    );
}

#[test]
fn json_form() {
    let r: Recipient = "sms:+14255550111|es".parse().unwrap();
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"channel": "sms", "address": "+14255550111", "locale": "es"})
    );
    assert_eq!(serde_json::from_value::<Recipient>(v).unwrap(), r);
    let e: Recipient =
        serde_json::from_value(serde_json::json!({"channel": "email", "address": "a@example.com"}))
            .unwrap();
    assert_eq!(e.entry(), "a@example.com");
    assert!(serde_json::from_value::<Recipient>(
        serde_json::json!({"channel": "sms", "address": "x"})
    )
    .is_err());
    assert!(serde_json::from_value::<Recipient>(
        serde_json::json!({"channel": "pager", "address": "x"})
    )
    .is_err());
    let list = Recipients::parse("a@example.com; sms:+14255550111").unwrap();
    assert_eq!(
        serde_json::to_value(&list).unwrap(),
        serde_json::json!([{"channel": "email", "address": "a@example.com"}, {"channel": "sms", "address": "+14255550111"}])
    );
}

fn entry() -> impl Strategy<Value = String> {
    let address = prop_oneof![
        "[a-z]{1,6}@[a-z]{1,6}\\.(com|org)",
        "sms:\\+[1-9][0-9]{7,14}",
        "chat:https://(hooks\\.slack\\.com|127\\.0\\.0\\.1|evil\\.example)/[A-Za-z0-9/]{0,12}",
        "chat:http://127\\.0\\.0\\.1:[0-9]{1,5}/[a-z]{0,5}",
        "(email|sms|chat|fax|):[ -~]{0,12}",
        "[ -~]{0,16}",
    ];
    (address, prop::option::of("(en|es|fr|de|da|xx|)")).prop_map(|(a, l)| match l {
        Some(l) => format!("{a}|{l}"),
        None => a,
    })
}

proptest! {
    /// Any text at all: an answer, never a panic.
    #[test]
    fn parsing_never_panics(s in "\\PC{0,200}") {
        let _ = Recipients::parse_with(&s, &hosts());
        let _ = Recipients::parse_stored(&s);
        let _ = ChatHosts::parse(&s);
        let _ = ChatUrl::parse(&s);
    }

    /// Lists of likely and unlikely entries: never a panic; what is
    /// accepted prints to a list that reads back the same, and its masked
    /// form holds no whole number or webhook path.
    #[test]
    fn accepted_lists_round_trip(entries in prop::collection::vec(entry(), 0..8), sep in "(;| ; |;;)") {
        let list = entries.join(&sep);
        if let Ok(r) = Recipients::parse_with(&list, &hosts()) {
            prop_assert_eq!(Recipients::parse_with(&r.joined(), &hosts()).unwrap(), r.clone());
            for e in r.entries() {
                let locale = e.locale.map(|l| format!("|{l}")).unwrap_or_default();
                match &e.address {
                    Address::Sms(n) => prop_assert!(!r.redacted().contains(n.as_str())),
                    // Scheme and host only, never the path or query.
                    Address::Chat(u) => {
                        prop_assert_eq!(e.redacted(), format!("chat:{}{locale}", u.redacted()));
                        prop_assert!(u.redacted().ends_with("/…"));
                    }
                    Address::Email(_) => {}
                }
            }
        }
    }
}
